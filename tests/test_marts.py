"""The indicator marts end to end: a small hand-made raw dataset, `dbt build`, numbers computed by
hand from docs/indicators.md.

The dataset (as-of date R = 2026-05-20) is written straight into the raw tables, as the
connectors would leave them (text fields, load metadata), so staging, intermediate and marts run
exactly as in production. Every expected number below is derived in the comments from the
records, not from the SQL. The same data is then built on PostgreSQL and every row of
`marts.indicator_values` is compared between the two engines.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from common.warehouse import Warehouse, connect
from connectors.crm.raw_tables import ensure_raw_crm_tables, resource_columns
from connectors.pseudonyms import pseudonym, rebuild_pseudonyms
from connectors.sheets.schema import ensure_tables, tables
from devtools.benchmark import dbt_marts_seconds, run_floor
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.conftest import make_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
AS_OF = "2026-05-20"
KEY = "test-marts-pseudonym-key-0123456789"
# Only the indicator models and their parents: other marts of the project are not under test here.
SELECTION = [
    "+indicator_values", "+indicator_baselines", "+participant_journeys", "+cohorts",
    "+time_to_employment",
]

# ------------------------------------------------------------------------------------------ data
# Participants: (id, sex, birth_date, nationality, protection_status, french_level,
#                education_level, qpv, rqth, antenna)
PARTICIPANTS = [
    ("P1", "F", "1990-04-10", "AFG", "refugie", "A2", "4", "true", "false", "PARIS"),
    ("P2", "M", "2001-05-20", "SDN", "protection_subsidiaire", "B1", "infra3", "false", "false",
     "PARIS"),
    ("P3", "F", "1980-01-01", "ERI", "refugie", "A1", "3", "false", "true", "BORDEAUX"),
    ("P4", "M", "1975-07-07", "SYR", "refugie", "B2", "6", "false", "false", "BORDEAUX"),
    ("P5", None, None, None, None, None, None, None, None, "PARIS"),
    ("P6", "F", "1999-09-09", "UKR", "protection_temporaire", "C1", "5", "true", "false", "LILLE"),
    ("P7", "M", "1985-03-03", "AFG", "refugie", "A0", "infra3", "false", "false", "PARIS"),
    ("P8", "M", "1995-12-12", "GIN", "refugie", "A2", "4", "false", "false", "PARIS"),
]

# Enrolments: (id, participant, programme, antenna, start, end, exit_reason)
ENROLMENTS = [
    ("E01", "P1", "SOCLE_FEMMES", "PARIS", "2026-01-15", "2026-03-31", "job_found"),
    ("E02", "P1", "AVEC", "PARIS", "2026-04-01", None, None),
    ("E03", "P2", "SOCLE", "PARIS", "2026-02-10", "2026-04-15", "dropout"),
    ("E04", "P3", "SOCLE", "BORDEAUX", "2025-06-01", "2025-09-30", "completed"),
    # E05 exits after R: still active.
    ("E05", "P4", "AVEC", "BORDEAUX", "2025-11-03", "2026-06-30", "completed"),
    ("E06", "P5", "AVEC", "PARIS", "2026-05-25", None, None),  # starts after R
    ("E07", "P6", "AVEC", "LILLE", "2026-03-01", "2026-02-01", "other"),  # ends before it starts
    # E08: codes as typed in the CRM; LILLE is a new antenna.
    ("E08", "P6", " avec ", "lille ", "2026-02-20", "2026-05-05", "completed"),
    ("E09", "P99", "SOCLE", "PARIS", "2026-01-10", None, None),  # orphan participant
    ("E10", "P5", "SOCLE", "PARIS", "2025-12-01", "2026-01-20", None),  # no exit reason
    ("E11", "P7", "AVEC", "PARIS", "2019-04-15", "2019-06-30", "completed"),  # before project start
    ("E12", "P8", "AVEC", "PARIS", "2025-10-01", "2025-11-15", "relocation"),
]

# Situations: (id, participant, kind, contract, training_type, start, end)
SITUATIONS = [
    ("S01", "P1", "employment", "CDI", None, "2026-04-20", None),  # E01: durable, exit + 20
    ("S02", "P2", "employment", "CDD", None, "2026-05-10", "2026-08-09"),  # E03: 3-month CDD
    ("S03", "P3", "training", None, "qualifying", "2025-10-15", "2026-06-30"),  # E04 exit, M
    ("S04", "P6", "employment", "IAE", None, "2026-05-06", None),  # E08: SIAE → positive
    ("S05", "P5", "employment", "CDD", None, "2026-02-25", "2026-12-31"),  # E10: day 36 → too late
    ("S06", "P8", "employment", "CDI", None, "2025-11-10", "2025-11-14"),  # E12: ended before exit
    ("S07", "P1", "employment", "CDI", None, "2026-06-01", None),  # after R: nowhere
]

# Activities: (id, participant, enrolment, employer, type, date, duration, attended, reached)
ACTIVITIES = [
    ("A01", "P1", "E01", None, "individual_meeting", "2026-02-01", "60", "true", None),
    # A02 names its own enrolment although dated after it.
    ("A02", "P1", "E01", None, "workshop", "2026-04-10", "90", "true", None),
    ("A03", "P1", None, None, "mentoring", "2026-04-15", "45", "true", None),  # by dates → E02
    ("A04", "P2", "E03", None, "french_course", "2026-03-05", "700", "true", None),  # > 600
    ("A05", "P2", "E03", None, "individual_meeting", "2026-03-06", None, "true", None),  # 0 min
    ("A06", "P2", "E03", None, "followup_contact", "2026-03-07", "30", "true", "true"),
    ("A07", "P4", "E05", None, "workshop", "2026-05-21", "60", "true", None),  # after R
    ("A08", "P4", "E05", None, "workshop", "2026-05-19", "120", "false", None),  # missed
    ("A20", None, None, "C1", "job_dating", "2026-02-03", None, "true", None),
    ("A21", "P2", None, "C1", "company_visit", "2026-03-03", None, "true", None),
    ("A22", None, None, "C2", "employer_awareness", "2026-04-01", "120", "true", None),
    ("A23", None, None, "C2", "job_dating", "2026-04-02", None, "false", None),  # missed
    ("A24", None, None, "C9", "job_dating", "2026-04-03", None, "true", None),  # unknown employer
    ("A25", "P99", None, "C1", "job_dating", "2026-04-05", None, "true", None),  # orphan
]

# Employers: (id, name, antenna)
EMPLOYERS = [("C1", "Boulangerie Dupont", "PARIS"), ("C2", "Vignobles Martin", "BORDEAUX"),
             ("C3", "Chantiers de l'Atlantique", "NANTES")]

# Attendance sheet rows: (participant, date, atelier, present, duree_minutes)
EMARGEMENTS = [
    ("P3", "2025-07-10", "CV et lettre", True, 120.0),  # → E04 by dates
    ("P1", "2026-02-01", "Atelier numérique", True, 120.0),  # CRM has a meeting, not a workshop
    ("P1", "2026-04-10", "Atelier emploi", True, 120.0),  # CRM workshop that day: dropped
]

# Follow-up survey: (participant, date_contact, joint, situation)
SURVEY = [("P7", "2020-01-20", True, "recherche")]  # E11: M = 2019-12-30, contact at M + 21

# Targets: (indicateur, programme, antenne, annee, trimestre, cible, %-cell)
TARGETS = [
    ("ENT", "ALL", "ALL", 2026, None, 20.0, False),
    ("ENT", "ALL", "ALL", 2026, 2, 2.0, False),
    ("SD_SORTIE", "ALL", "ALL", 2026, None, 0.6, False),
    ("DELAI_EMPLOI", "ALL", "ALL", 2026, None, 100.0, False),
    ("HRS", "SOCLE", "PARIS", 2026, None, 10.0, False),
]


def _frame(resource: str, rows: list[dict]) -> pd.DataFrame:
    names = [name for name, _ in resource_columns(resource)]
    frame = pd.DataFrame([{name: row.get(name) for name in names} for row in rows], columns=names)
    frame["updated_at"] = datetime(2026, 5, 1, 12, 0)
    frame["_payload_hash"] = [f"h{i}" for i in range(len(frame))]
    frame["_extra_fields"] = None
    frame["_load_seq"] = 1
    frame["_load_id"] = "test"
    frame["_loaded_at"] = datetime(2026, 5, 1, 12, 0)
    frame["_page"] = 1
    frame["_position"] = range(len(frame))
    return frame


def _provenance(i: int) -> dict:
    return {"source_file": "test.xlsx", "source_sheet": "Feuil1", "source_row": i + 2,
            "file_modified_at": datetime(2026, 5, 1), "loaded_at": datetime(2026, 5, 1)}


def write_raw(wh: Warehouse) -> None:
    """The dataset above in the raw layer, then the pseudonyms."""
    ensure_raw_crm_tables(wh)
    ensure_tables(wh, "raw")
    participants = [
        {"id": p[0], "created_at": "2019-01-01T00:00:00Z", "first_name": "X", "last_name": "Y",
         "sex": p[1], "birth_date": p[2], "nationality": p[3], "protection_status": p[4],
         "french_level": p[5], "education_level": p[6], "qpv": p[7], "rqth": p[8],
         "antenna": p[9]}
        for p in PARTICIPANTS
    ]
    enrolments = [
        {"id": e[0], "participant_id": e[1], "programme": e[2], "antenna": e[3],
         "start_date": e[4], "end_date": e[5], "exit_reason": e[6]}
        for e in ENROLMENTS
    ]
    situations = [
        {"id": s[0], "participant_id": s[1], "kind": s[2], "contract": s[3],
         "training_type": s[4], "start_date": s[5], "end_date": s[6]}
        for s in SITUATIONS
    ]
    activities = [
        {"id": a[0], "participant_id": a[1], "enrolment_id": a[2], "employer_id": a[3],
         "type": a[4], "date": a[5], "duration_minutes": a[6], "attended": a[7], "reached": a[8]}
        for a in ACTIVITIES
    ]
    employers = [{"id": c[0], "name": c[1], "antenna": c[2]} for c in EMPLOYERS]
    for resource, rows in [("participants", participants), ("enrolments", enrolments),
                           ("situations", situations), ("activities", activities),
                           ("employers", employers)]:
        wh.insert_df(f"raw.crm_{resource}", _frame(resource, rows))

    sheet_columns = tables("raw")
    emargements = [
        {"date": date.fromisoformat(d), "antenne": None, "atelier": atelier, "participant_id": p,
         "present": present, "duree_minutes": minutes, "atelier_key": atelier.lower(),
         **_provenance(i)}
        for i, (p, d, atelier, present, minutes) in enumerate(EMARGEMENTS)
    ]
    survey = [
        {"participant_id": p, "date_contact": date.fromisoformat(d), "joint": joint,
         "situation": situation, "situation_quarantined": False, **_provenance(i)}
        for i, (p, d, joint, situation) in enumerate(SURVEY)
    ]
    targets = [
        {"indicateur": t[0], "programme": t[1], "antenne": t[2], "annee": t[3], "trimestre": t[4],
         "cible": t[5], "cible_is_percent_cell": t[6], **_provenance(i)}
        for i, t in enumerate(TARGETS)
    ]
    for table, rows in [("raw.sheet_emargements", emargements),
                        ("raw.sheet_suivi_post_parcours", survey),
                        ("raw.sheet_objectifs", targets)]:
        names = [name for name, _ in sheet_columns[table]]
        frame = pd.DataFrame([{n: r.get(n) for n in names} for r in rows], columns=names)
        if "trimestre" in frame:
            frame["trimestre"] = frame["trimestre"].astype("Int64")
        wh.insert_df(table, frame)
    rebuild_pseudonyms(wh, KEY)


def run_dbt(env_extra: dict[str, str], work: Path) -> None:
    """`dbt build` of the marts and what they need, in this process as the pipeline runs it."""
    env = {"SEA_AS_OF": AS_OF, **env_extra}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        dbt = in_process_dbt(sea_dbt_project(env.get("SEA_DBT_TARGET", "duckdb")))
        invocation = dbt.cli(
            ["build", "--quiet", "--no-partial-parse", "--indirect-selection", "cautious",
             "--select", " ".join(SELECTION)],
            target_path=work / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()


# --------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def duckdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("marts_duckdb")
    path = work / "warehouse.duckdb"
    with connect(path) as wh:
        write_raw(wh)
    run_dbt({"SEA_DBT_TARGET": "duckdb", "SEA_DUCKDB_PATH": str(path)}, work)
    return path


@pytest.fixture(scope="module")
def values(duckdb_path: Path) -> pd.DataFrame:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        return con.execute("select * from marts.indicator_values").df()


def row(values: pd.DataFrame, code: str, period_type: str, period_start: str,
        programme: str = "ALL", antenna: str = "ALL", dimension: str = "total",
        dimension_value: str = "total") -> pd.Series:
    found = values[
        (values.indicator_code == code) & (values.period_type == period_type)
        & (values.period_start == pd.Timestamp(period_start)) & (values.programme == programme)
        & (values.antenna == antenna) & (values.dimension == dimension)
        & (values.dimension_value == dimension_value)
    ]
    assert len(found) == 1, (code, period_type, period_start, programme, antenna, dimension,
                             dimension_value, len(found))
    return found.iloc[0]


def value(values: pd.DataFrame, *key: str, **kw: str) -> float | None:
    v = row(values, *key, **kw)["value"]
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


# ------------------------------------------------------------------------------------------ tests
def test_entries_and_persons(values: pd.DataFrame) -> None:
    # Counted: E01 E02 E03 E04 E05 E08 E10 E11 E12 (E06 starts after R, E07 ends before it
    # starts, E09's participant is unknown). 2026-T1 entries: E01 (SOCLE_FEMMES), E03 (SOCLE),
    # E08 (AVEC, LILLE).
    assert value(values, "ENT", "quarter", "2026-01-01") == 3
    assert value(values, "ENT", "quarter", "2026-01-01", programme="SOCLE") == 2  # E01 + E03
    assert value(values, "ENT", "quarter", "2026-01-01", programme="SOCLE_FEMMES") == 1
    assert value(values, "ENT", "quarter", "2026-01-01", programme="SOCLE", antenna="PARIS") == 2
    assert value(values, "ENT", "quarter", "2026-04-01") == 1  # E02; E06 starts after R
    assert value(values, "ENT", "month", "2026-05-01") == 0  # dense zero row
    # E11 (2019-04-15) counts in 2019-T2 and 2019 but not in the cumulative period.
    assert value(values, "ENT", "quarter", "2019-04-01") == 1
    assert value(values, "ENT", "year", "2019-01-01") == 1
    assert value(values, "ENT", "cumulative", "2019-05-01") == 8
    # ENT_P: 2026 entries E01, E02 (both P1), E03 (P2), E08 (P6) → 3 persons for 4 entries;
    # but 1 person in AVEC and SOCLE each has its own.
    assert value(values, "ENT", "year", "2026-01-01") == 4
    assert value(values, "ENT_P", "year", "2026-01-01") == 3
    assert value(values, "ENT_P", "year", "2026-01-01", programme="AVEC") == 2  # P1, P6
    assert value(values, "ENT_P", "cumulative", "2019-05-01") == 7  # all but P7 (E11)
    # ENT_F 2026-T1: E01 (F), E03 (M), E08 (F) → 2/3.
    r = row(values, "ENT_F", "quarter", "2026-01-01")
    assert (r.numerator, r.denominator) == (2, 3)
    assert r.value == pytest.approx(2 / 3)
    # Disaggregation: only values present; P5 has no sex → unknown.
    assert value(values, "ENT", "quarter", "2026-01-01", dimension="sex", dimension_value="F") == 2
    assert value(values, "ENT", "quarter", "2026-01-01", dimension="sex", dimension_value="M") == 1
    assert values[(values.indicator_code == "ENT") & (values.period_type == "quarter")
                  & (values.period_start == pd.Timestamp("2026-01-01"))
                  & (values.dimension == "sex") & (values.dimension_value == "unknown")
                  & (values.programme == "ALL") & (values.antenna == "ALL")].empty
    assert value(values, "ENT", "cumulative", "2019-05-01", dimension="sex",
                 dimension_value="unknown") == 1  # E10 (E06 does not count)
    # P2 born 2001-05-20 enters on 2026-02-10: 24 → <26.
    assert value(values, "ENT", "quarter", "2026-01-01", programme="SOCLE", antenna="PARIS",
                 dimension="age_band", dimension_value="<26") == 1


def test_new_antenna_flows_through(values: pd.DataFrame) -> None:
    # ' avec ' / 'lille ' are trimmed and upper-cased; LILLE is in no seed or code.
    assert value(values, "ENT", "quarter", "2026-01-01", antenna="LILLE") == 1
    assert value(values, "ENT", "quarter", "2026-01-01", programme="AVEC", antenna="LILLE") == 1
    assert value(values, "SOR", "quarter", "2026-04-01", programme="AVEC", antenna="LILLE") == 1


def test_active_file_and_exits(values: pd.DataFrame) -> None:
    # 2026-T1: E01, E03, E05 (exit 2026-06-30 is after R: active), E08, E10 (ended 01-20).
    assert value(values, "ACT", "quarter", "2026-01-01") == 5
    # 2026-T2: E02, E03 (ends 04-15), E05, E08 (ends 05-05).
    assert value(values, "ACT", "quarter", "2026-04-01") == 4
    assert value(values, "ACT", "month", "2026-03-01") == 4  # E01, E03, E05, E08
    assert value(values, "ACT", "cumulative", "2019-05-01") == 9  # E11 ends 2019-06-30
    assert value(values, "SOR", "quarter", "2026-01-01") == 2  # E01, E10 (no exit reason)
    assert value(values, "SOR", "quarter", "2026-04-01") == 2  # E03, E08; not E05
    r = row(values, "ABD", "quarter", "2026-04-01")  # E03 dropout out of E03, E08
    assert (r.numerator, r.denominator, r.value) == (1, 2, 0.5)
    r = row(values, "ABD", "quarter", "2026-01-01")  # E10 has no reason: never a dropout
    assert (r.numerator, r.denominator) == (0, 2)


def test_outcomes_at_exit(values: pd.DataFrame) -> None:
    # At exit: E01 durable (CDI 20 days after), E10 none (CDD 36 days after), E03 transition
    # (3-month CDD), E08 positive (IAE), E04 positive (qualifying training), E12 none (CDI ended
    # the day before the exit), E11 none.
    r = row(values, "ED_SORTIE", "quarter", "2026-01-01")
    assert (r.numerator, r.denominator, r.value) == (1, 2, 0.5)
    r = row(values, "SD_SORTIE", "quarter", "2026-04-01")
    assert (r.numerator, r.denominator, r.value) == (2, 2, 1.0)
    r = row(values, "EMP_SORTIE", "quarter", "2026-04-01")
    assert (r.numerator, r.denominator) == (1, 2)
    r = row(values, "SP_SORTIE", "quarter", "2026-04-01")
    assert (r.numerator, r.denominator) == (1, 2)
    r = row(values, "SD_SORTIE", "year", "2026-01-01")
    assert (r.numerator, r.denominator) == (3, 4)
    r = row(values, "SD_SORTIE", "cumulative", "2019-05-01")  # E01 E03 E04 E08 of 7 exits
    assert (r.numerator, r.denominator) == (4, 7)
    r = row(values, "SP_SORTIE", "cumulative", "2019-05-01")
    assert (r.numerator, r.denominator) == (2, 7)
    # A rate with nothing to compute: 0/0 and a null value.
    r = row(values, "ED_SORTIE", "month", "2026-02-01")
    assert (r.numerator, r.denominator) == (0, 0)
    assert math.isnan(r.value)


def test_six_months(values: pd.DataFrame) -> None:
    # Mature (M + 45 <= R): E04 (exit 2025-09-30, M 2026-03-30, training running on M → dynamic)
    # and E11 (M 2019-12-30, known through the survey call of 2020-01-20, no situation).
    r = row(values, "SD_6M", "cumulative", "2019-05-01")
    assert (r.numerator, r.denominator, r.value) == (1, 2, 0.5)
    r = row(values, "SUIVI_6M", "cumulative", "2019-05-01")
    assert (r.numerator, r.denominator, r.value) == (2, 2, 1.0)
    r = row(values, "SD_6M", "quarter", "2026-01-01", programme="SOCLE", antenna="BORDEAUX")
    assert (r.numerator, r.denominator) == (1, 1)
    r = row(values, "SUIVI_6M", "quarter", "2019-10-01")
    assert (r.numerator, r.denominator) == (1, 1)
    # E12 (M 2026-05-15) is not mature yet: 2026-T2 has an empty cohort.
    r = row(values, "SD_6M", "quarter", "2026-04-01")
    assert r.denominator == 0


def test_time_to_employment_median(values: pd.DataFrame) -> None:
    # First job from entry: E01 95 days, E03 89, E08 75, E12 40 (CDI of 2025-11-10, whatever
    # its end); E10's CDD starts too late, E04 only has a training.
    assert value(values, "DELAI_EMPLOI", "quarter", "2026-01-01") == 95
    assert value(values, "DELAI_EMPLOI", "quarter", "2026-04-01") == 82  # (75 + 89) / 2
    assert value(values, "DELAI_EMPLOI", "year", "2026-01-01") == 89
    assert value(values, "DELAI_EMPLOI", "cumulative", "2019-05-01") == 82  # (75 + 89) / 2
    assert value(values, "DELAI_EMPLOI", "quarter", "2025-10-01") == 40
    assert value(values, "DELAI_EMPLOI", "quarter", "2025-07-01") is None  # E04: no job


def test_hours(values: pd.DataFrame) -> None:
    # E01: A01 60 min (Feb), sheet row 120 (Feb, P1 had a meeting, not a workshop), A02 90 (Apr,
    # its own enrolment although after it); E02: A03 45 (Apr, by dates); E03: A05 0 (null
    # duration), A21 0 (company visit without duration); E04: sheet 120 (2025-07). Excluded: A04
    # (700 min), A06 (follow-up), A07 (after R), A08 (missed), the sheet row of 2026-04-10 (CRM
    # workshop that day).
    assert value(values, "HRS", "quarter", "2026-01-01") == pytest.approx(3.0)  # 60 + 120
    assert value(values, "HRS", "quarter", "2026-04-01") == pytest.approx(2.25)  # 90 + 45
    assert value(values, "HRS", "quarter", "2026-04-01", programme="SOCLE") == pytest.approx(1.5)
    assert value(values, "HRS", "year", "2026-01-01", programme="SOCLE_FEMMES",
                 antenna="PARIS") == pytest.approx(4.5)
    assert value(values, "HRS", "cumulative", "2019-05-01") == pytest.approx(435 / 60)
    assert value(values, "HRS", "quarter", "2025-07-01", antenna="BORDEAUX") == pytest.approx(2.0)


def test_employers_engaged(values: pd.DataFrame) -> None:
    # C1 job dating (Feb) and company visit (Mar) → once in T1; C2 awareness (Apr) in T2; the
    # missed dating, the unknown employer C9 and the event of an unknown participant do not count.
    assert value(values, "EMP_ENG", "quarter", "2026-01-01") == 1
    assert value(values, "EMP_ENG", "quarter", "2026-01-01", antenna="PARIS") == 1
    assert value(values, "EMP_ENG", "quarter", "2026-04-01", antenna="BORDEAUX") == 1
    assert value(values, "EMP_ENG", "quarter", "2026-04-01") == 1  # C2 only (A25: orphan)
    assert value(values, "EMP_ENG", "year", "2026-01-01") == 2
    assert value(values, "EMP_ENG", "year", "2026-01-01", antenna="NANTES") == 0  # scope exists
    assert values[(values.indicator_code == "EMP_ENG") & (values.programme != "ALL")].empty


def test_targets_and_achievement(values: pd.DataFrame) -> None:
    # ENT: annual 20 on the year (4 entries → 0.2) and on T1 with the year-to-date value
    # (3 → 0.15); T2 has its own quarterly target 2 (1 entry → 0.5).
    r = row(values, "ENT", "year", "2026-01-01")
    assert (r.target, r.achievement) == (20, pytest.approx(0.2))
    r = row(values, "ENT", "quarter", "2026-01-01")
    assert (r.value, r.target, r.achievement) == (3, 20, pytest.approx(0.15))
    r = row(values, "ENT", "quarter", "2026-04-01")
    assert (r.value, r.target, r.achievement) == (1, 2, pytest.approx(0.5))
    # SD_SORTIE: 0.6 is read as 60 %; the 2026 value 0.75 → 75 / 60 = 1.25; no target on quarters.
    r = row(values, "SD_SORTIE", "year", "2026-01-01")
    assert (r.target, r.achievement) == (pytest.approx(60), pytest.approx(1.25))
    assert math.isnan(row(values, "SD_SORTIE", "quarter", "2026-01-01").target)
    # DELAI_EMPLOI is lower-is-better: 100 / 89.
    r = row(values, "DELAI_EMPLOI", "year", "2026-01-01")
    assert r.achievement == pytest.approx(100 / 89)
    # HRS SOCLE × PARIS, annual 10 h; T1 year to date = E01 (SOCLE_FEMMES) 3 h + E03 0 h.
    r = row(values, "HRS", "quarter", "2026-01-01", programme="SOCLE", antenna="PARIS")
    assert (r.target, r.achievement) == (10, pytest.approx(0.3))
    # Targets never on disaggregated rows.
    assert values[(values.dimension != "total") & values.target.notna()].empty


def test_dense_rows_and_scopes(values: pd.DataFrame, duckdb_path: Path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        periods = con.execute("select count(*) from intermediate.int_periods").fetchone()[0]
        scopes = con.execute(
            "select count(*) from intermediate.int_indicator_scopes").fetchone()[0]
    totals = values[values.dimension == "total"]
    assert len(totals) == periods * scopes
    # Months 2019-05 … 2026-05, quarters 2019-T2 … 2026-T2, years 2019 … 2026, cumulative.
    assert periods == 85 + 29 + 8 + 1
    enrolment_scopes = set(zip(totals[totals.indicator_code == "ENT"].programme,
                               totals[totals.indicator_code == "ENT"].antenna, strict=True))
    assert enrolment_scopes == {
        (p, a)
        for p in ("ALL", "SOCLE", "SOCLE_FEMMES", "AVEC")
        for a in ("ALL", "PARIS", "BORDEAUX", "LILLE")
    } - {("SOCLE_FEMMES", "BORDEAUX"), ("SOCLE_FEMMES", "LILLE"), ("SOCLE", "LILLE")}
    assert (values.as_of == pd.Timestamp(AS_OF)).all()
    # Counts and sums are never null on total rows; disaggregated rows have a population.
    counts = totals[totals.indicator_type.isin(["count", "sum"])]
    assert counts.value.notna().all()
    assert (values[values.dimension != "total"].population > 0).all()


def test_other_marts(duckdb_path: Path) -> None:
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        journeys = con.execute("select * from marts.participant_journeys").df()
        cohorts = con.execute(
            "select * from marts.cohorts where programme = 'ALL' and antenna = 'ALL' "
            "and cohort_quarter_start = date '2026-01-01'").df()
        km = con.execute(
            "select count(*) from marts.time_to_employment where programme = 'ALL'"
        ).fetchone()[0]
    assert sorted(journeys.enrolment_id) == ["E01", "E02", "E03", "E04", "E05", "E08", "E10",
                                             "E11", "E12"]
    assert not journeys.participant_key.str.startswith("P").any()
    assert journeys.participant_key.iloc[0].startswith("p_")
    e01 = journeys[journeys.enrolment_id == "E01"].iloc[0]
    assert (e01.exit_outcome_class, e01.days_to_first_job) == ("durable", 95)
    assert e01.hours_counted == pytest.approx(4.5)
    e05 = journeys[journeys.enrolment_id == "E05"].iloc[0]
    assert e05.status == "active"
    assert cohorts.iloc[0].entrants == 3 and cohorts.iloc[0].exited == 3
    assert km > 0
    assert pseudonym(KEY, "P1") in set(journeys.participant_key)


@pytest.mark.postgres
def test_postgres_gives_the_same_rows(values: pd.DataFrame, pg_url: str, duckdb_path: Path,
                                      tmp_path: Path) -> None:
    """Same raw data on a fresh PostgreSQL database: every row of every mart is equal."""
    from urllib.parse import urlsplit

    with connect(pg_url) as wh:
        write_raw(wh)
    parts = urlsplit(pg_url)
    run_dbt({
        "SEA_DBT_TARGET": "postgres", "SEA_PG_HOST": parts.hostname or "127.0.0.1",
        "SEA_PG_PORT": str(parts.port or 5432), "SEA_PG_USER": parts.username or "root",
        "SEA_PG_DBNAME": parts.path.lstrip("/"), "SEA_DUCKDB_PATH": "",
    }, tmp_path)
    with connect(pg_url) as wh, connect(str(duckdb_path), read_only=True) as duck_wh:
        for mart in ("indicator_values", "participant_journeys", "cohorts",
                     "time_to_employment", "indicator_baselines"):
            _assert_same_rows(mart, duck_wh.fetch_df(f"select * from marts.{mart}"),
                              wh.fetch_df(f"select * from marts.{mart}"))


def _as_text(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "<null>"
    if isinstance(value, date):  # datetime and pandas Timestamp too: a day is a day
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def _assert_same_rows(mart: str, duck: pd.DataFrame, pg: pd.DataFrame) -> None:
    """Every row and column equal, numbers to 1e-9 relative, whatever the engines' types."""
    assert list(duck.columns) == list(pg.columns), mart
    assert len(duck) == len(pg), mart
    numeric = [c for c in duck.columns if pd.api.types.is_numeric_dtype(duck[c])
               and not pd.api.types.is_bool_dtype(duck[c])]
    for frame in (duck, pg):
        for column in frame.columns:
            if column in numeric:
                frame[column] = pd.to_numeric(frame[column]).astype(float)
            elif "date" in column or column in ("period_start", "period_end", "as_of"):
                frame[column] = pd.to_datetime(frame[column]).astype(str)
            else:  # text and booleans; nulls alike whatever the driver returns
                frame[column] = frame[column].map(_as_text)
    key = [c for c in duck.columns if c not in numeric]
    duck = duck.sort_values(key + numeric).reset_index(drop=True)
    pg = pg.sort_values(key + numeric).reset_index(drop=True)
    for column in duck.columns:
        if column in numeric:
            left, right = duck[column], pg[column]
            same = ((left - right).abs() <= 1e-9 * right.abs().clip(lower=1)) | (
                left.isna() & right.isna())
        else:
            same = duck[column] == pg[column]
        assert same.all(), (mart, column, duck[~same].head(3).to_dict("records"),
                            pg[~same].head(3).to_dict("records"))


# --------------------------------------------------------------- independent re-implementation
# A second, deliberately naive implementation of docs/indicators.md in plain Python (loops over
# records and periods, no shared SQL), run on a synthetic population of the fake CRM with a few
# bad records injected and an as-of date in the past (so exits, entries, situations and
# activities after R exist). Every row of marts.indicator_values (targets aside) must agree.
REFERENCE_AS_OF = date(2025, 6, 15)
DIMS = ["sex", "age_band", "protection_status", "french_level_band", "education_band", "qpv",
        "rqth", "nationality"]


def _months_later(d: date, n: int) -> date:
    import calendar

    index = d.month - 1 + n
    year, month = d.year + index // 12, index % 12 + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _seed(name: str) -> list[dict]:
    import csv

    with (DBT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def reference_values(con: duckdb.DuckDBPyConnection, as_of: date) -> dict:
    """(indicator, (period_type, start, end), (programme, antenna), (dimension, value)) →
    (numerator, denominator, value), computed from the staged inputs only."""
    from collections import defaultdict
    from datetime import timedelta
    from statistics import median

    def rows(sql: str) -> list[dict]:
        cur = con.execute(sql)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    start_of_project = date(2019, 5, 1)
    participants = {p["participant_key"]: p
                    for p in rows("select * from staging.stg_crm__participants")}
    parent = {r["programme"]: r["parent_programme"] for r in _seed("programme_reference")
              if r["parent_programme"]}
    neutral = {r["exit_reason"] for r in _seed("neutral_exit_reasons")}
    listed: dict[str, set] = defaultdict(set)
    for r in _seed("code_lists"):
        listed[r["list_name"]].add(r["code"])
    french = {"A0": "A0-A1", "A1": "A0-A1", "A2": "A2-B1", "B1": "A2-B1", "B2": "B2+",
              "C1": "B2+", "C2": "B2+"}
    education = {"infra3": "infra3-3", "3": "infra3-3", "4": "4-5", "5": "4-5", "6": "6+",
                 "7": "6+", "8": "6+"}

    def flag(v: object) -> str:
        return "unknown" if v is None else ("true" if v else "false")

    def age_band(birth: date | None, day: date) -> str:
        if birth is None:
            return "unknown"
        age = day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))
        if not 16 <= age <= 99:
            return "unknown"
        return "<26" if age < 26 else ("26-44" if age <= 44 else "45+")

    enrolments = []
    for e in rows("select * from staging.stg_crm__enrolments"):
        p = participants.get(e["participant_key"])
        if p is None or e["start_date"] > as_of:
            continue
        if e["end_date"] is not None and e["end_date"] < e["start_date"]:
            continue
        end = e["end_date"] if e["end_date"] is not None and e["end_date"] <= as_of else None
        programmes, code = [e["programme"]], e["programme"]
        while code in parent:
            code = parent[code]
            programmes.append(code)
        enrolments.append({
            "id": e["enrolment_id"], "pk": e["participant_key"], "start": e["start_date"],
            "end": end, "reason": e["exit_reason"], "antenna": e["antenna"],
            "scopes": [(pr, an) for pr in [*programmes, "ALL"] for an in (e["antenna"], "ALL")],
            "dims": {
                "sex": p["sex"] if p["sex"] in listed["sex"] else "unknown",
                "age_band": age_band(p["birth_date"], e["start_date"]),
                "protection_status": p["protection_status"]
                if p["protection_status"] in listed["protection_status"] else "unknown",
                "french_level_band": french.get(p["french_level"], "unknown"),
                "education_band": education.get(p["education_level"], "unknown"),
                "qpv": flag(p["qpv"]), "rqth": flag(p["rqth"]),
                "nationality": p["nationality"]
                if p["nationality"] in listed["nationality"] else "unknown",
            },
        })
    by_id = {e["id"]: e for e in enrolments}
    by_person: dict[str, list] = defaultdict(list)
    for e in enrolments:
        by_person[e["pk"]].append(e)

    def situation_rank(s: dict) -> int:  # durable 3 > transition 2 > positive 1 > none 0
        kind, contract = s["kind"], s["contract"]
        if kind == "business_creation" or (kind == "employment" and contract == "CDI"):
            return 3
        if kind == "employment":
            if contract in ("CDD", "INTERIM", "ALTERNANCE") and s["end_date"] is not None and \
                    s["end_date"] >= _months_later(s["start_date"], 6) - timedelta(days=1):
                return 3
            return 1 if contract == "IAE" else 2
        if kind == "training" and s["training_type"] in ("qualifying", "certifying",
                                                         "pre_qualifying"):
            return 1
        return 0

    situations: dict[str, list] = defaultdict(list)
    for s in rows("select * from intermediate.int_situations_unioned"):
        if s["participant_key"] in participants and s["start_date"] <= as_of and (
                s["end_date"] is None or s["end_date"] >= s["start_date"]):
            s["rank"] = situation_rank(s)
            situations[s["participant_key"]].append(s)
    contacts: dict[str, list] = defaultdict(list)
    for c in rows("select * from intermediate.int_followup_contacts"):
        if c["participant_key"] in participants and c["contact_date"] <= as_of:
            contacts[c["participant_key"]].append(c["contact_date"])

    window, six_window = timedelta(days=30), timedelta(days=45)
    for e in enrolments:
        if e["end"] is None:
            continue
        e["neutral"] = e["reason"] in neutral
        mine = situations[e["pk"]]
        at_exit = [s["rank"] for s in mine if e["start"] <= s["start_date"] <= e["end"] + window
                   and (s["end_date"] is None or s["end_date"] >= e["end"])]
        e["exit"] = max(at_exit, default=0)
        m6 = _months_later(e["end"], 6)
        at_m6 = [s["rank"] for s in mine if e["start"] <= s["start_date"] <= m6
                 and (s["end_date"] is None or s["end_date"] >= m6)]
        e["m6"], e["mature"] = m6, m6 + six_window <= as_of
        e["dynamic6"] = max(at_m6, default=0) > 0
        e["known6"] = bool(at_m6) or any(m6 - six_window <= d <= m6 + six_window
                                         for d in contacts[e["pk"]])
        jobs = [s["start_date"] for s in mine if s["kind"] in ("employment", "business_creation")
                and e["start"] <= s["start_date"] <= e["end"] + window]
        e["delay"] = (min(jobs) - e["start"]).days if jobs else None

    periods = []
    month = date(2019, 5, 1)
    while month <= as_of:
        periods.append(("month", month, _months_later(month, 1) - timedelta(days=1)))
        month = _months_later(month, 1)
    quarter = date(2019, 4, 1)
    while quarter <= as_of:
        periods.append(("quarter", quarter, _months_later(quarter, 3) - timedelta(days=1)))
        quarter = _months_later(quarter, 3)
    periods += [("year", date(y, 1, 1), date(y, 12, 31)) for y in range(2019, as_of.year + 1)]
    periods.append(("cumulative", start_of_project, as_of))

    def containing(d: date) -> list:
        return [p for p in periods if p[1] <= d <= p[2]]

    def keys(e: dict):
        for scope in e["scopes"]:
            yield scope, ("total", "total")
            for dim in DIMS:
                yield scope, (dim, e["dims"][dim])

    count: dict = defaultdict(float)
    num: dict = defaultdict(float)
    den: dict = defaultdict(float)
    distinct: dict = defaultdict(set)
    delays: dict = defaultdict(list)
    for e in enrolments:
        for p in containing(e["start"]):
            for scope, dv in keys(e):
                count["ENT", p, scope, dv] += 1
                den["ENT_F", p, scope, dv] += 1
                num["ENT_F", p, scope, dv] += e["dims"]["sex"] == "F"
            for scope in e["scopes"]:
                distinct["ENT_P", p, scope, ("total", "total")].add(e["pk"])
        for p in periods:
            if e["start"] <= p[2] and (e["end"] is None or e["end"] >= p[1]):
                for scope, dv in keys(e):
                    count["ACT", p, scope, dv] += 1
        if e["end"] is None:
            continue
        for p in containing(e["end"]):
            for scope, dv in keys(e):
                count["SOR", p, scope, dv] += 1
                den["ABD", p, scope, dv] += 1
                num["ABD", p, scope, dv] += e["reason"] == "dropout"
                if e["neutral"]:
                    continue
                for code, hit in (("SD_SORTIE", e["exit"] > 0), ("ED_SORTIE", e["exit"] == 3),
                                  ("EMP_SORTIE", e["exit"] >= 2), ("SP_SORTIE", e["exit"] == 1)):
                    den[code, p, scope, dv] += 1
                    num[code, p, scope, dv] += hit
                if e["delay"] is not None:
                    delays["DELAI_EMPLOI", p, scope, dv].append(e["delay"])
        if e["mature"] and not e["neutral"]:
            for p in containing(e["m6"]):
                for scope, dv in keys(e):
                    for code, hit in (("SD_6M", e["dynamic6"]), ("SUIVI_6M", e["known6"])):
                        den[code, p, scope, dv] += 1
                        num[code, p, scope, dv] += hit

    for a in rows("select * from intermediate.int_activities_unioned"):
        if not a["has_participant"] or a["participant_key"] not in participants \
                or a["activity_date"] > as_of or a["activity_type"] == "followup_contact" \
                or not a["attended"]:
            continue
        minutes = a["duration_minutes"]
        if minutes is not None and not 1 <= minutes <= 600:
            continue
        own = by_id.get(a["enrolment_id"])
        if own is None or own["pk"] != a["participant_key"]:
            running = [e for e in by_person[a["participant_key"]]
                       if e["start"] <= a["activity_date"] <= (e["end"] or as_of)]
            own = min(running, key=lambda e: (e["start"], e["id"].encode()), default=None)
        if own is not None:
            for p in containing(a["activity_date"]):
                for scope in own["scopes"]:
                    count["HRS", p, scope, ("total", "total")] += (minutes or 0) / 60.0

    employers = {c["employer_id"]: c["antenna"]
                 for c in rows("select * from staging.stg_crm__employers")}
    for a in rows("select * from intermediate.int_activities_unioned"):
        if a["activity_type"] in ("job_dating", "company_visit", "employer_awareness") \
                and a["attended"] and a["employer_id"] in employers \
                and a["activity_date"] <= as_of \
                and (not a["has_participant"] or a["participant_key"] in participants):
            for p in containing(a["activity_date"]):
                for scope in (("ALL", employers[a["employer_id"]]), ("ALL", "ALL")):
                    distinct["EMP_ENG", p, scope, ("total", "total")].add(a["employer_id"])

    scopes = {scope for e in enrolments for scope in e["scopes"]}
    employer_scopes = {("ALL", antenna) for antenna in employers.values()} | {("ALL", "ALL")}
    expected = {}
    # The whole association's indicators read spreadsheets, not the CRM: they have their own
    # re-implementation (tests/test_indicators_association.py).
    for c in (c for c in _seed("indicator_catalogue") if c["scope_basis"] != "spreadsheet"):
        code, kind = c["indicator_code"], c["indicator_type"]
        for p in periods:
            for scope in employer_scopes if code == "EMP_ENG" else scopes:
                k = (code, p, scope, ("total", "total"))
                if code in ("ENT_P", "EMP_ENG"):
                    expected[k] = (None, None, len(distinct[k]))
                elif kind in ("count", "sum"):
                    expected[k] = (None, None, count[k])
                elif kind == "rate":
                    expected[k] = (num[k], den[k], num[k] / den[k] if den[k] else None)
                else:
                    expected[k] = (None, None, median(delays[k]) if delays[k] else None)
    for k, v in count.items():
        if k[3][0] != "total" and v > 0:
            expected[k] = (None, None, v)
    for k, v in den.items():
        if k[3][0] != "total" and v > 0:
            expected[k] = (num[k], v, num[k] / v)
    for k, v in delays.items():
        if k[3][0] != "total":
            expected[k] = (None, None, median(v))
    return expected


def _same(a: float | None, b: float | None) -> bool:
    a = None if a is None or (isinstance(a, float) and math.isnan(a)) else a
    b = None if b is None or (isinstance(b, float) and math.isnan(b)) else b
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-9 * max(1.0, abs(a))


def test_independent_reimplementation_agrees(tmp_path: Path) -> None:
    from connectors.crm.schema import RESOURCES
    from devtools.fake_crm.world import World

    world = World(seed=11, participants=400)
    for kind, resource in [("end_before_start", "enrolments"), ("end_before_start", "situations"),
                           ("orphan", "enrolments"), ("orphan", "situations"),
                           ("orphan", "activities"), ("bad_descriptor", "participants")]:
        world.inject_bad_record(kind, resource)
    path = tmp_path / "warehouse.duckdb"
    with connect(path) as wh:
        ensure_raw_crm_tables(wh)
        ensure_tables(wh, "raw")
        for resource in RESOURCES:
            records = []
            for record in world.records(resource):
                records.append({k: (None if v is None else str(v).lower() if isinstance(v, bool)
                                    else str(v)) for k, v in record.items()})
            wh.insert_df(f"raw.crm_{resource}", _frame(resource, records))
        rebuild_pseudonyms(wh, KEY)
    run_dbt({"SEA_DBT_TARGET": "duckdb", "SEA_DUCKDB_PATH": str(path),
             "SEA_AS_OF": REFERENCE_AS_OF.isoformat()}, tmp_path)
    with duckdb.connect(str(path), read_only=True) as con:
        expected = reference_values(con, REFERENCE_AS_OF)
        actual = {
            (r[0], (r[1], r[2], r[3]), (r[4], r[5]), (r[6], r[7])): (r[8], r[9], r[10])
            for r in con.execute(
                "select indicator_code, period_type, period_start, period_end, programme, "
                "antenna, dimension, dimension_value, numerator, denominator, value "
                "from marts.indicator_values").fetchall()
            if r[0] in {c["indicator_code"] for c in _seed("indicator_catalogue")
                        if c["scope_basis"] != "spreadsheet"}
        }
    assert set(expected) == set(actual), (
        sorted(set(expected) - set(actual))[:5], sorted(set(actual) - set(expected))[:5])
    differences = [(k, expected[k], actual[k]) for k in expected
                   if not all(_same(x, y) for x, y in zip(expected[k], actual[k], strict=True))]
    assert not differences, differences[:5]

    # The benchmark's floor query (devtools/bench_floor.sql), a third implementation of the
    # quarter totals, agrees with the mart on the same data; and the benchmark's timing of the
    # models behind indicator_values runs them.
    settings = make_settings(tmp_path, warehouse=str(path), as_of=REFERENCE_AS_OF.isoformat())
    _, floor_rows, mismatches = run_floor(settings)
    assert floor_rows > 0 and mismatches == 0
    assert dbt_marts_seconds(settings, tmp_path / "target") > 0


def _dbt_test_with_failures(warehouse: Path, tmp_path: Path,
                            *tests: str) -> subprocess.CompletedProcess:
    """`dbt test --store-failures` of the named tests on a copy of the warehouse."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "SEA_AS_OF": AS_OF,
           "SEA_DBT_TARGET": "duckdb", "SEA_DUCKDB_PATH": str(warehouse)}
    return subprocess.run(
        [str(DBT), "--no-use-colors", "test", "--profiles-dir", str(DBT_DIR),
         "--project-dir", str(DBT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"), "--select", *tests, "--store-failures"],
        env=env, capture_output=True, text=True, timeout=600)


def test_model_rules_test_names_each_failing_rule(duckdb_path: Path, tmp_path: Path):
    """`model_rules` (all of a model's structural rules in one dbt test) fails on an empty
    required column and on a refused value, naming the rule and what fails; it passes on the
    built marts."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute("update intermediate.int_periods set period_end = null "
                    "where period_type = 'year' and period_start = date '2020-01-01'")
        con.execute("update intermediate.int_periods set period_type = 'semaine' "
                    "where period_type = 'month' and period_start = date '2020-03-01'")
    done = _dbt_test_with_failures(copy, tmp_path, "rules_int_periods",
                                   "rules_int_enrolments_counted")
    assert done.returncode == 1, done.stdout[-3000:]
    assert "FAIL 2 rules_int_periods" in done.stdout, done.stdout[-3000:]
    assert "PASS rules_int_enrolments_counted" in done.stdout, done.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        failures = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_name = 'rules_int_periods'").fetchall()
        assert len(failures) == 1
        schema, table = failures[0]
        assert sorted(con.execute(f'select rule, detail from "{schema}"."{table}"').fetchall()) == [
            ("accepted_values(period_type)", "semaine"), ("not_null", "period_end")]


def test_rules_of_the_views_fail_on_the_tables_that_carry_them(duckdb_path: Path,
                                                               tmp_path: Path):
    """The views `int_activities_unioned`, `int_indicator_period_values` and the mart
    `indicator_values` have their rules checked where it costs least: an attendance row taking a
    CRM activity's id fails `assert_activity_ids_unique_across_sources` (read on the attendance
    rows only), a rate above 1 stored in `int_indicator_totals` fails `rules_indicator_values`."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(duckdb_path, copy)
    with duckdb.connect(str(copy)) as con:
        crm_id = con.execute("select min(activity_id) from staging.stg_crm__activities "
                             "where activity_type <> 'workshop'").fetchone()[0]
        sheet_id = con.execute("select min(activity_id) from intermediate.int_activities_unioned "
                               "where source = 'emargement'").fetchone()[0]
        assert crm_id and sheet_id
        con.execute("update staging.stg_sheets__emargements set attendance_id = ? "
                    "where attendance_id = ?", [crm_id, sheet_id])
        con.execute("update intermediate.int_indicator_totals "
                    "set value = 1.5, numerator = 3, denominator = 2 "
                    "where indicator_code = 'ENT_F' and period_type = 'cumulative' "
                    "and programme = 'ALL' and antenna = 'ALL' and dimension = 'total'")
    done = _dbt_test_with_failures(copy, tmp_path, "assert_activity_ids_unique_across_sources",
                                   "rules_indicator_values")
    assert done.returncode == 1, done.stdout[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        found = {}
        for name in ("assert_activity_ids_unique_across_sources", "rules_indicator_values"):
            schema = con.execute("select table_schema from information_schema.tables "
                                 "where table_name = ?", [name]).fetchone()[0]
            found[name] = sorted(con.execute(f'select * from "{schema}"."{name}"').fetchall())
    assert found["assert_activity_ids_unique_across_sources"] == [(crm_id, "emargement")]
    assert [row[0] for row in found["rules_indicator_values"]] == [
        "expression(indicator_type <> 'rate' or unit <> 'fraction' or value is null or value "
        "between 0 and 1)",
        "expression(unit <> 'fraction' or numerator is null or numerator <= denominator)"]
