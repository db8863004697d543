"""Targets followed through: every target of `objectifs` that applies to the quarter
shows in the accountability report with its achievement and a status computed as the printed
legend says; the evidence pack fills its Cible / Atteinte cells; every xlsx stores numbers as
numbers.

The warehouse is the small simulated one of `test_reports.py` (no pipeline run: fast), with
demo-style targets attached the way `docs/indicators.md#9-targets-and-achievement` says the mart
attaches them — a quarterly target to its quarter row; an annual target to its year row and, for a
count or a sum, to the year's quarters without a quarterly target, measured on the year to date —
written here independently of the report code, which must then agree with it.
"""

from __future__ import annotations

import re
from datetime import date
from html import unescape
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from common.quarters import Quarter, last_quarters
from common.warehouse import connect
from reports import build_quarterly_deliverables
from reports.evidence import build_evidence_pack
from reports.publication import antenna_label, programme_label
from tests.test_reports import AS_OF, CATALOGUE, PARENTS, Enrolment, indicator_rows, simulate

QUARTER = Quarter.parse("2026-Q3")
K = 5
KINDS = {c: t for c, _l, _lev, t, *_ in CATALOGUE}
LOWER = {c for c, _l, _lev, _t, _u, d, *_ in CATALOGUE if d == "lower"}
ANTENNAS = ("PARIS", "BORDEAUX")


# -- demo-style objectifs (what devtools/demo_sheets.py writes, plus lower-is-better ones) ---
def objectifs(ent_all_2026: float) -> list[tuple[str, str, str, int, int | None, float]]:
    """(indicator, programme, antenna, year, quarter or None, target), already normalised.
    `ent_all_2026` makes the organisation's annual ENT target 79 % reached by the end of T3:
    above the 75 % prorata, under 100 % — the case the report used to call « atteint »."""
    rows: list[tuple[str, str, str, int, int | None, float]] = []
    for year in (2025, 2026):
        for i, programme in enumerate(PARENTS):
            for j, antenna in enumerate(ANTENNAS):
                rows += [("ENT", programme, antenna, year, None, 20 + 7 * i + 5 * j),
                         ("ACT", programme, antenna, year, None, 30 + 9 * i + 4 * j),
                         ("SOR", programme, antenna, year, None, 15 + 6 * i + 3 * j),
                         ("HRS", programme, antenna, year, None, 900 + 150 * i + 100 * j)]
        rows += [("ENT_P", "ALL", "ALL", year, None, 260),
                 ("SD_SORTIE", "SOCLE", "ALL", year, None, 55),
                 ("SD_SORTIE", "AVEC", "ALL", year, None, 55),
                 ("SD_SORTIE", "SOCLE_FEMMES", "ALL", year, None, 50),
                 ("ED_SORTIE", "ALL", "ALL", year, None, 25),
                 ("SD_6M", "ALL", "ALL", year, None, 60),
                 ("ABD", "ALL", "ALL", year, None, 12),          # lower is better (rate)
                 ("DELAI_EMPLOI", "ALL", "ALL", year, None, 90)]  # lower is better (median)
    rows.append(("ENT", "ALL", "ALL", 2026, None, ent_all_2026))
    for quarter in (1, 2, 3, 4):
        rows += [("ENT", "SOCLE", "PARIS", 2026, quarter, 10 + quarter),
                 ("ENT", "AVEC", "PARIS", 2026, quarter, 8 + quarter)]
    return rows


def _scopes(e: Enrolment) -> set[tuple[str, str]]:
    progs = [e.programme, "ALL"] + ([PARENTS[e.programme]] if PARENTS[e.programme] else [])
    return {(p, a) for p in progs for a in (e.antenna, "ALL")}


def year_to_date(enrolments: list[Enrolment], code: str, scope: tuple[str, str],
                 q: Quarter, quarterly: pd.DataFrame) -> float:
    """The value over [1 January, quarter end], recomputed from the records."""
    start, end = date(q.year, 1, 1), q.end
    mine = [e for e in enrolments if scope in _scopes(e)]
    if code == "ENT":
        return float(sum(1 for e in mine if start <= e.start <= end))
    if code == "ENT_P":
        return float(len({e.person for e in mine if start <= e.start <= end}))
    if code == "SOR":
        return float(sum(1 for e in mine if e.end and start <= e.end <= end))
    if code == "ACT":
        return float(sum(1 for e in mine if e.start <= end and (e.end is None or e.end >= start)))
    # HRS: the simulation's hours are per quarter; the year to date is their sum
    sel = quarterly[(quarterly.indicator_code == code) & (quarterly.programme == scope[0])
                    & (quarterly.antenna == scope[1]) & (quarterly.dimension == "total")
                    & (quarterly.period_start >= start) & (quarterly.period_end <= end)]
    return float(sel["value"].sum())


def ratio(value: float | None, target: float, code: str) -> float | None:
    if value is None or pd.isna(value) or target == 0:
        return None
    scaled = value * 100 if KINDS[code] == "rate" else value
    if code in LOWER:
        return None if scaled == 0 else target / scaled
    return scaled / target


def attach(df: pd.DataFrame, enrolments: list[Enrolment], targets) -> pd.DataFrame:
    """The mart's target columns on quarter rows, and year rows carrying annual targets."""
    df = df.copy()
    df["target_basis"] = None
    df["achievement_value"] = float("nan")
    df["population"] = float("nan")
    quarterly = {(c, p, a, y, q) for c, p, a, y, q, _ in targets if q is not None}
    year_rows = []
    for code, p, a, year, quarter, target in targets:
        total = ((df.indicator_code == code) & (df.programme == p) & (df.antenna == a)
                 & (df.dimension == "total"))
        if quarter is None:
            year_rows.append(dict(indicator_code=code, period_type="year",
                                  period_start=date(year, 1, 1), period_end=date(year, 12, 31),
                                  programme=p, antenna=a, dimension="total",
                                  dimension_value="total", as_of=AS_OF, target=float(target)))
        for idx in df.index[total]:
            q = Quarter.of(df.at[idx, "period_start"])
            if q.year != year:
                continue
            if quarter is not None and q.number == quarter:
                basis, compared = "quarter", df.at[idx, "value"]
            elif (quarter is None and KINDS[code] in ("count", "sum")
                  and (code, p, a, year, q.number) not in quarterly):
                basis = "year_to_date"
                compared = year_to_date(enrolments, code, (p, a), q, df)
            else:
                continue
            df.at[idx, "target"] = float(target)
            df.at[idx, "target_basis"] = basis
            df.at[idx, "achievement_value"] = compared
            df.at[idx, "achievement"] = ratio(compared, target, code)
    return pd.concat([df, pd.DataFrame(year_rows)], ignore_index=True)


def make_warehouse(path: Path) -> tuple[Path, list, list[Enrolment], pd.DataFrame]:
    enrolments = simulate(7)
    base = indicator_rows(enrolments, last_quarters(QUARTER, 12), {})
    ent = (base.indicator_code == "ENT") & (base.programme == "ALL") & (base.antenna == "ALL") \
        & (base.dimension == "total")
    ytd = sum(1 for e in enrolments if date(2026, 1, 1) <= e.start <= QUARTER.end)
    targets = objectifs(round(ytd / 0.79))
    assert ent.any()
    df = attach(base, enrolments, targets)
    cat = pd.DataFrame(
        [dict(indicator_code=c, label_fr=lab, level=lev, indicator_type=t, unit=u, direction=d,
              source="CRM", frequency="trimestrielle", owner="charge_suivi_evaluation",
              baseline_value=None, baseline_year=None, pic=pic, disaggregated=dis,
              description_fr=f"{lab} : définition.")
         for c, lab, lev, t, u, d, pic, dis in CATALOGUE])
    progs = pd.DataFrame([dict(programme_code=p, parent_code=parent, label_fr=p)
                          for p, parent in PARENTS.items()])
    evaluation = pd.DataFrame([dict(
        evaluation_id="EVAL-OBJ", programme="SOCLE", antenna="PARIS",
        programme_label_fr="SOCLE", antenna_label_fr="Paris",
        evaluation_type_label_fr="Intermédiaire", evaluation_mode_label_fr="Externe",
        planned_start=date(2026, 9, 1), planned_end=date(2027, 1, 31),
        status_label_fr="En cours", is_due_within_90_days=True, is_late=False, as_of=AS_OF)])
    indicators = pd.DataFrame([dict(evaluation_id="EVAL-OBJ", indicator_code=c,
                                    indicator_position=i)
                               for i, c in enumerate(("ENT", "ACT", "HRS", "SD_SORTIE",
                                                      "DELAI_EMPLOI", "ABD"), start=1)])
    criteria = pd.DataFrame([dict(evaluation_id="EVAL-OBJ", criterion="efficacite",
                                  criterion_label_fr="Efficacité", criterion_order=1)])
    questions = pd.DataFrame([dict(evaluation_id="EVAL-OBJ", question_number=1,
                                   question_fr="Les objectifs sont-ils atteints ?")])
    wh = connect(path)
    try:
        for schema in ("marts", "reference"):
            wh.ensure_schema(schema)
        con = wh._con  # noqa: SLF001 - test fixture: create from a frame
        for name, frame in (("marts.indicator_values", df),
                            ("reference.indicator_catalogue", cat),
                            ("reference.programmes", progs),
                            ("marts.evaluation_plan", evaluation),
                            ("marts.evaluation_plan_indicators", indicators),
                            ("marts.evaluation_plan_criteria", criteria),
                            ("marts.evaluation_plan_questions", questions)):
            con.register("frame", frame)
            con.execute(f"create or replace table {name} as select * from frame")
            con.unregister("frame")
    finally:
        wh.close()
    return path, targets, enrolments, df


MAPPING_WITH_TARGETS = """
version: "test-objectifs"
title: "Collecteur PIC IPR — avec objectifs"
required_breakdowns: []
rate_format: percent
sheets:
  - name: "Ensemble"
    layout: long
    breakdown: total
    scopes: all
    key_columns:
      - {field: programme, header: "Programme"}
      - {field: antenna, header: "Antenne"}
    columns:
%s
      - {indicator: ENT, measure: target, header: "Objectif entrées"}
      - {indicator: ENT, measure: achievement, header: "Réalisation entrées"}
      - {indicator: ENT, measure: status, header: "Statut entrées"}
      - {indicator: ED_SORTIE, measure: target, header: "Objectif emploi durable"}
      - {indicator: ED_SORTIE, measure: achievement, header: "Réalisation emploi durable"}
      - {indicator: ED_SORTIE, measure: status, header: "Statut emploi durable"}
"""


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    folder = tmp_path_factory.mktemp("targets")
    path, targets, enrolments, df = make_warehouse(folder / "warehouse.duckdb")
    mapping = folder / "collecteur_objectifs.yml"
    mapping.write_text(MAPPING_WITH_TARGETS % "\n".join(
        f"      - {{indicator: {c}, header: \"{c}\"}}" for c, *_r, pic, _d in CATALOGUE if pic),
        encoding="utf-8")
    delivery = build_quarterly_deliverables(str(path), QUARTER.code, as_of=AS_OF,
                                            output_dir=folder / "out", k=K, pdf=False,
                                            mapping_path=mapping)
    pack = build_evidence_pack(str(path), "EVAL-OBJ", as_of=AS_OF,
                               output_dir=folder / "evidence", k=K, pdf=False)
    return {"targets": targets, "enrolments": enrolments, "mart": df, "delivery": delivery,
            "pack": pack}


# -- reading the report's target table -------------------------------------------------------
def _text(html: str) -> str:
    return re.sub(r"[ \t\r\n]+", " ", unescape(re.sub(r"<[^>]+>", " ", html))).strip()


def target_rows(html: str) -> dict[tuple[str, str], dict]:
    """(indicator code, scope text) -> the row's cells, from the report's follow-up table."""
    out = {}
    for m in re.finditer(r'<tr class="target-row" data-code="([A-Z_0-9]+)" '
                         r'data-status="([^"]*)">(.*?)</tr>', html, re.S):
        cells = [_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", m.group(3), re.S)]
        out[(m.group(1), cells[1])] = {"status": unescape(m.group(2)), "target": cells[2],
                                       "value": cells[3], "achievement": cells[4],
                                       "badge": cells[5]}
    return out


def expected_status(r: float | None, withheld: bool, cumulated: bool, n: int) -> str:
    """The legend printed with the table, applied by hand."""
    if withheld:
        return "non publiable"
    if r is None:
        return "non calculable"
    if r >= 1:
        return "atteint"
    return "en bonne voie" if r >= 0.9 * (n / 4 if cumulated else 1) else "en retard"


def test_every_target_of_the_quarter_is_in_the_report_with_its_status(world):
    html = world["delivery"].files["html"].read_text(encoding="utf-8")
    rows = target_rows(html)
    mart = world["mart"]
    figures = pd.read_csv(world["delivery"].files["figures"], keep_default_na=False, dtype=str)
    n = QUARTER.number
    applicable = [t for t in world["targets"] if t[3] == QUARTER.year
                  and (t[4] is None or t[4] == n)]
    quarterly_here = {(c, p, a) for c, p, a, _y, q, _t in applicable if q == n}
    assert len(applicable) > 40
    seen_cumulated_on_track = seen_lower = 0
    for code, p, a, _year, quarter, target in applicable:
        if quarter is None and (code, p, a) in quarterly_here:
            continue  # the quarter's own target wins over the annual one for a count
        scope = f"{programme_label(p)} — {antenna_label(a)}"
        row = rows.get((code, scope))
        assert row is not None, (code, scope)
        cumulated = quarter is None and KINDS[code] in ("count", "sum")
        q_row = mart[(mart.indicator_code == code) & (mart.programme == p) & (mart.antenna == a)
                     & (mart.dimension == "total") & (mart.period_type == "quarter")
                     & (mart.period_start == QUARTER.start)].iloc[0]
        compared = q_row["achievement_value"] if cumulated else q_row["value"]
        r = ratio(compared, target, code)
        shown = figures[(figures.indicator_code == code) & (figures.programme == p)
                        & (figures.antenna == a) & (figures.dimension == "total")
                        & (figures.quarter == QUARTER.code)]
        ach = shown[shown.measure == "achievement"]
        assert len(ach) == 1, (code, scope)
        withheld = ach["status"].item() not in ("published", "not_computable")
        value_status = shown[shown.measure == "value"]["status"].item()
        if value_status in ("primary", "secondary"):  # computed from a withheld value
            assert withheld and row["achievement"] in ("s", f"< {K}"), (code, scope, row)
        status = expected_status(r, withheld, cumulated, n)
        assert row["status"] == status and row["badge"] == status, (code, scope, r, row)
        if not withheld and r is not None:
            assert row["achievement"].startswith(f"{round(r * 100)}\u00a0%"), (code, scope, row)
            assert float(ach["value"].item()) == pytest.approx(r, abs=1e-4)
        shown_target = (f"{target:g}".replace(".", ",") + "\u00a0%" if KINDS[code] == "rate"
                        else None)
        if shown_target:
            assert row["target"].startswith(shown_target.replace(",0", "")) or \
                row["target"].startswith(f"{target:.1f}".replace(".", ",") + "\u00a0%"), row
        seen_cumulated_on_track += cumulated and status == "en bonne voie" and r is not None \
            and 0.75 <= r < 1
        seen_lower += code in LOWER and status not in ("non publiable", "non calculable")
    assert seen_cumulated_on_track, "an annual count between the prorata and 100 % is on track"
    assert seen_lower == 2, "both lower-is-better targets are judged"
    # the 79 % of the organisation's annual entries: « en bonne voie », never « atteint »
    org = rows[("ENT", f"{programme_label('ALL')} — {antenna_label('ALL')}")]
    assert org["achievement"].startswith("79\u00a0%") and org["status"] == "en bonne voie"
    assert "attendu 75\u00a0%" in org["achievement"]
    # the summary counts every target followed, as the table shows them
    statuses = [r["status"] for r in rows.values()]
    assert (f"Sur l'ensemble des {len(rows)} objectifs suivis ce trimestre" in _text(html)
            and f"{statuses.count('en retard')} en retard" in _text(html))
    # the legend stating the rule and the prorata is printed where the statuses are
    section = _text(html.split('id="chiffres-cles"')[1].split("</section>")[0])
    assert "Statut des objectifs" in section and "prorata 3/4" in section
    assert "objectif ÷ valeur" in section


def test_lower_is_better_achievement_is_target_over_value(world):
    html = world["delivery"].files["html"].read_text(encoding="utf-8")
    rows = target_rows(html)
    mart = world["mart"]
    for code, target in (("DELAI_EMPLOI", 90), ("ABD", 12)):
        value = mart[(mart.indicator_code == code) & (mart.programme == "ALL")
                     & (mart.antenna == "ALL") & (mart.dimension == "total")
                     & (mart.period_type == "quarter")
                     & (mart.period_start == QUARTER.start)]["value"].item()
        row = rows[(code, f"{programme_label('ALL')} — {antenna_label('ALL')}")]
        scaled = value * 100 if code == "ABD" else value
        assert row["achievement"].startswith(f"{round(target / scaled * 100)}\u00a0%"), row


def test_evidence_pack_fills_target_and_achievement_cells(world):
    book = openpyxl.load_workbook(world["pack"].xlsx)
    sheet = book["Indicateurs"]
    header = [c.value for c in sheet[1]]
    col = {name: header.index(name) for name in ("Code", "Trimestre", "Cible", "Atteinte",
                                                  "Statut")}
    targets = {(c, y, q): t for c, p, a, y, q, t in world["targets"]
               if (p, a) == ("SOCLE", "PARIS")}
    filled = 0
    for row in sheet.iter_rows(min_row=2):
        code = row[col["Code"]].value
        label = row[col["Trimestre"]].value  # « T3 2026 »
        q = Quarter.parse(f"{label.split()[1]}-Q{label[1]}")
        target = targets.get((code, q.year, q.number))
        if target is None and KINDS[code] in ("count", "sum"):
            target = targets.get((code, q.year, None))
        if target is None:
            assert row[col["Cible"]].value in (None, ""), (code, q)
            continue
        cible, atteinte = row[col["Cible"]], row[col["Atteinte"]]
        expected = target / 100 if KINDS[code] == "rate" else target
        assert cible.data_type == "n" and cible.value == pytest.approx(expected), (code, q)
        assert atteinte.value not in (None, ""), (code, q)
        assert row[col["Statut"]].value, (code, q)
        filled += 1
    assert filled >= 20


NUMERIC_TEXT = re.compile(r"^[+−-]?\d[\d\s\u202f\u00a0]*([,.]\d+)?\s*(%|j|h|pts?|jours?)?\*?"
                          r"(\s*\(.*\))?$")


def _text_numbers(path: Path) -> list[str]:
    out = []
    for sheet in openpyxl.load_workbook(path).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and NUMERIC_TEXT.match(cell.value.strip()):
                    out.append(f"{sheet.title}!{cell.coordinate}={cell.value!r}")
    return out


def test_every_number_in_the_workbooks_is_a_number(world):
    pack, delivery = world["pack"], world["delivery"]
    assert _text_numbers(pack.xlsx) == []
    assert _text_numbers(delivery.files["collecteur"]) == []
    book = openpyxl.load_workbook(pack.xlsx)
    numbers = [c for s in ("Cohortes", "Délai d'accès à l'emploi", "Indicateurs")
               for row in book[s].iter_rows(min_row=2) for c in row[1:] if c.data_type == "n"
               and c.value is not None]
    assert len(numbers) > 50
    assert all(c.number_format != "General" for c in numbers)


def test_collecteur_carries_mapped_targets_with_the_report_statuses(world):
    book = openpyxl.load_workbook(world["delivery"].files["collecteur"])
    sheet = book["Ensemble"]
    header = [c.value for c in sheet[1]]
    rows = {(r[0].value, r[1].value): r for r in sheet.iter_rows(min_row=2)}
    report = target_rows(world["delivery"].files["html"].read_text(encoding="utf-8"))
    checked = 0
    for (code, label) in (("ENT", "entrées"), ("ED_SORTIE", "emploi durable")):
        for (p, a), row in rows.items():
            target = row[header.index(f"Objectif {label}")]
            status = row[header.index(f"Statut {label}")].value
            scope = (f"{programme_label('ALL') if p == 'Tous programmes' else p} — "
                     f"{antenna_label('ALL') if a == 'Toutes antennes' else a}")
            shown = next((v for (c, s), v in report.items() if c == code and s.lower()
                          == scope.lower()), None)
            if shown is None:
                assert target.value is None and status is None, (code, p, a)
                continue
            assert target.data_type == "n" and status == shown["status"], (code, p, a)
            checked += 1
    assert checked >= 3
    cover = " ".join(str(c.value) for r in book["Informations"].iter_rows() for c in r
                     if c.value is not None)
    assert "Statut des objectifs" in cover and "prorata 3/4" in cover
