"""Quarterly deliverables (docs/outputs.md#4-quarterly-deliverables,
docs/outputs.md#5-disclosure-control).

The tests build their own small warehouse: enrolments are simulated (programmes with a nested
sub-programme, antennas, sexes, age bands, exits and outcomes) and aggregated the way
`docs/indicators.md` defines the mart, so rollups add up as in the real `marts.indicator_values`,
small cells exist, and a change in the simulated data moves the right figures.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, timedelta
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from common.quarters import Quarter, last_complete_quarter, last_quarters
from common.warehouse import connect
from reports import (
    LearningInputs,
    QualityCheck,
    QualityGateError,
    QualitySummary,
    Waiver,
    build_quarterly_deliverables,
)
from reports.collecteur import MappingError, load_mapping
from reports.formatting import number, percent

QUARTER = "2026-Q3"
AS_OF = date(2026, 10, 15)
K = 5

CATALOGUE = [
    # code, label, level, type, unit, direction, pic, disaggregated
    ("ENT", "Entrées en parcours", "réalisation", "count", "parcours", "higher", True, True),
    ("ENT_P", "Personnes entrées", "réalisation", "count", "personnes", "higher", True, False),
    ("ENT_F", "Part de femmes parmi les entrées", "réalisation", "rate", "taux", "higher",
     True, True),
    ("ACT", "File active", "réalisation", "count", "parcours", "higher", True, True),
    ("HRS", "Heures d'accompagnement réalisées", "réalisation", "sum", "heures", "higher",
     False, False),
    ("EMP_ENG", "Entreprises mobilisées", "réalisation", "count", "employeurs", "higher",
     False, False),
    ("SOR", "Sorties de parcours", "résultat", "count", "parcours", "higher", True, True),
    ("ABD", "Taux d'abandon", "résultat", "rate", "taux", "lower", False, True),
    ("SD_SORTIE", "Taux de sorties dynamiques à la sortie", "résultat", "rate", "taux",
     "higher", True, True),
    ("ED_SORTIE", "Taux d'emploi durable à la sortie", "résultat", "rate", "taux", "higher",
     True, True),
    ("EMP_SORTIE", "Taux d'emploi à la sortie (durable ou de transition)", "résultat", "rate",
     "taux", "higher", True, True),
    ("SP_SORTIE", "Taux de sorties positives à la sortie (formation, SIAE)", "résultat", "rate",
     "taux", "higher", True, True),
    ("SD_6M", "Taux de sorties dynamiques à 6 mois", "résultat", "rate", "taux", "higher",
     True, True),
    ("SUIVI_6M", "Taux de situations connues à 6 mois", "résultat", "rate", "taux", "higher",
     False, True),
    ("DELAI_EMPLOI", "Délai médian d'accès à l'emploi (jours)", "résultat", "median", "jours",
     "lower", False, True),
]
PARENTS = {"SOCLE": None, "SOCLE_FEMMES": "SOCLE", "AVEC": None, "PASS_NUMERIQUE": None}


# -- a simulated programme -------------------------------------------------------------------
@dataclass
class Enrolment:
    person: int
    programme: str
    antenna: str
    sex: str
    age_band: str
    start: date
    end: date | None
    dropout: bool
    outcome: str  # durable, transition, positive, none
    outcome_6m: str
    known_6m: bool
    days_to_job: int | None
    hours: float


def simulate(seed: int = 7, extra_antenna: str | None = None) -> list[Enrolment]:
    rng = random.Random(seed)
    out: list[Enrolment] = []
    first = date(2024, 4, 1)
    span = (AS_OF - first).days
    for i in range(900):
        programme = rng.choices(list(PARENTS), weights=[45, 15, 35, 5])[0]
        antenna = rng.choices(["PARIS", "BORDEAUX"], weights=[65, 35])[0]
        sex = "F" if programme == "SOCLE_FEMMES" else rng.choices(
            ["F", "M", "X", "unknown"], weights=[30, 67, 1, 2])[0]
        age = rng.choices(["<26", "26-44", "45+", "unknown"], weights=[30, 55, 13, 2])[0]
        start = first + timedelta(days=rng.randrange(span))
        length = rng.randint(40, 300)
        end = start + timedelta(days=length)
        if end > AS_OF:
            end = None
        dropout = rng.random() < 0.15
        outcome = "none" if dropout else rng.choices(
            ["durable", "transition", "positive", "none"], weights=[25, 20, 15, 40])[0]
        outcome_6m = outcome if rng.random() < 0.7 else rng.choice(["durable", "none"])
        days = rng.randint(20, 240) if outcome in ("durable", "transition") else None
        person = i if rng.random() > 0.08 else max(0, i - 1)
        out.append(Enrolment(person, programme, antenna, sex, age, start, end, dropout, outcome,
                             outcome_6m, rng.random() < 0.8, days, rng.uniform(2, 30)))
    if extra_antenna:  # a new antenna opens in the reporting quarter
        for j in range(14):
            start = date(2026, 7, 1) + timedelta(days=rng.randrange(80))
            out.append(Enrolment(10_000 + j, rng.choice(["SOCLE", "AVEC"]), extra_antenna,
                                 rng.choice(["F", "M"]), rng.choice(["<26", "26-44"]), start,
                                 None, False, "none", "none", False, None, 4.0))
    return out


def _m6(d: date) -> date:
    month = d.month + 6
    year, month = d.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def indicator_rows(enrolments: list[Enrolment], quarters: list[Quarter],
                   targets: dict) -> pd.DataFrame:
    """Aggregate like the mart: scopes = programme rollups x antenna rollups, one breakdown at a
    time, disaggregated rows only where something is counted."""
    rows = []

    def scopes(e: Enrolment) -> list[tuple[str, str]]:
        progs = [e.programme, "ALL"] + ([PARENTS[e.programme]] if PARENTS[e.programme] else [])
        return [(p, a) for p in progs for a in (e.antenna, "ALL")]

    all_scopes = sorted({s for e in enrolments for s in scopes(e)})
    for q in quarters:
        ent = [e for e in enrolments if q.start <= e.start <= q.end]
        act = [e for e in enrolments if e.start <= q.end and (e.end is None or e.end >= q.start)]
        sor = [e for e in enrolments if e.end and q.start <= e.end <= q.end]
        coh = [e for e in enrolments if e.end and q.start <= _m6(e.end) <= q.end
               and _m6(e.end) + timedelta(days=45) <= AS_OF]
        specs = {
            "ENT": ("count", ent, None), "ACT": ("count", act, None), "SOR": ("count", sor, None),
            "ENT_F": ("rate", ent, lambda e: e.sex == "F"),
            "ABD": ("rate", sor, lambda e: e.dropout),
            "SD_SORTIE": ("rate", sor, lambda e: e.outcome != "none"),
            "ED_SORTIE": ("rate", sor, lambda e: e.outcome == "durable"),
            "EMP_SORTIE": ("rate", sor, lambda e: e.outcome in ("durable", "transition")),
            "SP_SORTIE": ("rate", sor, lambda e: e.outcome == "positive"),
            "SD_6M": ("rate", coh, lambda e: e.outcome_6m != "none"),
            "SUIVI_6M": ("rate", coh, lambda e: e.known_6m),
            "DELAI_EMPLOI": ("median", sor, None),
        }
        for scope in all_scopes:
            def inscope(pop, scope=scope):
                return [e for e in pop if scope in scopes(e)]

            base = dict(period_type="quarter", period_start=q.start, period_end=q.end,
                        programme=scope[0], antenna=scope[1], as_of=AS_OF)
            for code, (kind, pop, pred) in specs.items():
                members = inscope(pop)
                for dim in ("total", "sex", "age_band"):
                    values = ["total"] if dim == "total" else sorted(
                        {getattr(e, dim) for e in members})
                    for val in values:
                        sub = members if dim == "total" else [
                            e for e in members if getattr(e, dim) == val]
                        row = dict(base, indicator_code=code, dimension=dim,
                                   dimension_value=val, numerator=None, denominator=None,
                                   value=None, target=None, achievement=None)
                        if kind == "count":
                            row["value"] = float(len(sub))
                        elif kind == "rate":
                            num = sum(1 for e in sub if pred(e))
                            row.update(numerator=float(num), denominator=float(len(sub)),
                                       value=num / len(sub) if sub else None)
                        else:
                            days = [e.days_to_job for e in sub if e.days_to_job is not None]
                            row["value"] = _median(days)
                            # DELAI_EMPLOI: no population in the mart -> SOR count is used
                        if dim != "total" and not sub:
                            continue
                        rows.append(row)
            if scope[0] != "ALL" or True:
                persons = {e.person for e in inscope(ent)}
                rows.append(dict(base, indicator_code="ENT_P", dimension="total",
                                 dimension_value="total", numerator=None, denominator=None,
                                 value=float(len(persons)), target=None, achievement=None))
                rows.append(dict(base, indicator_code="HRS", dimension="total",
                                 dimension_value="total", numerator=None, denominator=None,
                                 value=round(sum(e.hours for e in inscope(act)), 1),
                                 target=None, achievement=None))
        for antenna, n in (("ALL", 31), ("PARIS", 22), ("BORDEAUX", 9)):
            rows.append(dict(period_type="quarter", period_start=q.start, period_end=q.end,
                             programme="ALL", antenna=antenna, as_of=AS_OF,
                             indicator_code="EMP_ENG", dimension="total", dimension_value="total",
                             numerator=None, denominator=None, value=float(n + q.number),
                             target=None, achievement=None))
    df = pd.DataFrame(rows)
    _attach_targets(df, targets)
    return df


def _attach_targets(df: pd.DataFrame, targets: dict) -> None:
    for (code, programme, antenna), (target, annual) in targets.items():
        sel = ((df.indicator_code == code) & (df.programme == programme)
               & (df.antenna == antenna) & (df.dimension == "total"))
        for idx in df.index[sel]:
            value = df.at[idx, "value"]
            df.at[idx, "target"] = target
            if annual:  # year to date against the annual target
                start = date(df.at[idx, "period_start"].year, 1, 1)
                ytd = df[sel & (df.period_start >= start)
                         & (df.period_end <= df.at[idx, "period_end"])]["value"].sum()
                df.at[idx, "achievement"] = ytd / target
            elif code == "DELAI_EMPLOI":
                df.at[idx, "achievement"] = target / value if value else None
            elif value is not None and not pd.isna(value):
                is_rate = code in {c for c, *_, in CATALOGUE if _[2] == "rate"}
                df.at[idx, "achievement"] = value * 100 / target if is_rate else value / target


TARGETS = {
    ("ENT", "ALL", "ALL"): (90.0, False),
    ("SOR", "ALL", "ALL"): (70.0, False),
    ("SD_SORTIE", "ALL", "ALL"): (55.0, False),
    ("ED_SORTIE", "ALL", "ALL"): (30.0, False),
    ("SD_6M", "ALL", "ALL"): (60.0, False),
    ("DELAI_EMPLOI", "ALL", "ALL"): (100.0, False),
    ("ENT", "SOCLE", "ALL"): (160.0, True),
    ("ENT", "AVEC", "ALL"): (130.0, True),
}


def make_warehouse(path: Path, *, seed: int = 7, extra_antenna: str | None = None,
                   with_km: bool = True, bump: int = 0) -> Path:
    """A DuckDB warehouse with the marts the deliverables read. `bump` adds entries in the
    reporting quarter (a late data correction)."""
    enrolments = simulate(seed, extra_antenna)
    for j in range(bump):
        enrolments.append(Enrolment(20_000 + j, "AVEC", "PARIS", "M", "26-44",
                                    date(2026, 8, 3), None, False, "none", "none", False, None,
                                    3.0))
    df = indicator_rows(enrolments, last_quarters(QUARTER, 8), TARGETS)
    cat = pd.DataFrame(
        [dict(indicator_code=c, label_fr=lab, level=lev, indicator_type=t, unit=u, direction=d,
              source="CRM", frequency="trimestrielle", owner="charge_suivi_evaluation",
              baseline_value=None, baseline_year=None, pic=pic, disaggregated=dis,
              description_fr=f"{lab} : définition du catalogue ({c}).")
         for c, lab, lev, t, u, d, pic, dis in CATALOGUE])
    progs = pd.DataFrame([dict(programme_code=p, parent_code=parent, label_fr=p)
                          for p, parent in PARENTS.items()])
    wh = connect(path)
    try:
        for schema in ("marts", "reference"):
            wh.ensure_schema(schema)
        for name, frame in (("marts.indicator_values", df),
                            ("reference.indicator_catalogue", cat),
                            ("reference.programmes", progs)):
            wh.execute(f"drop table if exists {name}")
            con = wh._con  # noqa: SLF001 - test fixture: create from a frame
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        wh.execute("drop table if exists marts.time_to_employment")
        if with_km:
            km = km_rows(enrolments)
            wh._con.register("frame", km)  # noqa: SLF001
            wh._con.execute("create table marts.time_to_employment as select * from frame")
            wh._con.unregister("frame")
    finally:
        wh.close()
    return path


def km_rows(enrolments: list[Enrolment]) -> pd.DataFrame:
    rows = []
    for programme in ["ALL", *PARENTS]:
        pop = [e for e in enrolments if e.end and (programme == "ALL" or e.programme == programme)]
        survival = 1.0
        for day in range(0, 390, 30):
            at_risk = [e for e in pop if (e.days_to_job or 10_000) >= day]
            events = [e for e in at_risk if e.days_to_job is not None
                      and day <= e.days_to_job < day + 30]
            if at_risk:
                survival *= 1 - len(events) / len(at_risk)
            rows.append(dict(programme=programme, day=day, at_risk=len(at_risk),
                             events=len(events), censored=0, survival=survival))
    return pd.DataFrame(rows)


# -- fixtures ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def base_warehouse(tmp_path_factory) -> Path:
    return make_warehouse(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")


@pytest.fixture
def warehouse(base_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy: tests that change the data do not disturb the others."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copy(base_warehouse, target)
    return target


QUALITY = QualitySummary(
    checks=[
        QualityCheck("enrolment_dates", "error", "passed",
                     "Aucun parcours ne se termine avant son début.", 0, "staging.enrolments"),
        QualityCheck("sheet_rows_quarantined", "warn", "failed",
                     "Feuilles d'émargement : 3 lignes en quarantaine (identifiant CRM inconnu).",
                     3, "raw.sheet_quarantine"),
        QualityCheck("duplicate_crm_ids", "error", "failed",
                     "Parcours : 2 identifiants CRM en double.", 2, "raw.crm_enrolments"),
    ],
    waivers=[Waiver("duplicate_crm_ids", QUARTER,
                    "Doublons expliqués, fusion dans le CRM programmée le 20/10.",
                    "Responsable suivi-évaluation")],
)
LEARNING = LearningInputs(
    learning_log=pd.DataFrame([dict(
        id="CAP-12", date="2026-08-20", type="retex", programme="AVEC", antenne="PARIS",
        titre="Job datings sectoriels", constats="Forte conversion dans la logistique.",
        enseignements="Préparer les candidats en amont.", indicateurs="EMP_SORTIE")]),
    recommendations=pd.DataFrame([dict(
        id="REC-3", source_id="CAP-9", recommandation="Relancer le suivi à 6 mois par SMS.",
        responsable="charge_suivi_evaluation", priorite="haute", echeance="2026-09-01",
        statut="en_cours", date_statut="2026-07-10")]),
    evaluation_plan=pd.DataFrame([dict(
        id="EVAL-2", programme="SOCLE", antenne="TOUTES", type="intermediaire", mode="externe",
        debut_prevu="2026-09-01", fin_prevue="2026-12-15", criteres="pertinence,efficacite",
        statut="en_cours")]),
)


def build(warehouse: Path, out: Path, **kw):
    kw.setdefault("pdf", False)
    return build_quarterly_deliverables(str(warehouse), QUARTER, as_of=AS_OF, output_dir=out,
                                        k=K, **kw)


# -- reading what was written ----------------------------------------------------------------------
class _Cells(HTMLParser):
    """Text of the HTML figure cells, with their kind and disclosure status."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str, str, str]] = []
        self._open: tuple[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "td" and "data-kind" in a:
            self._open, self._text = (a["data-kind"], a.get("data-status", "")), []

    def handle_data(self, data):
        if self._open:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self._open:
            self.cells.append((*self._open, "".join(self._text).strip()))
            self._open = None


def html_cells(path: Path) -> list[tuple[str, str, str]]:
    parser = _Cells()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser.cells


def as_int(text: str) -> int | None:
    digits = re.sub(r"[\s\u202f\u00a0]", "", text)
    return int(digits) if digits.isdigit() else None


def count_columns(mapping_path: Path | None) -> dict[str, set[int]]:
    """Sheet -> 1-based column numbers holding counts, from the mapping itself."""
    mapping = load_mapping(mapping_path)
    counts = {c for c, _l, _v, t, *_ in CATALOGUE if t == "count"}
    out = {}
    for sheet in mapping.sheets:
        offset = len(sheet.key_columns)
        out[sheet.name] = {offset + i + 1 for i, col in enumerate(sheet.columns)
                           if col.indicator in counts}
    return out


def assert_no_small_counts_in_xlsx(path: Path, mapping_path: Path | None = None) -> int:
    wb = openpyxl.load_workbook(path)
    checked = 0
    for sheet, cols in count_columns(mapping_path).items():
        ws = wb[sheet]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.column in cols and isinstance(cell.value, int | float):
                    checked += 1
                    assert not 1 <= cell.value <= K - 1, (sheet, cell.coordinate, cell.value)
    return checked


def mart(warehouse: Path) -> pd.DataFrame:
    wh = connect(warehouse, read_only=True)
    try:
        return wh.fetch_df("select * from marts.indicator_values where period_type = 'quarter'")
    finally:
        wh.close()


# -- quarters and formatting -----------------------------------------------------------------
def test_quarters():
    q = Quarter.parse("2026-Q3")
    assert (q.start, q.end, q.label_fr, q.code) == (date(2026, 7, 1), date(2026, 9, 30),
                                                    "T3 2026", "2026-Q3")
    assert Quarter.parse("2026-T4").end == date(2026, 12, 31)
    assert last_complete_quarter(date(2026, 10, 15)) == q
    assert last_complete_quarter(date(2026, 1, 1)) == Quarter(2025, 4)
    assert [x.code for x in last_quarters(q, 3)] == ["2026-Q1", "2026-Q2", "2026-Q3"]
    with pytest.raises(ValueError, match="AAAA-Tn"):
        Quarter.parse("2026-09")
    # the stored form only (waivers), and the Dagster partition key (the first day)
    assert Quarter.from_code(" 2026-q3 ") == q
    for loose in ("2026-T3", "2026Q3", "T3 2026"):
        with pytest.raises(ValueError, match="AAAA-Qn"):
            Quarter.from_code(loose)
    assert q.partition_key == "2026-07-01"
    assert Quarter.from_partition_key("2026-07-01") == q == Quarter.from_partition_key("2026-Q3")
    assert Quarter.from_partition_key("2026-09-30T23:00") == q
    assert Quarter(2026, 1).previous() == Quarter(2025, 4) and Quarter(2025, 4).next().number == 1


def test_quarters_are_the_same_everywhere():
    """The gate, the waivers and the reporting run name a quarter through one type."""
    from expectations.suites import SuiteError
    from expectations.waivers import check_quarter
    from orchestration.checks import reporting_quarter
    from orchestration.gate import quarter_of_partition

    assert reporting_quarter(date(2026, 10, 15)) == "2026-Q3"
    assert reporting_quarter(date(2026, 1, 1)) == "2025-Q4"
    assert reporting_quarter(date(2026, 3, 31)) == "2025-Q4"
    assert quarter_of_partition("2026-10-01") == "2026-Q4" == check_quarter("2026-q4")
    for loose in ("2026-T3", "T3 2026"):
        with pytest.raises(SuiteError, match="trimestre invalide"):
            quarter_of_partition(loose)


# -- labels: one source, the code_lists seed ---------------------------------------------------
def test_labels_and_closed_lists_come_from_the_code_lists_seed():
    """Every code's French label and every closed list is the `code_lists` seed (issue 25): the
    sheet loader accepts its codes, in its order; the learning section and the breakdowns show
    its labels; no module or SQL keeps a code → label table of its own."""
    import csv

    from connectors.sheets.kinds import KINDS_BY_NAME
    from reports.learning import evaluation_status, learning_entries, recommendation_followup
    from reports.publication import DEFAULT_CATEGORIES, category_label

    root = Path(__file__).resolve().parents[1]
    seed: dict[str, dict[str, str]] = {}
    with (root / "dbt_project" / "seeds" / "code_lists.csv").open(
            encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            seed.setdefault(row["list_name"], {})[row["code"]] = row["label_fr"]

    lists = {("capitalisation", "type"): "lesson_type",
             ("recommandations", "statut"): "recommendation_status",
             ("recommandations", "priorite"): "priority",
             ("plan_evaluation", "type"): "evaluation_type",
             ("plan_evaluation", "mode"): "evaluation_mode",
             ("plan_evaluation", "criteres"): "dac_criterion",
             ("plan_evaluation", "statut"): "evaluation_status",
             ("plan_action", "axe"): "action_axis",
             ("suivi_post_parcours", "type_contrat"): "contract",
             ("suivi_post_parcours", "situation"): "followup_situation",
             ("suivi_post_parcours", "type_formation"): "followup_training_type"}
    for (kind, header), list_name in lists.items():
        assert KINDS_BY_NAME[kind].column(header).choices == tuple(seed[list_name]), header
    assert set(seed["recommendation_status_open"]) < set(seed["recommendation_status"])
    assert DEFAULT_CATEGORIES["sex"] == tuple(seed["breakdown_sex"])
    assert category_label("age_band", "<26") == seed["breakdown_age_band"]["<26"]

    quarter = Quarter.parse(QUARTER)
    lessons = learning_entries(pd.DataFrame([
        {"id": "L1", "date": "2026-07-02", "type": "retex"},
        {"id": "L2", "date": "2026-07-03", "type": "fiche_capitalisation"},
        {"id": "L3", "date": "2026-07-04", "type": "inconnu_du_seed"}]), quarter)
    assert [x["type"] for x in lessons] == [
        seed["lesson_type_short"]["retex"], seed["lesson_type"]["fiche_capitalisation"],
        "inconnu_du_seed"]  # the short label where there is one, a new code as typed
    followed = recommendation_followup(pd.DataFrame([
        {"id": "R1", "statut": "en_cours", "priorite": "haute", "echeance": "2026-08-01"}]),
        quarter)
    assert (followed["rows"][0]["statut"], followed["rows"][0]["priorite"]) == (
        seed["recommendation_status"]["en_cours"], seed["priority"]["haute"])
    assert list(followed["counts"]) == list(seed["recommendation_status"].values())
    evaluations = evaluation_status(pd.DataFrame([
        {"id": "E1", "type": "finale", "debut_prevu": "2026-07-01", "fin_prevue": "2026-09-01",
         "statut": "terminee", "criteres": "efficacite,viabilite"}]), quarter)
    assert evaluations[0]["type"] == seed["evaluation_type_short"]["finale"]
    assert evaluations[0]["statut"] == seed["evaluation_status"]["terminee"]
    assert evaluations[0]["criteres"] == "Efficacité, Viabilité"

    # no code → label table outside the seed: a quoted code beside its quoted label, as in a
    # dict (`"a_faire": "À faire"`), a Jinja pair (`['a_faire', 'À faire']`) or a SQL CASE
    pairs = [(code, text) for values in seed.values() for code, text in values.items()
             if code != text]
    quoted = r"""['"]{}['"]"""
    found = []
    sources = [p for d in ("reports", "connectors", "orchestration", "expectations", "common")
               for p in (root / d).rglob("*.py")]
    sources += [p for d in ("macros", "models") for p in (root / "dbt_project" / d).rglob("*.sql")]
    sources += list((root / "reports").rglob("*.j2"))
    for path in sources:
        text = path.read_text(encoding="utf-8")
        for code, label in pairs:
            c, lab = quoted.format(re.escape(code)), quoted.format(re.escape(label))
            if re.search(rf"{c}\s*:\s*{lab}|\[\s*{c}\s*,\s*{lab}\s*\]|when\s+{c}\s+then\s+{lab}",
                         text):
                found.append(f"{path.relative_to(root)}: {code} → {label}")
    assert not found, found


def test_french_numbers():
    assert number(1234) == "1\u202f234"
    assert number(1234.5, 1) == "1\u202f234,5"
    assert percent(0.425) == "42,5\u00a0%"


# -- the deliverables --------------------------------------------------------------------------
def test_pdf_helper_counts_pages_and_gives_the_collector_back(tmp_path: Path):
    import gc

    from common.gc_pause import cyclic_gc_paused
    from reports.pdf import write_pdf

    html = "<html><body><p>Une</p><p style='page-break-before: always'>Deux</p></body></html>"
    assert gc.isenabled()
    assert write_pdf(tmp_path / "a.pdf", string=html, base_url=tmp_path) == 2
    assert gc.isenabled()
    assert (tmp_path / "a.pdf").read_bytes().startswith(b"%PDF-")
    (tmp_path / "b.html").write_text(html, encoding="utf-8")
    gc.disable()
    try:
        assert write_pdf(tmp_path / "b.pdf", filename=tmp_path / "b.html", base_url=tmp_path) == 2
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
    with pytest.raises(RuntimeError), cyclic_gc_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()
    with pytest.raises(ValueError):
        write_pdf(tmp_path / "c.pdf", base_url=tmp_path)


def test_full_delivery(warehouse: Path, tmp_path: Path):
    """The one PDF rendering of the suite: every file, the disclosure rules, the content."""
    out = tmp_path / "reports"
    result = build(warehouse, out, quality=QUALITY, learning=LEARNING, pdf=True)
    folder = out / QUARTER / "v1"
    assert result.version == 1 and result.directory == folder and not result.unchanged
    for kind in ("collecteur", "html", "pdf", "figures", "manifest"):
        assert result.files[kind].is_file() and result.files[kind].parent == folder, kind

    manifest = json.loads(result.files["manifest"].read_text(encoding="utf-8"))
    assert manifest["as_of"] == "2026-10-15" and manifest["k"] == K
    assert manifest["pdf_pages"] > 5
    for name, meta in manifest["files"].items():
        import hashlib
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == meta["sha256"]
    pdf = result.files["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF-")
    if shutil.which("pdfinfo"):  # poppler, where installed: an independent page count
        info = subprocess.run(["pdfinfo", str(result.files["pdf"])], capture_output=True,
                              text=True, check=True).stdout
        assert int(re.search(r"Pages:\s+(\d+)", info).group(1)) == manifest["pdf_pages"]

    # no published count in 1..k-1, in the workbook or the report
    assert assert_no_small_counts_in_xlsx(result.files["collecteur"]) > 50
    cells = html_cells(result.files["html"])
    counts = [(s, t) for kind, s, t in cells if kind == "count"]
    assert len(counts) > 100
    for status, text in counts:
        n = as_int(text)
        assert n is None or not 1 <= n <= K - 1, text
        if status == "primary":
            assert text == f"< {K}" or text == "s"
    assert any(t == f"< {K}" for _, t in counts) and any(t == "s" for _, t in counts)

    # figures.csv: what was shown, equal to the exact mart value when published
    figures = pd.read_csv(result.files["figures"], keep_default_na=False, dtype=str)
    exact = mart(warehouse)
    exact["quarter"] = [Quarter.of(pd.Timestamp(d).date()).code for d in exact["period_start"]]
    shown = figures[(figures.measure == "value") & (figures.status == "published")
                    & (figures.kind == "count")]
    joined = shown.merge(exact, on=["indicator_code", "quarter", "programme", "antenna",
                                    "dimension", "dimension_value"], suffixes=("", "_mart"))
    assert len(joined) > 100
    assert (joined["value"].astype(float) == joined["value_mart"]).all()
    assert not joined["value"].astype(float).between(1, K - 1).any()

    # the workbook: mapping layout, cover with R, quarter, k and legend
    wb = openpyxl.load_workbook(result.files["collecteur"])
    assert wb.sheetnames == ["Informations", "Ensemble", "Par sexe", "Par tranche d'âge"]
    cover = " ".join(str(c.value) for row in wb["Informations"].iter_rows() for c in row
                     if c.value is not None)
    assert "15 octobre 2026" in cover and "T3 2026" in cover and f"< {K}" in cover
    headers = [c.value for c in wb["Par sexe"][1]]
    assert headers[:4] == ["Trimestre", "Programme", "Antenne", "Sexe"]
    assert "Personnes entrées" not in headers  # ENT_P is not broken down
    ent_total = next(r for r in wb["Ensemble"].iter_rows(min_row=2, values_only=True)
                     if r[1] == "Tous programmes" and r[2] == "Toutes antennes")
    expected = exact[(exact.indicator_code == "ENT") & (exact.quarter == QUARTER)
                     & (exact.programme == "ALL") & (exact.antenna == "ALL")
                     & (exact.dimension == "total")]["value"].item()
    assert ent_total[3] == expected

    # the report: cover, sections looping over the data, quality, learning, methodology
    html = unescape(result.files["html"].read_text(encoding="utf-8"))
    for text in ("Rapport de redevabilité", "T3 2026", "15 octobre 2026", "atteint",
                 "Doublons expliqués", "Feuilles d'émargement", "Job datings sectoriels",
                 "Relancer le suivi à 6 mois", "EVAL-2", "Kaplan-Meier",
                 "Définition des indicateurs", 'id="programme-socle_femmes"',
                 'id="antenne-bordeaux"', "data:image/svg+xml;base64,"):
        assert text in html, text


def test_new_antenna_gets_its_section(tmp_path: Path):
    wh = make_warehouse(tmp_path / "wh.duckdb", extra_antenna="NANTES")
    result = build(wh, tmp_path / "out")
    html = result.files["html"].read_text(encoding="utf-8")
    assert 'id="antenne-nantes"' in html and "Antenne Nantes" in html
    rows = list(openpyxl.load_workbook(result.files["collecteur"])["Ensemble"]
                .iter_rows(min_row=2, values_only=True))
    assert any(r[2] == "Nantes" for r in rows)  # a new antenna: its code, tidied up
    assert_no_small_counts_in_xlsx(result.files["collecteur"])


def test_rerun_is_versioned_with_a_diff(warehouse: Path, tmp_path: Path):
    out = tmp_path / "out"
    first = build(warehouse, out, quality=QUALITY)
    v1 = {p.name: p.read_bytes() for p in first.directory.iterdir()}

    again = build(warehouse, out, quality=QUALITY)  # same data: nothing new is written
    assert again.unchanged and again.version == 1 and "rien n'a changé" in again.message
    assert sorted(p.name for p in (out / QUARTER).iterdir()) == ["v1"]

    make_warehouse(warehouse, bump=3)  # three late entries of the quarter reach the CRM
    internal = tmp_path / "interne"  # the diff is internal: never in the sent folder
    second = build(warehouse, out, quality=QUALITY, internal_dir=internal)
    assert second.version == 2 and second.previous_version == 1 and not second.unchanged
    assert {p.name: p.read_bytes() for p in first.directory.iterdir()} == v1  # v1 untouched
    assert second.diff.csv_path.parent == internal / QUARTER
    diff = pd.read_csv(second.diff.csv_path, keep_default_na=False, dtype=str)
    ent = diff[(diff.indicator_code == "ENT") & (diff.quarter == QUARTER)
               & (diff.programme == "ALL") & (diff.antenna == "ALL")
               & (diff.dimension == "total") & (diff.measure == "value")]
    assert len(ent) == 1 and float(ent["difference"].item()) == 3.0
    assert ent["change"].item() == "modifié"
    assert not (diff.quarter != QUARTER).any()  # earlier quarters did not move
    assert second.diff is not None and second.diff.changed >= 1
    html = unescape(second.files["html"].read_text(encoding="utf-8"))
    assert "Modifications par rapport à la version 1" in html
    md = second.diff.markdown_path.read_text(encoding="utf-8")
    assert "Entrées en parcours — Tous programmes, Toutes antennes — T3 2026" in md


ALT_MAPPING = """
version: "2027-1"
title: "Collecteur PIC IPR — modèle 2027"
required_breakdowns: [sex, age_band]
rate_format: points
cover_sheet: "Lisez-moi"
labels: {all_programmes: "TOUS", all_antennas: "TOUTES", not_computable: ""}
sheets:
  - name: "PIC"
    layout: wide
    scopes: programmes
    key_columns:
      - {field: programme, header: "Action"}
    columns:
%s
"""


def _alt_columns() -> str:
    lines = []
    for code, _l, _v, _t, _u, _d, pic, dis in CATALOGUE:
        if not pic:
            continue
        lines.append(f"      - {{indicator: {code}, header: \"{code}\"}}")
        if dis:
            for dim, values in (("sex", ("F", "M", "X", "unknown")),
                                ("age_band", ("<26", "26-44", "45+", "unknown"))):
                for v in values:
                    lines.append(f"      - {{indicator: {code}, breakdown: {dim}, "
                                 f"value: \"{v}\", header: \"{code}_{dim}_{v}\"}}")
    return "\n".join(lines)


def test_mapping_file_drives_the_layout(warehouse: Path, tmp_path: Path):
    alt = tmp_path / "collecteur_2027.yml"
    alt.write_text(ALT_MAPPING % _alt_columns(), encoding="utf-8")
    default = build(warehouse, tmp_path / "a")
    swapped = build(warehouse, tmp_path / "b", mapping_path=alt)
    wb = openpyxl.load_workbook(swapped.files["collecteur"])
    assert wb.sheetnames == ["Lisez-moi", "PIC"]
    headers = [c.value for c in wb["PIC"][1]]
    assert headers[:3] == ["Action", "ENT", "ENT_sex_F"] and "ENT_P_sex_F" not in headers
    rows = {r[0]: r for r in wb["PIC"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {"TOUS", "AVEC", "Pass numérique", "SOCLE", "SOCLE Femmes"}
    sd = headers.index("SD_SORTIE")
    base = openpyxl.load_workbook(default.files["collecteur"])["Ensemble"]
    base_headers = [c.value for c in base[1]]
    base_row = next(r for r in base.iter_rows(min_row=2, values_only=True)
                    if r[1] == "Tous programmes" and r[2] == "Toutes antennes")
    # same figure, another layout and format (points instead of a % cell)
    assert rows["TOUS"][sd] == pytest.approx(
        base_row[base_headers.index("Taux de sorties dynamiques à la sortie")] * 100, abs=0.05)
    assert_no_small_counts_in_xlsx(swapped.files["collecteur"], alt)


def test_mapping_must_carry_every_pic_indicator(warehouse: Path, tmp_path: Path):
    alt = tmp_path / "incomplete.yml"
    alt.write_text(ALT_MAPPING % "\n".join(
        line for line in _alt_columns().splitlines() if "SD_6M" not in line), encoding="utf-8")
    with pytest.raises(MappingError, match="SD_6M"):
        build(warehouse, tmp_path / "out", mapping_path=alt)
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").rglob("v*"))


def test_quality_gate_and_incomplete_quarter_are_refused(warehouse: Path, tmp_path: Path):
    blocked = QualitySummary(checks=[QualityCheck(
        "orphan_situations", "error", "failed", "Situations sans participant.", 4)])
    with pytest.raises(QualityGateError, match="orphan_situations"):
        build(warehouse, tmp_path / "out", quality=blocked)
    with pytest.raises(ValueError, match="not over"):
        build_quarterly_deliverables(str(warehouse), QUARTER, as_of=date(2026, 9, 30),
                                     output_dir=tmp_path / "out", k=K)


def test_missing_optional_marts_are_noted(tmp_path: Path):
    wh = make_warehouse(tmp_path / "wh.duckdb", with_km=False)
    result = build(wh, tmp_path / "out")
    html = unescape(result.files["html"].read_text(encoding="utf-8"))
    assert "Kaplan-Meier) ne sont pas disponibles" in html
    assert "Journal d'apprentissage non fourni" in html
    assert "résumé du contrôle qualité n'a pas été fourni" in html


def test_a_median_over_fewer_than_k_job_finders_is_withheld(tmp_path: Path):
    """The median time to employment is computed over the exits that found a job (the mart's
    `population`), not over all exits: a cell with many exits but < k job finders is withheld."""
    import duckdb

    wh = make_warehouse(tmp_path / "wh.duckdb")
    start = str(Quarter.parse(QUARTER).start)
    con = duckdb.connect(str(wh))
    try:
        con.execute("alter table marts.indicator_values add column population double")
        cells = con.execute(
            "select d.programme, d.antenna from marts.indicator_values d "
            "join marts.indicator_values s on s.programme = d.programme "
            " and s.antenna = d.antenna and s.period_start = d.period_start "
            " and s.period_type = d.period_type and s.dimension = d.dimension "
            " and s.indicator_code = 'SOR' and s.value >= 10 "
            "where d.indicator_code = 'DELAI_EMPLOI' and d.period_type = 'quarter' "
            " and d.dimension = 'total' and d.value is not null and d.period_start = ? "
            "order by d.programme, d.antenna", [start]).fetchall()
        assert cells, "the simulated warehouse should have a median over >= 10 exits"
        programme, antenna = cells[0]
        con.execute(
            "update marts.indicator_values set population = 2 "
            "where indicator_code = 'DELAI_EMPLOI' and period_type = 'quarter' "
            "and dimension = 'total' and period_start = ? and programme = ? and antenna = ?",
            [start, programme, antenna])
    finally:
        con.close()
    result = build(wh, tmp_path / "out")
    figures = pd.read_csv(result.directory / "figures.csv", dtype=str, keep_default_na=False)
    row = figures[(figures.indicator_code == "DELAI_EMPLOI") & (figures.quarter == QUARTER)
                  & (figures.programme == programme) & (figures.antenna == antenna)
                  & (figures.dimension == "total") & (figures.measure == "value")]
    assert len(row) == 1
    assert row.iloc[0]["status"] == "primary" and row.iloc[0]["value"] == ""
