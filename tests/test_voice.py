"""The participants' voice and the costs in the marts and the evidence packs (issue 27;
docs/outputs.md#the-participants-voice, docs/outputs.md#evidence-packs).

Reads the shared published night (`published_night`: the demo spreadsheets, as of 2026-11-20),
and goes on from ONE copy of it for the consent withdrawn in a newer `temoignages` file (one
refresh, run history in memory). The demo has six testimonies: TEM-01, TEM-02 and TEM-05 with
a dated written consent, TEM-03 and TEM-06 without consent, TEM-04 consented but undated; one
sensitive report (RET-900, signalement / discrimination, SOCLE — Paris, received 2026-10-11).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import openpyxl
import pytest

from common.quarters import Quarter
from common.settings import Settings
from common.warehouse import connect
from devtools.fake_crm import FakeCRMServer
from reports.catalogue import Catalogue
from reports.disclosure import Suppressed
from reports.evidence import EvidenceContent, build_evidence_pack, collect
from reports.evidence.association import read_association
from reports.evidence.render import write_html, write_xlsx
from tests.conftest import copy_of_night, published_world, run_nightly_in_memory

K = 5
FINAL = "EVAL-2026-PIC-FIN"  # external final evaluation: efficience and impact
TEXTS = {  # how each demo testimony starts
    "TEM-01": "Au début je n'osais pas parler",
    "TEM-02": "Mon diplôme n'était pas reconnu",
    "TEM-03": "Le groupe de femmes m'a permis",
    "TEM-04": "J'ai signé mon premier contrat",
    "TEM-05": "Le mentorat avec une cadre",
    "TEM-06": "Les cours de français à visée professionnelle",
}


def _texts(rows: list[tuple]) -> set[str]:
    """The demo testimonies (ids) whose text is among `rows`' first column."""
    return {tid for tid, start in TEXTS.items() if any(str(r[0]).startswith(start)
                                                       for r in rows)}


# -- the published night: the mart ---------------------------------------------------------------
def test_only_consented_testimonies_are_published(published_night: Settings) -> None:
    """Consented with a date only; date, scope, theme, text and consent date, no sheet id."""
    with duckdb.connect(published_night.warehouse, read_only=True) as con:
        rows = con.execute(
            "select testimony_text, testimony_date, programme, antenna, theme, consent_date "
            "from marts.published_testimonies order by testimony_date").fetchall()
        columns = {r[0] for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'published_testimonies'").fetchall()}
    assert _texts(rows) == {"TEM-01", "TEM-02", "TEM-05"}
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        (date(2026, 1, 10), "SOCLE", "PARIS", "confiance", date(2026, 1, 12)),
        (date(2026, 3, 10), "AVEC", "BORDEAUX", "premier_emploi", date(2026, 3, 20)),
        (date(2026, 8, 10), "AVEC", "PARIS", "mentorat", date(2026, 8, 15)),
    ]
    assert not columns & {"testimony_id", "id", "source_file", "source_sheet", "source_row",
                          "file_modified_at"}
    with duckdb.connect(published_night.published, read_only=True) as con:  # readers get it
        assert _texts(con.execute("select testimony_text from published_testimonies")
                      .fetchall()) == {"TEM-01", "TEM-02", "TEM-05"}


# -- (a) a consent withdrawn in a newer file --------------------------------
def _write_newer_testimonies(sheets: Path) -> Path:
    """The demo `Témoignages.xlsx` saved again a day later: TEM-05's consent turned to `non`,
    TEM-02's row deleted, the others as they were."""
    path = sheets / "Témoignages.xlsx"
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]  # the data sheet (the template's help sheet follows it)
    header = [str(c.value or "").strip().lower() for c in sheet[1]]
    consent = header.index("consentement") + 1
    for row in range(sheet.max_row, 1, -1):
        if sheet.cell(row, 1).value == "TEM-05":
            sheet.cell(row, consent).value = "non"
        elif sheet.cell(row, 1).value == "TEM-02":
            sheet.delete_rows(row)
    book.save(path)
    later = datetime(2026, 11, 20, 18, 0, tzinfo=UTC).timestamp()  # after the first load
    os.utime(path, (later, later))
    return path


@pytest.fixture(scope="module")
def withdrawn(published_night: Settings, tmp_path_factory) -> Iterator[Settings]:
    """A copy of the published night refreshed once after the newer testimonies file."""
    folder = tmp_path_factory.mktemp("voice_withdrawn")
    world = published_world()
    with FakeCRMServer(world, token="test-token") as server:
        settings = copy_of_night(published_night, folder, crm_url=server.base_url)
        _write_newer_testimonies(settings.sheets_dir)
        run_nightly_in_memory(settings)
    yield settings


def test_withdrawn_consent_leaves_the_marts_and_the_next_evidence_pack(
        withdrawn: Settings, tmp_path: Path) -> None:
    with duckdb.connect(withdrawn.warehouse, read_only=True) as con:
        staged = _texts(con.execute(
            "select testimony_text from staging.stg_sheets__temoignages").fetchall())
        marts = _texts(con.execute(
            "select testimony_text from marts.published_testimonies").fetchall())
        raw = {r[0] for r in con.execute("select id from raw.sheet_temoignages").fetchall()}
    assert "TEM-05" in raw and "TEM-02" not in raw  # the newer file was read
    assert staged == marts == {"TEM-01"}
    with duckdb.connect(withdrawn.published, read_only=True) as con:
        assert _texts(con.execute("select testimony_text from published_testimonies")
                      .fetchall()) == {"TEM-01"}
    pack = build_evidence_pack(withdrawn.warehouse, FINAL, output_dir=tmp_path, k=K, pdf=False)
    html = pack.html.read_text(encoding="utf-8").replace("&#39;", "'")
    assert TEXTS["TEM-01"] in html
    assert TEXTS["TEM-05"] not in html and TEXTS["TEM-02"] not in html
    sheet = openpyxl.load_workbook(pack.xlsx)["Témoignages"]
    assert _texts([(r[2],) for r in sheet.iter_rows(min_row=2, values_only=True)]) == {"TEM-01"}


# -- (b) the sensitive report ----------------------------------------------------------------------
def _ancestry(con: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """Programme → itself and its ancestors (SOCLE_FEMMES counts in SOCLE)."""
    parents = dict(con.execute(
        "select programme, parent_programme from reference.programme_reference").fetchall())
    out = {}
    for code in parents:
        chain, seen = code, set()
        while chain and chain not in seen:
            seen.add(chain)
            chain = parents.get(chain)
        out[code] = seen
    return out


def test_sensitive_report_only_in_the_organisation_total_and_never_listed(
        published_night: Settings) -> None:
    """Every RET_RECUS row of the mart, recounted from the raw sheet: a sensitive report counts
    in the organisation's total (programme ALL, antenna ALL, no breakdown) and in no finer row,
    a non-sensitive one where its scope and type put it. No mart row carries its id, its text
    or its spreadsheet row."""
    with duckdb.connect(published_night.warehouse, read_only=True) as con:
        feedback = con.execute(
            "select id, date_reception, type, categorie, programme, antenne, source_file, "
            "source_row from raw.sheet_retours").fetchall()
        ancestry = _ancestry(con)
        mart = con.execute(
            "select period_start, period_end, programme, antenna, dimension, dimension_value, "
            "value from marts.indicator_values where indicator_code = 'RET_RECUS' "
            "and period_type in ('quarter', 'cumulative')").fetchall()
        sensitive = [f for f in feedback
                     if f[2] == "signalement" and f[3] in ("discrimination", "securite")]
        assert [(f[0], f[4], f[5]) for f in sensitive] == [("RET-900", "SOCLE", "PARIS")]
        # what staff typed about it, and where it is in the sheet
        secret = con.execute("select description from raw.sheet_retours where id = 'RET-900'"
                             ).fetchone()[0]
        text_columns = con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and data_type = 'VARCHAR'").fetchall()
        listed = []
        for table, column in text_columns:
            listed += [(table, column, v) for (v,) in con.execute(
                f'select "{column}" from marts."{table}" where "{column}" like ? '
                f'or "{column}" like ?', ["%RET-900%", f"%{secret[:30]}%"]).fetchall()]
        located = []
        for (table,) in con.execute(
                "select table_name from information_schema.columns where table_schema = "
                "'marts' and column_name = 'source_row' intersect select table_name from "
                "information_schema.columns where table_schema = 'marts' "
                "and column_name = 'source_file'").fetchall():
            located += con.execute(
                f'select * from marts."{table}" where source_file = ? and source_row = ?',
                [sensitive[0][6], sensitive[0][7]]).fetchall()
    assert listed == [] and located == []

    def expected(start: date, end: date, programme: str, antenna: str, dimension: str,
                 value: str) -> int:
        organisation_total = (programme, antenna, dimension) == ("ALL", "ALL", "total")
        count = 0
        for _fid, received, ftype, category, fprog, fant, _, _ in feedback:
            if not start <= received <= end:
                continue
            if (ftype == "signalement" and category in ("discrimination", "securite")
                    and not organisation_total):
                continue
            if programme != "ALL" and programme not in ancestry.get(fprog or "", {fprog}):
                continue
            if antenna != "ALL" and fant != antenna:
                continue
            if dimension == "type" and ftype != value:
                continue
            count += 1
        return count

    checked = Counter()
    for start, end, programme, antenna, dimension, value, got in mart:
        want = expected(start, end, programme, antenna, dimension, value)
        assert got == want, (start, programme, antenna, dimension, value, got, want)
        if start <= date(2026, 10, 11) <= end and (programme, antenna) in (
                ("SOCLE", "PARIS"), ("SOCLE", "ALL"), ("ALL", "PARIS"), ("ALL", "ALL")):
            checked[(programme, antenna, dimension, value)] += 1
    # the report's own scopes and type were checked, and the total is one above its breakdown
    assert checked[("SOCLE", "PARIS", "total", "total")] >= 2
    assert checked[("ALL", "ALL", "type", "signalement")] >= 2
    q4 = {(r[2], r[3], r[4], r[5]): r[6] for r in mart if r[0] == date(2026, 10, 1)}
    assert q4[("ALL", "ALL", "total", "total")] == sum(
        v for (p, a, d, _), v in q4.items() if (p, a, d) == ("ALL", "ALL", "type")) + 1


# -- (c) costs in the evidence pack --------------------------------
@pytest.fixture(scope="module")
def final_pack(published_night: Settings, tmp_path_factory) -> tuple[EvidenceContent, Path, Path]:
    """The final evaluation's pack on the published night, read once: content, HTML, xlsx."""
    folder = tmp_path_factory.mktemp("voice_pack")
    content = collect(published_night.warehouse, FINAL, k=K)
    return (content, write_html(content, folder / "pack.html"),
            write_xlsx(content, folder / "pack.xlsx"))


def test_efficience_section_shows_costs_and_withholds_those_over_fewer_than_k(
        published_night: Settings, final_pack: tuple[EvidenceContent, Path, Path]) -> None:
    content, html_path, xlsx_path = final_pack
    costs = {t.code: t for t in content.association.costs}
    assert content.association.shows_costs and set(costs) == {"COUT_PART", "COUT_SD", "BUD_EXEC"}
    # the demo: yearly budget lines for 2025, quarterly ones for 2026; the pack ends with T3 2026
    assert [p.key for p in costs["COUT_PART"].periods] == ["2025", "2026-Q1", "2026-Q2",
                                                           "2026-Q3"]
    with duckdb.connect(published_night.warehouse, read_only=True) as con:
        exact = {(r[0], r[1], r[2]): (r[3], r[4]) for r in con.execute(
            "select indicator_code, programme, case when period_type = 'year' "
            "then cast(year(period_start) as varchar) else concat(cast(year(period_start) as "
            "varchar), '-Q', cast(quarter(period_start) as varchar)) end, value, population "
            "from marts.indicator_values where indicator_code in ('COUT_PART', 'COUT_SD') "
            "and antenna = 'ALL' and dimension = 'total' "
            "and period_type in ('year', 'quarter')").fetchall()}
    shown = withheld = 0
    for code in ("COUT_PART", "COUT_SD"):
        table = costs[code]
        for row, _label in table.rows:
            for p in table.periods:
                value, population = exact.get((code, row, p.key), (None, 0))
                cell = table.cells.get((row, p.key))
                if population and 0 < population < K:
                    assert isinstance(cell, Suppressed) and table.display(row, p.key) == "s"
                    withheld += 1
                elif value is not None:
                    assert cell == pytest.approx(value)
                    shown += 1
                else:
                    assert cell is None and table.display(row, p.key) == "–"
    assert shown >= 8 and withheld >= 4
    # SOCLE Femmes 2025: 64 400 € over 3 people, withheld; the organisation's cost shown
    assert exact[("COUT_PART", "SOCLE_FEMMES", "2025")][1] == 3
    assert isinstance(costs["COUT_PART"].cells[("SOCLE_FEMMES", "2025")], Suppressed)
    assert costs["COUT_PART"].display("ALL", "2025") == "14\u202f818\u00a0€"
    assert costs["BUD_EXEC"].display("ALL", "2025") == "91,2\u00a0%"
    section = html_path.read_text(encoding="utf-8").split('id="efficience"')[1]
    section = section.split("</section>")[0]
    assert "Coût par personne accompagnée" in section and "14\u202f818\u00a0€" in section
    rows = list(openpyxl.load_workbook(xlsx_path)["Efficience"].iter_rows(min_row=2,
                                                                         values_only=True))
    by_cell = {(r[0], r[1], r[2]): r[3] for r in rows}
    assert by_cell[("Coût par personne accompagnée", "SOCLE Femmes", "Année 2025")] == "s"
    assert by_cell[("Coût par personne accompagnée", "Ensemble de l'association",
                    "Année 2025")] == pytest.approx(14817.5)


def test_voice_figures_at_the_organisation_level_with_primary_suppression(
        published_night: Settings, final_pack: tuple[EvidenceContent, Path, Path]) -> None:
    """A count of 1..k-1 is `< k`, a rate over fewer than k answers (or with fewer than k on
    one side) is withheld; testimonies give their text, theme and date only."""
    final = final_pack[0].association
    voice = {t.code: t for t in final.voice}
    assert set(voice) == {"SAT", "RECO", "RET_RECUS", "RET_DELAI_30J"}
    assert all(t.rows == [("ALL", "Ensemble de l'association")] for t in voice.values())
    assert [p.key for p in voice["SAT"].periods] == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    # T4 2025: one feedback received; 2026: four complaints / reports a quarter
    assert voice["RET_RECUS"].display("ALL", "2025-Q4") == f"< {K}"
    assert voice["RET_RECUS"].cells[("ALL", "2026-Q2")] == 9
    assert all(voice["RET_DELAI_30J"].display("ALL", q) == "s"
               for q in ("2026-Q1", "2026-Q2", "2026-Q3"))
    assert voice["SAT"].cells[("ALL", "2026-Q1")] == pytest.approx(42 / 57)
    assert voice["RECO"].display("ALL", "2026-Q1") == "s"  # 51 of 55: 4 said no
    assert {t["theme"] for t in final.testimonies} == {"confiance", "premier emploi", "mentorat"}
    assert all(set(t) == {"date", "theme", "text"} for t in final.testimonies)
    # relevance without efficiency: the voice and no costs; efficiency alone: costs only
    with connect(published_night.warehouse, read_only=True) as wh:
        catalogue = Catalogue.from_frame(wh.fetch_df("select * from reference.indicator_catalogue"))
        quarters = [Quarter.parse("2026-Q3")]
        relevance = read_association(wh, catalogue, ["pertinence", "efficacite"], quarters, K,
                                     programme="AVEC", antenna="BORDEAUX",
                                     until=date(2026, 11, 20))
        efficiency = read_association(wh, catalogue, ["efficience"], quarters, K,
                                      programme="ALL", antenna="ALL", until=date(2026, 11, 20))
    assert relevance.voice and not relevance.costs
    assert [t["theme"] for t in relevance.testimonies] == ["premier emploi"]  # its scope only
    assert efficiency.costs and not efficiency.voice and not efficiency.testimonies
