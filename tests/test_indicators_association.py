"""The whole association's indicators (issue 27; docs/indicators.md § 11) against a second,
naive implementation.

One `dbt build` (module fixture, DuckDB) of `indicator_values` and what it needs, on a small
synthetic CRM and the demo spreadsheets of the same day, plus one file per kind of boundary rows
the demo does not have (TOUS / TOUTES rows, a programme outside the reference, a campaign over a
quarter's edge, blank vs 0 people reached). Every row of the mart for the spreadsheet indicators
is compared with a pandas computation from the staged spreadsheets, written from the definitions
(which record counts in which period and scope), not from the SQL: for every period and scope,
dense total rows, and disaggregated rows where there is something to count.
"""

from __future__ import annotations

import csv
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest

from common.warehouse import connect
from connectors.crm.raw_tables import ensure_raw_crm_tables
from connectors.crm.schema import RESOURCES
from connectors.pseudonyms import rebuild_pseudonyms
from connectors.sheets.loader import load_spreadsheets
from connectors.sheets.schema import ensure_tables
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm.world import World
from orchestration.catalogue import indicator_codes
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.test_marts import KEY, _frame

PROJECT_ROOT = Path(__file__).resolve().parent.parent
AS_OF = date(2026, 5, 20)
T0 = datetime(2026, 5, 20, 6, 0)
PERIOD_TYPES = ("month", "quarter", "year", "cumulative")
STAGES = ("etude", "partenariats", "financement", "recrutement", "ouverture",
          "premiers_participants", "autonomie")

# Boundary rows the demo files do not have, one file per kind (headers as staff type them).
EDGES: dict[str, list[list[object]]] = {
    "communication": [
        ["ID", "Date", "Date fin", "Type", "Antenne", "Public", "Titre", "Personnes touchées",
         "Entreprises touchées"],
        # A campaign over the T1/T2 edge: an action in both quarters, its people in T1 only.
        ["EDGE-C1", date(2026, 3, 25), date(2026, 4, 5), "Campagne", "LYON", "Grand public",
         "Campagne de printemps", 500, None],
        ["EDGE-C2", date(2026, 4, 1), None, "Événement", "LYON", "Entreprises",
         "Rencontre", 0, 0],  # 0 people: a known 0
        ["EDGE-C3", date(2026, 4, 2), None, "Média", "LYON", "Grand public", "Article", None,
         None],  # blank: unknown, adds nothing
    ],
    "satisfaction": [
        ["Date", "Programme", "Antenne", "Moment", "Note globale", "Recommande"],
        [date(2026, 4, 3), "TOUS", "PARIS", "Sortie", 4, None],  # note exactly 4, not answered
        [date(2026, 4, 3), "SOCLE_FEMMES", "TOUTES", "En cours", 3, "non"],
        [date(2026, 4, 4), "NOUVEAU", "LYON", "Six mois", 5, "oui"],  # code outside the seed
    ],
    "retours": [
        ["ID", "Date réception", "Canal", "Type", "Catégorie", "Programme", "Antenne",
         "Date réponse", "Statut"],
        ["EDGE-R1", date(2026, 1, 10), "Oral", "Plainte", "Accueil", "AVEC", "LYON",
         date(2026, 2, 9), "clos"],  # answered on the 30th day
        ["EDGE-R2", date(2026, 1, 10), "Oral", "Plainte", "Accueil", "AVEC", "LYON",
         date(2026, 2, 10), "clos"],  # on the 31st
        ["EDGE-R3", date(2026, 1, 12), "Oral", "Signalement", "Sécurité", "AVEC", "LYON",
         date(2026, 1, 13), "traite"],  # sensitive: organisation total only
    ],
    "budget": [
        ["Année", "Trimestre", "Axe", "Programme", "Antenne", "Budget (EUR)", "Dépense (EUR)"],
        [2026, "T1", "AVEC", "AVEC", "LYON", 100, 120],  # over-executed: 120 %
        [2025, None, "SOCLE", "SOCLE_FEMMES", "LYON", 1000, None],  # yearly, nothing spent yet
    ],
    "jalons": [
        ["ID", "Axe", "Jalon", "Territoire", "Étape", "Date prévue", "Date réelle", "Statut"],
        ["EDGE-J1", "ESSAIMAGE", "Étude à Marseille", "MARSEILLE", "Étude", date(2026, 1, 31),
         date(2026, 2, 1), "Atteint"],  # a day late
        ["EDGE-J2", "ESSAIMAGE", "Ouverture à Marseille", "MARSEILLE", "Ouverture",
         date(2026, 3, 31), date(2026, 3, 31), "Atteint"],  # on the day, before partnerships
        ["EDGE-J3", "ESSAIMAGE", "Partenariats à Marseille", "MARSEILLE", "Partenariats",
         date(2026, 2, 15), None, "Abandonné"],
        ["EDGE-J4", "SEA", "Revue à mi-parcours", None, None, date(2026, 2, 15), None,
         "Abandonné"],
    ],
}


def _write_xlsx(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("association_indicators")
    path = work / "warehouse.duckdb"
    world = World(seed=5, participants=150)
    folder = work / "sheets"
    write_demo_spreadsheets(folder, demo_participants(world), as_of=AS_OF)
    for kind, rows in EDGES.items():
        _write_xlsx(folder / f"{kind}_limites.xlsx", rows)
    with connect(path) as wh:
        ensure_raw_crm_tables(wh)
        ensure_tables(wh, "raw")
        for resource in RESOURCES:
            records = [{k: (None if v is None else str(v).lower() if isinstance(v, bool)
                            else str(v)) for k, v in record.items()}
                       for record in world.records(resource)]
            wh.insert_df(f"raw.crm_{resource}", _frame(resource, records))
        rebuild_pseudonyms(wh, KEY)
        report = load_spreadsheets(
            wh, folder, known_participant_ids={p["id"]
                                               for p in world.records("participants")},
            erased_participant_ids=set(), known_indicator_codes=set(indicator_codes()),
            loaded_at=T0)
        assert not any(report.rows_quarantined[kind] for kind in EDGES), report
    env = {"SEA_AS_OF": AS_OF.isoformat(), "SEA_DBT_TARGET": "duckdb",
           "SEA_DUCKDB_PATH": str(path)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        dbt = in_process_dbt(sea_dbt_project("duckdb"))
        invocation = dbt.cli(
            ["build", "--quiet", "--no-partial-parse", "--indirect-selection", "cautious",
             "--select", "+indicator_values",
             "--exclude", "resource_type:unit_test"],
            target_path=work / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    return path


# --------------------------------------------------------------------------- the re-implementation
def _ancestors() -> dict[str, list[str]]:
    """Programme → its ancestors, from the programme reference seed."""
    with (PROJECT_ROOT / "dbt_project/seeds/programme_reference.csv").open(
            encoding="utf-8", newline="") as handle:
        parents = {r["programme"].strip().upper(): (r["parent_programme"] or "").strip().upper()
                   for r in csv.DictReader(handle)}
    out = {}
    for code in parents:
        chain, parent = [], parents[code]
        while parent and parent not in chain:
            chain.append(parent)
            parent = parents.get(parent, "")
        out[code] = chain
    return out


ANCESTORS = _ancestors()


def scopes_of(programme: str | None, antenna: str | None,
              antenna_rollup: bool = True) -> list[tuple[str, str]]:
    """The scopes a record counts in: a TOUS / TOUTES (ALL) value only in ALL."""
    programme, antenna = programme or "ALL", antenna or "ALL"
    programmes = ["ALL"] if programme == "ALL" else [programme,
                                                     *ANCESTORS.get(programme, []), "ALL"]
    antennas = ([] if antenna == "ALL" else [antenna]) + (["ALL"] if antenna_rollup else [])
    return [(p, a) for p in programmes for a in antennas]


class Reference:
    """Expected rows: key (code, period_type, start, programme, antenna, dimension, value) →
    (numerator, denominator, value)."""

    def __init__(self, periods: list[tuple[str, date, date]]) -> None:
        self.periods = periods
        self.rows: dict[tuple, tuple[float | None, float | None, float | None]] = {}

    def add(self, code: str, records: Iterable[dict], *, kind: str,
            in_period: Callable[[dict, date, date], bool],
            num: Callable[[dict], float] = lambda r: 1.0,
            den: Callable[[dict], float] = lambda r: 1.0,
            dimension: tuple[str, str] | None = None,
            split: Callable[[dict], bool] = lambda r: True,
            antenna_rollup: bool = True, organisation_row: bool = True) -> None:
        """kind: 'count' / 'sum' (Σ num), 'rate' (Σ num / Σ den), 'distinct' (distinct num
        values, None left out), 'max' (largest num, 0 with none)."""
        records = list(records)
        scopes = {s for r in records
                  for s in scopes_of(r["programme"], r["antenna"], antenna_rollup)}
        if organisation_row:
            scopes.add(("ALL", "ALL"))
        for ptype, start, end in self.periods:
            inside = [r for r in records if in_period(r, start, end)]
            groups: dict[tuple, list[dict]] = defaultdict(list)
            for r in inside:
                for scope in scopes_of(r["programme"], r["antenna"], antenna_rollup):
                    groups[scope, "total", "total"].append(r)
                    if dimension and split(r):
                        groups[scope, dimension[0], r[dimension[1]] or "unknown"].append(r)
            for scope in scopes:
                groups.setdefault((scope, "total", "total"), [])
            for (scope, dim, dim_value), rs in groups.items():
                key = (code, ptype, start, scope[0], scope[1], dim, dim_value)
                if kind == "rate":
                    n, d = sum(num(r) for r in rs), sum(den(r) for r in rs)
                    if dim != "total" and d <= 0:
                        continue
                    self.rows[key] = (n, d, n / d if d else None)
                    continue
                if kind in ("count", "sum"):
                    v = float(sum(num(r) for r in rs))
                elif kind == "distinct":
                    v = float(len({num(r) for r in rs} - {None}))
                else:
                    v = float(max([num(r) for r in rs if num(r) is not None], default=0))
                if dim != "total" and v <= 0:
                    continue
                self.rows[key] = (None, None, v)


def _records(con: duckdb.DuckDBPyConnection, table: str) -> list[dict]:
    frame = con.execute(f"select * from staging.{table}").df()
    frame = frame.astype(object).where(frame.notna(), None)
    for column in frame.columns:
        if column.endswith("_date"):
            frame[column] = frame[column].map(lambda v: None if v is None else pd.Timestamp(v)
                                              .date())
    return frame.to_dict("records")


def _on(column: str) -> Callable[[dict, date, date], bool]:
    return lambda r, s, e: r[column] is not None and s <= r[column] <= e


def reference(con: duckdb.DuckDBPyConnection) -> Reference:
    periods = [(p, s.date(), e.date()) for p, s, e in con.execute(
        "select period_type, period_start, period_end from intermediate.int_periods").fetchall()
        for s, e in [(pd.Timestamp(s), pd.Timestamp(e))]]
    ref = Reference(periods)

    # Feedback: sensitive reports are staged in (ALL, ALL) and kept out of the type breakdown.
    retours = _records(con, "stg_sheets__retours")
    grievance = {"plainte", "signalement"}
    ref.add("RET_RECUS", retours, kind="count", in_period=_on("received_date"),
            dimension=("type", "feedback_type"), split=lambda r: not r["is_sensitive"])
    ref.add("RET_DELAI_30J", retours, kind="rate", in_period=_on("received_date"),
            den=lambda r: float(r["feedback_type"] in grievance),
            num=lambda r: float(r["feedback_type"] in grievance and r["answered_date"] is not None
                                and r["answered_date"] <= r["received_date"]
                                + timedelta(days=30)))

    satisfaction = _records(con, "stg_sheets__satisfaction")
    ref.add("SAT", satisfaction, kind="rate", in_period=_on("answer_date"),
            num=lambda r: float(r["overall_score"] >= 4), dimension=("moment", "moment"))
    ref.add("RECO", satisfaction, kind="rate", in_period=_on("answer_date"),
            num=lambda r: float(r["recommends"] is True),
            den=lambda r: float(r["recommends"] is not None))

    communication = [{**r, "programme": "ALL"} for r in _records(con, "stg_sheets__communication")]
    spans = lambda r, s, e: r["action_date"] <= e and r["end_date"] >= s  # noqa: E731
    ref.add("COM_ACT", communication, kind="count", in_period=spans)
    ref.add("COM_PERS", communication, kind="sum", in_period=_on("action_date"),
            num=lambda r: r["people_reached"] or 0)
    ref.add("COM_ENT", communication, kind="sum", in_period=_on("action_date"),
            num=lambda r: r["companies_reached"] or 0)

    jalons = [{**r, "programme": "ALL", "antenna": r["territory"]}
              for r in _records(con, "stg_sheets__jalons")]
    ref.add("JAL_ATTEINTS", jalons, kind="rate", in_period=_on("planned_date"),
            den=lambda r: float(r["status"] != "abandonne"),
            num=lambda r: float(r["status"] == "atteint"
                                and r["achieved_date"] <= r["planned_date"]),
            dimension=("axe", "axis"))
    essaimage = [r for r in jalons if r["axis"] == "ESSAIMAGE"]
    by_end = lambda r, s, e: (r["status"] == "atteint"  # noqa: E731
                              and r["achieved_date"] is not None and r["achieved_date"] <= e)
    ref.add("ESS_ETAPE", essaimage, kind="max", in_period=by_end, antenna_rollup=False,
            organisation_row=False,
            num=lambda r: STAGES.index(r["stage"]) + 1 if r["stage"] else None)
    ref.add("ESS_OUVERTES", [{**r, "antenna": "ALL"} for r in essaimage], kind="distinct",
            in_period=lambda r, s, e: by_end(r, s, e) and r["stage"] == "ouverture",
            num=lambda r: r["territory"])

    # Budget lines: a line counts in the periods holding its whole period (a quarter, or the
    # year when `trimestre` is blank); a blank amount adds 0.
    lines = []
    for r in _records(con, "stg_sheets__budget"):
        year, quarter = int(r["budget_year"]), r["budget_quarter"]
        if quarter is None or pd.isna(quarter):
            start, end = date(year, 1, 1), date(year, 12, 31)
        else:
            start = date(year, 3 * int(quarter) - 2, 1)
            end = (date(year + 1, 1, 1) if int(quarter) == 4
                   else date(year, 3 * int(quarter) + 1, 1)) - timedelta(days=1)
        lines.append({**r, "line_start": start, "line_end": end})
    contained = lambda r, s, e: s <= r["line_start"] and r["line_end"] <= e  # noqa: E731
    ref.add("BUD_EXEC", lines, kind="rate", in_period=contained,
            num=lambda r: r["spent_eur"] or 0.0, den=lambda r: r["budget_eur"] or 0.0,
            dimension=("axe", "axis"))
    _costs(con, ref, [r for r in lines if r["axis"] in ("AVEC", "SOCLE")], contained)
    return ref


def _costs(con: duckdb.DuckDBPyConnection, ref: Reference, lines: list[dict],
           contained: Callable[[dict, date, date], bool]) -> None:
    """COUT_PART and COUT_SD over the enrolment scopes: the spending of the AVEC and SOCLE lines
    of the scope and period ÷ distinct active participants / dynamic exits; null when either
    is 0. The counted enrolments and SD_SORTIE's numerator are the CRM side, checked by
    tests/test_marts.py."""
    counted = con.execute(
        "select participant_key, programme, antenna, start_date, end_date "
        "from intermediate.int_enrolments_counted").fetchall()
    scopes = {(p, a) for p, a in con.execute(
        "select distinct scope_programme, scope_antenna from intermediate.int_scope_map")
        .fetchall()}
    sd = {(r[0], pd.Timestamp(r[1]).date(), r[2], r[3]): r[4] for r in con.execute(
        "select period_type, period_start, programme, antenna, numerator "
        "from marts.indicator_values where indicator_code = 'SD_SORTIE' "
        "and dimension = 'total'").fetchall()}
    for ptype, start, end in ref.periods:
        spending: dict[tuple[str, str], float] = defaultdict(float)
        for r in lines:
            if contained(r, start, end) and r["spent_eur"] is not None:
                for scope in scopes_of(r["programme"], r["antenna"]):
                    spending[scope] += r["spent_eur"]
        for scope in scopes:
            spent = spending.get(scope, 0.0)
            persons = {key for key, p, a, s, e in counted
                       if s <= end and (e is None or e >= start)
                       and scope in scopes_of(p, a)} if spent else set()
            exits = sd.get((ptype, start, *scope)) or 0
            ref.rows["COUT_PART", ptype, start, *scope, "total", "total"] = (
                None, None, spent / len(persons) if spent and persons else None)
            ref.rows["COUT_SD", ptype, start, *scope, "total", "total"] = (
                None, None, spent / exits if spent and exits else None)


CODES = ("RET_RECUS", "RET_DELAI_30J", "SAT", "RECO", "COM_ACT", "COM_PERS", "COM_ENT",
         "JAL_ATTEINTS", "ESS_ETAPE", "ESS_OUVERTES", "BUD_EXEC", "COUT_PART", "COUT_SD")


@pytest.fixture(scope="module")
def compared(warehouse: Path) -> tuple[dict, dict]:
    """(expected, actual) rows of the spreadsheet indicators."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        expected = reference(con).rows
        actual = {}
        for r in con.execute(
                "select indicator_code, period_type, period_start, programme, antenna, "
                "dimension, dimension_value, numerator, denominator, value "
                "from marts.indicator_values where indicator_code in "
                f"({', '.join(repr(c) for c in CODES)})").fetchall():
            actual[(r[0], r[1], r[2], *r[3:7])] = tuple(r[7:10])
    return expected, actual


def _same(a: float | None, b: float | None) -> bool:
    a = None if a is None or (isinstance(a, float) and math.isnan(a)) else a
    b = None if b is None or (isinstance(b, float) and math.isnan(b)) else b
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))


@pytest.mark.parametrize("code", CODES)
def test_every_row_agrees_with_the_definition(compared: tuple[dict, dict], code: str) -> None:
    expected, actual = compared
    mine = {k: v for k, v in expected.items() if k[0] == code}
    theirs = {k: v for k, v in actual.items() if k[0] == code}
    assert set(mine) == set(theirs), (sorted(set(mine) - set(theirs))[:5],
                                      sorted(set(theirs) - set(mine))[:5])
    differences = [(k, mine[k], theirs[k]) for k in mine
                   if not all(_same(x, y) for x, y in zip(mine[k], theirs[k], strict=True))]
    assert not differences, differences[:5]
    # Something was computed, not only empty rows.
    assert any((v[1] or 0) > 0 or (v[2] or 0) > 0 for v in mine.values()), code


def _value(actual: dict, code: str, period_type: str, start: date, programme: str = "ALL",
           antenna: str = "ALL", dimension: str = "total",
           dimension_value: str = "total") -> tuple:
    return actual[(code, period_type, start, programme, antenna, dimension, dimension_value)]


def test_boundaries_in_the_mart(compared: tuple[dict, dict]) -> None:
    """The boundary rows of EDGES, in scopes (LYON, MARSEILLE, NOUVEAU) only they reach."""
    _, actual = compared
    q1, q2 = date(2026, 1, 1), date(2026, 4, 1)
    # Answered on the 30th day in time, on the 31st late; the sensitive report only in ALL/ALL.
    assert _value(actual, "RET_DELAI_30J", "month", q1, "AVEC", "LYON") == (1, 2, 0.5)
    assert _value(actual, "RET_DELAI_30J", "month", q1, "ALL", "LYON") == (1, 2, 0.5)
    assert _value(actual, "RET_RECUS", "month", q1, "ALL", "LYON")[2] == 2
    assert ("RET_RECUS", "month", q1, "ALL", "LYON", "type", "signalement") not in actual
    # The campaign of 25 March – 5 April is an action of T1 and of T2, its 500 people in T1;
    # in T2 a 0 and a blank add nothing.
    assert _value(actual, "COM_ACT", "quarter", q1, antenna="LYON")[2] == 1
    assert _value(actual, "COM_ACT", "quarter", q2, antenna="LYON")[2] == 3
    assert _value(actual, "COM_ACT", "year", q1, antenna="LYON")[2] == 3
    assert _value(actual, "COM_PERS", "quarter", q1, antenna="LYON")[2] == 500
    assert _value(actual, "COM_PERS", "quarter", q2, antenna="LYON")[2] == 0
    assert _value(actual, "COM_ENT", "quarter", q2, antenna="LYON")[2] == 0
    # A programme outside the reference is its own scope; TOUS rows never in a programme.
    assert _value(actual, "SAT", "month", q2, "NOUVEAU", "LYON") == (1, 1, 1.0)
    assert _value(actual, "RECO", "month", q2, "NOUVEAU", "LYON") == (1, 1, 1.0)
    assert not any(k[3] in ("TOUS", "TOUTES") or k[4] in ("TOUS", "TOUTES") for k in actual)
    # Marseille: achieved a day late (J1) and on the day (J2), J3 abandoned.
    assert _value(actual, "JAL_ATTEINTS", "quarter", q1, antenna="MARSEILLE") == (1, 2, 0.5)
    assert _value(actual, "ESS_ETAPE", "month", q1, antenna="MARSEILLE")[2] == 0
    assert _value(actual, "ESS_ETAPE", "month", date(2026, 2, 1), antenna="MARSEILLE")[2] == 1
    assert _value(actual, "ESS_ETAPE", "month", date(2026, 3, 1), antenna="MARSEILLE")[2] == 5
    assert not any(k[0] == "ESS_ETAPE" and k[4] == "ALL" for k in actual)


def test_sensitive_reports_only_in_the_organisation_total(warehouse: Path) -> None:
    """Per period, the organisation's RET_RECUS exceeds the sum of its type breakdown by exactly
    the sensitive reports received in it (the demo's RET-900 and EDGE-R3)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        gaps = con.execute(
            "select t.period_type, t.period_start, t.value - coalesce(sum(d.value), 0) "
            "from marts.indicator_values as t left join marts.indicator_values as d "
            "on d.indicator_code = t.indicator_code and d.period_type = t.period_type "
            "and d.period_start = t.period_start and d.programme = 'ALL' and d.antenna = 'ALL' "
            "and d.dimension = 'type' "
            "where t.indicator_code = 'RET_RECUS' and t.programme = 'ALL' and t.antenna = 'ALL' "
            "and t.dimension = 'total' and t.period_type = 'cumulative' "
            "group by t.period_type, t.period_start, t.value").fetchall()
        sensitive = con.execute(
            "select count(*) from staging.stg_sheets__retours where is_sensitive").fetchone()[0]
    assert sensitive == 2
    assert [g[2] for g in gaps] == [2]


def test_budget_lines_and_costs(compared: tuple[dict, dict]) -> None:
    """A yearly line belongs to its year and to no quarter; spending over the budget is above
    100 %; a cost is null where nothing is spent (months, the quarters of a year of yearly
    lines) and computed where both sides are known."""
    _, actual = compared
    y25, y26 = date(2025, 1, 1), date(2026, 1, 1)
    assert _value(actual, "BUD_EXEC", "quarter", y26, "AVEC", "LYON") == (120, 100, 1.2)
    assert _value(actual, "BUD_EXEC", "year", y26, "AVEC", "LYON") == (120, 100, 1.2)
    assert _value(actual, "BUD_EXEC", "month", y26, "AVEC", "LYON")[:2] == (0, 0)
    assert _value(actual, "BUD_EXEC", "year", y25, "SOCLE_FEMMES", "LYON") == (0, 1000, 0.0)
    assert _value(actual, "BUD_EXEC", "quarter", y25, "SOCLE_FEMMES", "LYON")[:2] == (0, 0)
    # The demo has yearly lines for 2025 and quarterly lines for 2026.
    for code in ("COUT_PART", "COUT_SD"):
        assert _value(actual, code, "quarter", y25)[2] is None
        assert _value(actual, code, "month", y26)[2] is None
    assert _value(actual, "COUT_PART", "year", y25)[2] > 0
    assert _value(actual, "COUT_PART", "quarter", y26)[2] > 0
    assert not any(k[0].startswith("COUT_") and v[:2] != (None, None) for k, v in actual.items())
