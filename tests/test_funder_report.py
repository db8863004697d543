"""Funder reports (docs/outputs.md#funder-reports) on the shared published night: a private
funder of the demo spreadsheets gets only its scope, its indicators and its targets, its budget
execution, under the same disclosure control as the quarterly deliverables; a re-run with
unchanged data writes no new version; a funder or a period outside its grants is refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from common.quarters import Quarter, last_quarters
from common.warehouse import connect
from reports.funder import FunderReportError, ReportPeriod, build_funder_report
from reports.inputs import load_inputs
from reports.publication import build_publication

AS_OF = date(2026, 11, 20)  # the published night's as-of date
FUNDER = "FONDATION_AVENIR"  # demo: AVEC × Paris; ENT, SD_SORTIE, EMP_SORTIE; semestrielle
K = 5


@pytest.fixture(scope="module")
def funder_report(published_night, tmp_path_factory):
    out = tmp_path_factory.mktemp("funder")
    result = build_funder_report(published_night.warehouse, FUNDER, "2026-S2", as_of=AS_OF,
                                 output_dir=out, k=K, pdf=True)
    return published_night, out, result


def _figures(result) -> pd.DataFrame:
    return pd.read_csv(result.directory / "figures.csv", dtype=str, keep_default_na=False)


def test_periods_are_read_as_staff_type_them():
    assert [q.code for q in ReportPeriod.parse("2026").quarters] == [
        "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    assert [q.code for q in ReportPeriod.parse("2026-S2").quarters] == ["2026-Q3", "2026-Q4"]
    assert ReportPeriod.parse("2026-T3").code == "2026-Q3"
    assert ReportPeriod.parse("2026-s1").label_fr == "1er semestre 2026"
    with pytest.raises(FunderReportError, match="non reconnue"):
        ReportPeriod.parse("2026-Q5")


def test_only_the_funders_scope_indicators_and_targets(funder_report):
    night, _out, result = funder_report
    assert not result.unchanged and result.version == 1
    assert {"html", "pdf", "xlsx", "figures", "manifest"} <= set(result.files)
    figures = _figures(result)
    indicators = figures[figures.section == "indicateurs"]
    assert set(indicators.indicator_code) == {"ENT", "SD_SORTIE", "EMP_SORTIE"}
    assert set(indicators.scope) == {"AVEC — Paris"}
    # S2 2026 as of 20 November: only Q3 has ended
    assert set(indicators[indicators.measure == "value"].period) == {"2026-Q3"}
    # its own targets (objectifs rows with financeur), not the organisation's
    targets = indicators[indicators.measure == "target"].set_index("indicator_code")
    assert float(targets.loc["ENT", "value"]) == 60.0
    assert float(targets.loc["SD_SORTIE", "value"]) == 60.0
    assert float(targets.loc["EMP_SORTIE", "value"]) == 45.0
    html = result.files["html"].read_text(encoding="utf-8")
    assert "Fondation Avenir Solidaire" in html and "2e semestre 2026" in html
    assert "Bordeaux" not in html and "SOCLE —" not in html  # other scopes never appear


def test_the_same_protection_as_the_quarterly_deliverables(funder_report):
    night, _out, result = funder_report
    figures = _figures(result)
    values = figures[(figures.section == "indicateurs") & (figures.measure == "value")]
    q = Quarter.parse("2026-Q3")
    pub = build_publication(load_inputs(night.warehouse, last_quarters(q, 8)), q, K)
    for r in values.itertuples(index=False):
        fig = pub.figure(r.indicator_code, r.period, "AVEC", "PARIS", record=False)
        assert fig is not None and fig.display() == r.display, r
        if r.status == "published" and r.indicator_code == "ENT":
            assert float(r.value) == 0 or float(r.value) >= K  # no count of 1..k-1
    # a year to date compared with an annual count target is withheld with any of its quarters
    ent = figures[(figures.indicator_code == "ENT") & (figures.measure == "compared")]
    quarters = [pub.figure("ENT", f"2026-Q{n}", "AVEC", "PARIS", record=False)
                for n in (1, 2, 3)]
    if any(f.status not in ("published", "not_computable") for f in quarters):
        assert list(ent.status) == ["secondary"]


def test_budget_execution_of_its_grant(funder_report):
    night, _out, result = funder_report
    with connect(night.warehouse, read_only=True) as wh:
        lines = wh.fetch_df("select * from marts.budget_lines where funder_code = ? "
                            "and budget_year = 2026 and budget_quarter in (3, 4)", [FUNDER])
    assert not lines.empty
    figures = _figures(result)
    total = figures[(figures.section == "budget") & (figures.indicator_code == "TOTAL")]
    total = total.set_index("measure")["value"].astype(float)
    assert total["budget"] == pytest.approx(lines["budget_eur"].fillna(0).sum())
    assert total["spent"] == pytest.approx(lines["spent_eur"].fillna(0).sum())
    assert total["execution"] == pytest.approx(total["spent"] / total["budget"], abs=1e-4)
    sheet = openpyxl.load_workbook(result.files["xlsx"])["Budget"]
    last = [c.value for c in list(sheet.iter_rows())[-1]]
    assert last[0] == "Total de la convention" and last[2] == pytest.approx(total["spent"])
    # costs over fewer than k persons are withheld, never shown
    costs = figures[figures.section == "couts"]
    assert not costs.empty and set(costs.status) <= {"published", "primary", "not_computable"}


def test_unchanged_rerun_writes_nothing_and_refusals(funder_report):
    night, out, first = funder_report
    again = build_funder_report(night.warehouse, FUNDER, "2026-S2", as_of=AS_OF,
                                output_dir=out, k=K, pdf=False)
    assert again.unchanged and again.version == first.version
    assert sorted(p.name for p in (out / "financeurs" / FUNDER / "2026-S2").iterdir()) == ["v1"]
    with pytest.raises(FunderReportError, match="inconnu"):
        build_funder_report(night.warehouse, "FONDATION_X", "2026", as_of=AS_OF,
                            output_dir=out, k=K, pdf=False)
    with pytest.raises(FunderReportError, match="hors de ses conventions"):
        build_funder_report(night.warehouse, FUNDER, "2024", as_of=AS_OF, output_dir=out,
                            k=K, pdf=False)
    with pytest.raises(FunderReportError, match="aucun trimestre"):
        build_funder_report(night.warehouse, FUNDER, "2027-S1", as_of=AS_OF, output_dir=out,
                            k=K, pdf=False)
    assert not list(Path(out).rglob(".staging-*"))


def test_reports_are_due_at_each_funders_frequency():
    from orchestration.reporting import due_period

    assert due_period("trimestrielle", "2026-Q3") == "2026-Q3"
    assert [due_period("semestrielle", f"2026-Q{n}") for n in (1, 2, 3, 4)] == [
        None, "2026-S1", None, "2026-S2"]
    assert [due_period("annuelle", f"2026-Q{n}") for n in (1, 2, 3, 4)] == [
        None, None, None, "2026"]


def test_the_ui_links_each_written_file(funder_report):
    from orchestration.reporting import file_links

    _night, _out, result = funder_report
    links = {name: value.value for name, value in file_links(result, f"{FUNDER} — ").items()}
    assert links == {f"{FUNDER} — rapport (PDF)": result.files["pdf"].resolve().as_uri(),
                     f"{FUNDER} — rapport (HTML)": result.files["html"].resolve().as_uri(),
                     f"{FUNDER} — tableaux (xlsx)": result.files["xlsx"].resolve().as_uri()}
