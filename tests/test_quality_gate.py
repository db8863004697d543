"""The data-quality gate (docs/outputs.md#6-the-data-quality-gate), end to
end.

The real nightly refresh runs against the fake CRM and the demo spreadsheets; the gate passes on
that data (its defects are `warn` class). Then every class of bad record is injected — through
the fake CRM's `inject_bad_record` where it can aim at the defect, as extra CRM versions written
to raw where it cannot pick the record (a version the CRM served is exactly a raw row), and as
bad files in the shared folder — the refresh runs again, and each matching check fails with
exactly the injected records as its new offenders. The scorecard counts what the gate samples.
With an `error` failure the reporting assets do not run and `python -m orchestration.gate`
exits 1 naming the checks; a waiver lets the report through and says so.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import yaml
from dagster import (
    AssetIn,
    AssetKey,
    AssetSelection,
    DagsterInstance,
    Definitions,
    asset,
    define_asset_job,
)

from common.warehouse import Warehouse, connect
from connectors.crm.raw_tables import resource_columns
from connectors.pseudonyms import pseudonym
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from expectations.outcomes import CheckOutcome
from expectations.runner import DEFAULT_SAMPLE_SIZE, SuiteRunner, expectation_problems
from expectations.suites import SuiteError, all_checks, default_suites, load_suite
from expectations.waivers import load_waivers
from orchestration.checks import GATE_CHECK, build_quality_checks, build_quality_gate_asset
from orchestration.gate import evaluate_gate, main, quarter_of_partition
from tests.conftest import (
    TEST_KEY,
    copy_of_night,
    make_settings,
    published_world,
    run_nightly_in_memory,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 20)
QUARTER = "2026-Q3"
ALL = 1_000_000  # sample size that shows every offending id
INJECTED_AT = datetime(2026, 11, 22, 9, 0)  # later than anything the fake CRM served


def _pk(crm_id: str) -> str:
    return pseudonym(TEST_KEY, crm_id)


def _by_key(outcomes) -> dict[str, CheckOutcome]:
    return {o.key: o for o in outcomes}


def _ids(outcome: CheckOutcome) -> set[str]:
    return set(outcome.sample_ids)


# -- injecting what the fake CRM cannot aim at: extra CRM versions, written as extraction does --
def _raw_row(wh: Warehouse, resource: str, rid: str) -> dict:
    frame = wh.fetch_df(
        f"select * from raw.crm_{resource} where id = ? "
        "order by updated_at desc, _load_seq desc limit 1", [rid])
    return frame.iloc[0].to_dict()


def _append_version(wh: Warehouse, resource: str, row: dict, **changes: object) -> None:
    """A new version of a CRM record (or a new record): what extraction writes for it."""
    names = [c for c, _ in resource_columns(resource)]
    version = {**row, **changes, "updated_at": INJECTED_AT, "_load_seq": 10_000,
               "_load_id": "test-injection", "_loaded_at": INJECTED_AT, "_page": 1,
               "_position": 0, "_extra_fields": None}
    version["_payload_hash"] = f"test-{resource}-{version['id']}-{len(changes)}"
    clean = {k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in version.items()}
    wh.insert_df(f"raw.crm_{resource}", pd.DataFrame([{n: clean.get(n) for n in names}]))


@dataclass
class Expected:
    """A check that must fail, and the records that must be its new offenders."""

    check: str
    ids: set[str]  # the new offenders must be exactly these


@dataclass
class Pipeline:
    settings: object
    world: World
    clean: list[CheckOutcome] = field(default_factory=list)  # default sample size
    before: dict[str, CheckOutcome] = field(default_factory=dict)  # every id
    after: dict[str, CheckOutcome] = field(default_factory=dict)
    expected: list[Expected] = field(default_factory=list)
    clean_scorecard: pd.DataFrame | None = None
    clean_rules: pd.DataFrame | None = None
    clean_warehouse: Path | None = None  # a copy of the warehouse before any injection


def _people(world: World) -> dict[str, dict]:
    """Participants with their enrolments and situations, from what the fake CRM serves."""
    people = {p["id"]: {**p, "enrolments": [], "situations": []}
              for p in world.records("participants")}
    for e in world.records("enrolments"):
        if e["participant_id"] in people:
            people[e["participant_id"]]["enrolments"].append(e)
    for s in world.records("situations"):
        if s.get("participant_id") in people:
            people[s["participant_id"]]["situations"].append(s)
    return people


def _inject_fake_crm(world: World) -> list[Expected]:
    """The bad-record kinds of the fake CRM that reach the gate (the others fail extraction)."""
    crm_employers = {world.inject_bad_record("null_required", "employers"),
                     world.inject_bad_record("bad_open_code", "employers", value="PARIS 2")}
    descriptor = world.inject_bad_record("bad_descriptor", "participants")
    unreadable = world.inject_bad_record("impossible_date", "participants")
    world.inject_bad_record("extra_field", "participants")
    return [
        Expected("raw.crm_employers.latest_version_not_quarantined", crm_employers),
        Expected("raw.crm_activities.latest_version_not_quarantined",
                 {world.inject_bad_record("bad_closed_code", "activities")}),
        Expected("raw.crm_activities.no_duplicate_id",
                 {world.inject_bad_record("duplicate_id", "activities")}),
        Expected("staging.stg_crm__situations.end_not_before_start",
                 {world.inject_bad_record("end_before_start", "situations")}),
        Expected("staging.stg_crm__situations.participant_exists",
                 {world.inject_bad_record("orphan", "situations")}),
        Expected("staging.stg_crm__activities.date_not_after_as_of",
                 {world.inject_bad_record("future_date", "activities")}),
        Expected("staging.stg_crm__participants.descriptors_in_list", {_pk(descriptor)}),
        Expected("staging.stg_crm__participants.optional_values_readable", {_pk(unreadable)}),
        Expected("raw.crm_schema_drift.no_unknown_field", {"participants.linkedin_url"}),
    ]


def _inject_raw(wh: Warehouse, world: World) -> list[Expected]:
    """Classes the fake CRM cannot aim at: each a CRM version written to raw."""
    bad = {r["id"] for r in world.state()["bad_records"]}
    people = [p for pid, p in sorted(_people(world).items())
              if pid not in bad and p["enrolments"] and p.get("birth_date")
              and not any(e["id"] in bad for e in p["enrolments"])
              and min(e["start_date"] for e in p["enrolments"]) <= "2026-06-30"]
    first = {p["id"]: min(e["start_date"] for e in p["enrolments"]) for p in people}
    active = [p for p in people if any(e["end_date"] is None for e in p["enrolments"])]
    pb = active[0]
    pa, pc, pd_, p_age, p_dup = [p for p in people if p is not pb][:5]
    expected: list[Expected] = []

    def day(pid: str, offset: int) -> str:
        return (date.fromisoformat(first[pid]) + timedelta(days=offset)).isoformat()

    template = _raw_row(wh, "enrolments", pa["enrolments"][0]["id"])
    # Impossible dates (error) and an ended enrolment without exit reason (warn), for PA.
    _append_version(wh, "enrolments", template, id="E900001", programme="TEST_INVERSE",
                    start_date=day(pa["id"], 10), end_date=day(pa["id"], 5),
                    exit_reason="completed", cohort=None)
    expected.append(Expected("staging.stg_crm__enrolments.end_not_before_start", {"E900001"}))
    _append_version(wh, "enrolments", template, id="E900002", programme="TEST_SANS_MOTIF",
                    start_date=day(pa["id"], 1), end_date=day(pa["id"], 30), exit_reason=None)
    expected.append(Expected("staging.stg_crm__enrolments.exit_reason_when_ended", {"E900002"}))
    # Two overlapping enrolments in one programme (warn): a copy of PB's active enrolment.
    twin = next(e for e in pb["enrolments"] if e["end_date"] is None)
    _append_version(wh, "enrolments", _raw_row(wh, "enrolments", twin["id"]), id="E900003")
    expected.append(Expected("staging.stg_crm__enrolments.no_overlap_in_programme",
                             {"E900003", twin["id"]}))
    # A `job_found` exit with no matching situation (warn), before PD's first entry.
    start, end = day(pd_["id"], -100), day(pd_["id"], -60)
    assert not [s for s in pd_["situations"] if start <= s["start_date"] <= day(pd_["id"], -30)]
    _append_version(wh, "enrolments", template, id="E900004", participant_id=pd_["id"],
                    programme="TEST_EMPLOI", start_date=start, end_date=end,
                    exit_reason="job_found")
    expected.append(Expected("staging.stg_crm__enrolments.found_exit_has_situation",
                             {"E900004"}))
    # An implausible age at entry (warn): P_age said born in 2015.
    _append_version(wh, "participants", _raw_row(wh, "participants", p_age["id"]),
                    birth_date="2015-06-01")
    expected.append(Expected("staging.stg_crm__enrolments.plausible_age_at_entry",
                             {e["id"] for e in p_age["enrolments"]}))
    # A suspected duplicate person (warn): a second record with P_dup's name and birth date.
    _append_version(wh, "participants", _raw_row(wh, "participants", p_dup["id"]),
                    id="P9000001")
    expected.append(Expected("raw.crm_participants.no_suspected_duplicate_person",
                             {_pk(p_dup["id"]), _pk("P9000001")}))
    # Situations: an employment without contract, an enrolment id of someone else (warn).
    situations = [s for p in people[6:] for s in p["situations"] if s["id"] not in bad]
    job = next(s for s in situations if s["kind"] == "employment" and s["contract"])
    _append_version(wh, "situations", _raw_row(wh, "situations", job["id"]), contract=None)
    expected.append(Expected("staging.stg_crm__situations.employment_has_contract",
                             {job["id"]}))
    named = next(s for s in situations if s["enrolment_id"] and s["id"] != job["id"])
    _append_version(wh, "situations", _raw_row(wh, "situations", named["id"]),
                    enrolment_id=pa["enrolments"][0]["id"])
    expected.append(Expected("staging.stg_crm__situations.enrolment_id_fits", {named["id"]}))
    # Activities: a duration out of range, an enrolment id that does not exist, one that no
    # enrolment covers (warn).
    acts = wh.fetch_df(
        "select a.activity_id as id, a.enrolment_id from staging.stg_crm__activities a "
        "join staging.stg_crm__enrolments e "
        "  on e.enrolment_id = a.enrolment_id and e.participant_key = a.participant_key "
        "where a.activity_type = 'individual_meeting' and a.attended "
        "and a.duration_minutes between 1 and 600 and a.activity_date >= e.start_date "
        "and (e.end_date is null or a.activity_date <= e.end_date) order by 1")
    acts = acts[~acts["id"].isin(bad) & ~acts["enrolment_id"].isin(bad)]
    long_one, misnamed = acts["id"].iloc[0], acts["id"].iloc[1]
    _append_version(wh, "activities", _raw_row(wh, "activities", long_one),
                    duration_minutes="900")
    expected.append(Expected("intermediate.int_activities_unioned.duration_in_range",
                             {long_one}))
    _append_version(wh, "activities", _raw_row(wh, "activities", misnamed),
                    enrolment_id="E999999")
    expected.append(Expected("staging.stg_crm__activities.enrolment_id_fits", {misnamed}))
    _append_version(wh, "activities", _raw_row(wh, "activities", long_one), id="A9000001",
                    participant_id=pc["id"], enrolment_id=None, date=day(pc["id"], -200),
                    duration_minutes="60")
    expected.append(Expected("intermediate.dq_activity_flags.attributable_to_enrolment",
                             {"A9000001"}))
    return expected


def _inject_sheets(folder: Path, world: World) -> list[Expected]:
    """A file never readable (rejected) and two bad attendance rows (quarantine)."""
    known = sorted(p["id"] for p in world.records("participants"))[0]
    (folder / "plan_action_bis.csv").write_text("id;action\nPA-99;x\n", encoding="utf-8")
    (folder / "emargements_test.csv").write_text(
        "Date;Antenne;Atelier;ID CRM;Nom;Présent;Durée (minutes)\n"
        f"31/02/2026;PARIS;Atelier CV;{known};X;oui;120\n"
        "03/03/2026;PARIS;Atelier CV;P0000000;Y;oui;120\n", encoding="utf-8")
    return [
        Expected("raw.sheet_files.no_rejected_file", {"plan_action_bis.csv"}),
        Expected("raw.sheet_quarantine.no_quarantined_row",
                 {"emargements_test.csv / emargements_test / ligne 2",
                  "emargements_test.csv / emargements_test / ligne 3"}),
    ]


def _inject_stale(folder: Path) -> Expected:
    """A file that was loaded and is now rejected: its last good load is kept, flagged stale."""
    path = folder / "capitalisation.xlsx"
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(["ID", "Date", "Titre"])  # `type` is missing
    book.save(path)
    return Expected("raw.sheet_files.no_stale_file", {"capitalisation.xlsx"})


@pytest.fixture(scope="module")
def duck(tmp_path_factory, published_night) -> Pipeline:
    """The published night (160 participants, the demo spreadsheets, as of AS_OF), copied: the
    clean state; then every class of bad record injected and a second night."""
    assert published_night.as_of == AS_OF
    tmp = tmp_path_factory.mktemp("gate")
    world = published_world()
    with FakeCRMServer(world, token="test-token") as server:
        settings = copy_of_night(published_night, tmp, crm_url=server.base_url, world=world)
        pipe = Pipeline(settings, world)
        pipe.clean = list(evaluate_gate(settings, QUARTER).outcomes)
        pipe.before = _by_key(evaluate_gate(settings, QUARTER, sample_size=ALL).outcomes)
        with connect(settings.warehouse) as wh:
            pipe.clean_scorecard = wh.fetch_df("select * from marts.data_quality_scorecard")
            pipe.clean_rules = wh.fetch_df("select * from marts.dq_rule_results")
        pipe.clean_warehouse = tmp / "clean.duckdb"
        shutil.copy(settings.warehouse, pipe.clean_warehouse)
        pipe.expected = _inject_fake_crm(world)
        with connect(settings.warehouse) as wh:
            pipe.expected += _inject_raw(wh, world)
        pipe.expected += _inject_sheets(settings.sheets_dir, world)
        pipe.expected.append(_inject_stale(settings.sheets_dir))
        run_nightly_in_memory(settings)
    pipe.after = _by_key(evaluate_gate(settings, QUARTER, sample_size=ALL).outcomes)
    return pipe


# -- the suites and waivers as files ----------------------------------------------------------
def test_every_suite_parses_and_names_real_ge_expectations():
    suites = default_suites()
    checks = all_checks(suites)
    assert {s.name for s in suites} == {"raw_crm", "raw_sheets", "staging", "intermediate",
                                        "marts"}
    assert len(checks) > 60
    assert {c.severity for c in checks.values()} == {"error", "warn"}
    assert expectation_problems(suites) == []
    load_waivers(checks=checks)  # the versioned waivers file is valid


def test_malformed_suite_and_waivers_fail_in_one_french_line(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("suite: x\ntables:\n  - table: staging.t\n    record_id: id\n    checks:\n"
                   "      - {name: a, severity: fatal, rule: r, offending: select 1}\n")
    with pytest.raises(SuiteError, match="severity"):
        load_suite(bad)
    checks = all_checks(default_suites())
    waivers = tmp_path / "waivers.yml"
    for entry, message in [
        ("{check: nope, quarter: 2026-Q3, reason: r, who: w}", "contrôle inconnu"),
        ("{check: staging.stg_crm__enrolments.exit_reason_when_ended, quarter: 2026-Q3, "
         "reason: r, who: w}", "avertissement"),
        ("{check: staging.stg_crm__enrolments.end_not_before_start, quarter: 2026-T3, "
         "reason: r, who: w}", "trimestre invalide"),
        ("{check: staging.stg_crm__enrolments.end_not_before_start, quarter: 2026-Q3}",
         "manquant"),
    ]:
        waivers.write_text(f"waivers:\n  - {entry}\n")
        with pytest.raises(SuiteError, match=message):
            load_waivers(waivers, checks=checks)


# -- one home per rule -------------------------------------------------------------------------
REPO = Path(__file__).resolve().parents[1]
# The scorecard's rule list: (flags model, table, dimension, rule, French label, gate check | none)
_SCORECARD_RULE = re.compile(
    r"\('(dq_\w+_flags)',\s*'\w+',\s*'\w+',\s*'(\w+)',\s*(?:'[^']*'|\"[^\"]*\"),"
    r"\s*(?:'([\w.]+)'|none)\)")
_READS_FLAGS = re.compile(r"\bintermediate\.(dq_\w+_flags)\b")
# Checks that read the flags without mirroring one of their rules: a rule of their own.
_OWN_RULES_ON_FLAGS = {"intermediate.dq_activity_flags.attendance_antenna_matches_enrolment"}


def _scorecard_rules() -> list[tuple[str, str, str | None]]:
    text = (REPO / "dbt_project" / "macros" / "dq_rules.sql").read_text(encoding="utf-8")
    rules = [(model, rule, gate or None) for model, rule, gate in _SCORECARD_RULE.findall(text)]
    assert len(rules) == len(re.findall(r"^\s*\('dq_", text, re.M)), "every entry is read"
    return rules


def test_each_record_rule_is_computed_once_and_its_check_reads_the_verdict():
    """A record-level rule is computed in its dq_*_flags model only: the gate's check of it
    reads the stored `<rule>_failed` verdict (no second computation), every check the scorecard
    links to exists, and every check that reads the flags is linked back by the scorecard."""
    checks = all_checks(default_suites())
    linked: dict[str, set[tuple[str, str]]] = {}
    for model, rule, gate in _scorecard_rules():
        if gate is not None:
            assert gate in checks, f"{model}.{rule} names an unknown gate check {gate}"
            linked.setdefault(gate, set()).add((model, rule))
    for key, rules in linked.items():
        sql = checks[key].offending or ""
        for model, rule in rules:
            assert f"intermediate.{model}" in sql and f"{rule}_failed" in sql, (
                f"{key} must read the verdict {model}.{rule}_failed, not compute it again")
    reading = {key for key, check in checks.items() if _READS_FLAGS.search(check.offending or "")}
    assert reading - _OWN_RULES_ON_FLAGS == set(linked), (
        "checks reading the flags without a scorecard rule, or scorecard rules whose check "
        f"does not read them: {sorted(reading ^ set(linked))}")


def test_staging_keys_are_declared_once_as_gate_checks():
    """The not-null and unique rules of a table the gate guards live in its suite only: no dbt
    data test of the same model repeats them (the gate, Dagster and the annex read the suite)."""
    guarded: dict[str, set[tuple[str, str]]] = {}
    for check in all_checks(default_suites()).values():
        kind = {"expect_column_values_to_not_be_null": "not_null",
                "expect_column_values_to_be_unique": "unique"}.get(check.expectation)
        if kind and "column" in check.kwargs:
            guarded.setdefault(check.table.split(".")[1], set()).add((kind, check.kwargs["column"]))
    repeated = []
    for path in sorted((REPO / "dbt_project" / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            declared = set()
            for test in model.get("data_tests") or []:
                for rule in (test.get("arguments") or {}).get("rules") or []:
                    for kind, spec in rule.items():
                        columns = [spec] if isinstance(spec, str) else spec
                        declared |= {(kind, c) for c in columns if isinstance(c, str)}
            for column in model.get("columns") or []:
                declared |= {(t, column["name"]) for t in column.get("data_tests") or []
                             if isinstance(t, str)}
            repeated += [f"{model['name']}: {k}({c})"
                         for k, c in sorted(declared & guarded.get(model["name"], set()))]
    assert repeated == [], "declared both as a dbt test and as a gate check"


def test_quarter_of_a_partition():
    assert quarter_of_partition("2026-07-01") == "2026-Q3"
    assert quarter_of_partition("2026-q4") == "2026-Q4"
    with pytest.raises(SuiteError):
        quarter_of_partition("T3 2026")


# -- the runner on a tiny warehouse: one GE validation judges every offending-rows check ------
_TINY_SUITE = """\
suite: tiny
tables:
  - table: staging.things
    record_id: thing_id
    checks:
      - {name: id_present, severity: error, rule: r,
         expect: expect_column_values_to_not_be_null, kwargs: {column: thing_id}}
      - {name: colour_in_list, severity: warn, rule: r, where: "size > 1",
         expect: expect_column_values_to_be_in_set,
         kwargs: {column: colour, value_set: [red, blue]}}
      - {name: big, severity: error, rule: r, offending: "select thing_id as record_id,
           'taille ' || cast(size as varchar) as detail from staging.things where size > 10"}
      - {name: broken_sql, severity: error, rule: r,
         offending: "selec thing_id as record_id from staging.things"}
      - {name: no_record_id, severity: warn, rule: r,
         offending: "select thing_id as id from staging.things"}
      - {name: none_negative, severity: error, rule: r,
         offending: "select thing_id as record_id from staging.things where size < 0"}
      - {name: missing_column, severity: warn, rule: r,
         offending: "select thing_id as record_id, nope as detail from staging.things"}
      - {name: small, severity: warn, rule: r,
         offending: "select thing_id as record_id from staging.things where size <= 2"}
  - table: staging.others
    record_id: other_id
    checks:
      - {name: big, severity: warn, rule: r,
         offending: "select other_id as record_id from staging.others"}
  - table: staging.missing
    record_id: id
    checks:
      - {name: big, severity: warn, rule: r, offending: "select id as record_id from x.y"}
"""


@pytest.fixture(params=["duckdb", "postgres"])
def tiny_warehouse(request, tmp_path) -> str:
    if request.param == "duckdb":
        target = str(tmp_path / "tiny.duckdb")
    else:
        target = request.getfixturevalue("pg_url")
    with connect(target) as wh:
        wh.ensure_schema("staging")
        wh.execute("create table staging.things (thing_id text, colour text, size integer)")
        wh.insert_df("staging.things", pd.DataFrame({
            "thing_id": ["T5", "T1", None, "T4", "T2", "T3", "T6"],
            "colour": ["red", "green", "blue", "red", None, "pink", "blue"],
            "size": [12, 1, 3, 40, 2, 11, 5]}))
        wh.execute("create table staging.others (other_id text)")
        wh.insert_df("staging.others", pd.DataFrame({"other_id": ["O1"]}))
    return target


def test_offending_checks_judged_together_keep_their_own_outcomes(tiny_warehouse, tmp_path):
    """A broken query is its own check's outcome only; batching changes no outcome."""
    (tmp_path / "tiny.yml").write_text(_TINY_SUITE, encoding="utf-8")
    suite = load_suite(tmp_path / "tiny.yml")
    with connect(tiny_warehouse) as wh:
        runner = SuiteRunner(wh, as_of=AS_OF, pseudonym_key=TEST_KEY)
        together = runner.run([suite])
        by_table = [o for t in suite.tables for o in runner.run_table(t)]
        one_by_one = [o for t in suite.tables for c in t.checks
                      for o in runner.run_table(replace(t, checks=(c,)))]
    found = _by_key(together)
    assert len(found) == len(together) == 10
    assert found["staging.things.id_present"].row_count == 1
    assert found["staging.things.id_present"].checked_count == 7
    assert found["staging.things.id_present"].sample_ids == ("(vide)",)
    colours = found["staging.things.colour_in_list"]
    assert (colours.row_count, colours.checked_count, colours.sample_ids) == (1, 6, ("T3",))
    big = found["staging.things.big"]
    assert not big.passed and big.error is None and big.row_count == big.observed == 3
    assert big.sample_ids == ("T3", "T4", "T5")
    assert big.sample_details == ("taille 11", "taille 40", "taille 12")
    small = found["staging.things.small"]
    assert not small.passed and small.error is None and small.row_count == 2
    assert small.sample_ids == ("T1", "T2")
    none = found["staging.things.none_negative"]
    assert none.passed and none.error is None and none.row_count == none.observed == 0
    for name in ("broken_sql", "no_record_id", "missing_column"):
        outcome = found[f"staging.things.{name}"]
        assert not outcome.passed and outcome.error and outcome.row_count == 0
    assert "colonne record_id" in found["staging.things.no_record_id"].error
    other = found["staging.others.big"]  # same check name on another table: its own outcome
    assert (other.passed, other.row_count, other.sample_ids) == (False, 1, ("O1",))
    assert found["staging.missing.big"].error == "table absente : staging.missing"

    def comparable(outcomes):
        return [replace(o, seconds=0.0) for o in outcomes]

    assert comparable(together) == comparable(by_table) == comparable(one_by_one)


_NARROWING_SUITE = """\
suite: narrowing
tables:
  - table: staging.people
    record_id: person_id
    checks:
      - {name: id_present, severity: error, rule: r,
         expect: expect_column_values_to_not_be_null, kwargs: {column: person_id}}
      - {name: id_unique, severity: error, rule: r,
         expect: expect_column_values_to_be_unique, kwargs: {column: person_id}}
      - {name: code_in_list, severity: warn, rule: r,
         expect: expect_column_values_to_be_in_set, kwargs: {column: code, value_set: [A, B]}}
      - {name: code_well_formed, severity: warn, rule: r,
         expect: expect_column_values_to_match_regex, kwargs: {column: code, regex: "^[A-Z]$"}}
      - {name: code_dotted, severity: warn, rule: r,
         expect: expect_column_values_to_match_regex, kwargs: {column: code, regex: "^.$"}}
      - {name: size_in_list, severity: warn, rule: r,
         expect: expect_column_values_to_be_in_set, kwargs: {column: size, value_set: [1, 2]}}
      - {name: adult_code_unique, severity: warn, rule: r, where: "size > 1",
         expect: expect_column_values_to_be_unique, kwargs: {column: code}}
      - {name: adult_code_present, severity: warn, rule: r, where: "size > 1",
         expect: expect_column_values_to_not_be_null, kwargs: {column: code}}
"""


def test_column_checks_judged_on_candidate_rows_give_the_whole_tables_outcomes(
        tiny_warehouse, tmp_path):
    """GE judging only the rows the warehouse says could be refused (expectations/narrowing.py)
    finds, counts and shows exactly what it finds on every row; where no SQL condition is known
    to keep every refusal (a `.` in a pattern, a list of numbers), GE still gets every row."""
    with connect(tiny_warehouse) as wh:
        wh.execute("create table staging.people (person_id text, code text, size integer)")
        wh.insert_df("staging.people", pd.DataFrame({
            "person_id": ["P3", "P1", "P2", None, "P2", "P5", "P6", "P7", "P8"],
            # "B\n": Python's `$` matches before a final newline, the warehouse's does not
            "code": ["A", "a", "B\n", "C", None, "AB", "A", None, "A"],
            "size": [1, 2, 3, 2, 5, 1, 2, 2, 9]}))
    (tmp_path / "narrowing.yml").write_text(_NARROWING_SUITE, encoding="utf-8")
    suite = load_suite(tmp_path / "narrowing.yml")
    with connect(tiny_warehouse) as wh:
        narrowed = SuiteRunner(wh, as_of=AS_OF, pseudonym_key=TEST_KEY, sample_size=ALL)
        whole = SuiteRunner(wh, as_of=AS_OF, pseudonym_key=TEST_KEY, sample_size=ALL,
                            narrow=False)
        found, expected = narrowed.run([suite]), whole.run([suite])
        table = suite.tables[0]  # each check alone: its own condition, no other's rows
        alone = [o for c in table.checks
                 for o in narrowed.run_table(replace(table, checks=(c,)))]

    def comparable(outcomes):
        return [replace(o, seconds=0.0) for o in outcomes]

    assert comparable(found) == comparable(expected) == comparable(alone)
    by_name = {o.check.name: (o.row_count, o.checked_count, o.sample_ids) for o in found}
    assert by_name["id_present"] == (1, 9, ("(vide)",))
    assert by_name["id_unique"] == (2, 9, ("P2",))
    assert by_name["code_in_list"] == (4, 9, ("(vide)", "P1", "P2", "P5"))
    assert by_name["code_well_formed"] == (2, 9, ("P1", "P5"))  # "B\n" passes, as in Python
    # among sizes > 1 only: P6's and P8's "A" (P3's has size 1), P2's and P7's missing code
    assert by_name["adult_code_unique"] == (2, 7, ("P6", "P8"))
    assert by_name["adult_code_present"] == (2, 7, ("P2", "P7"))
    assert all(o.error is None for o in found)


# -- clean data -------------------------------------------------------------------------------
@pytest.mark.slow
def test_clean_demo_data_passes_with_only_warnings(duck):
    unrunnable = [o.message() for o in duck.clean if o.error]
    assert not unrunnable
    failed = [o for o in duck.clean if not o.passed]
    assert not [o.message() for o in failed if o.severity == "error"]
    # The demo's own defects are warn class, and the gate shows them.
    keys = {o.key for o in failed}
    assert "raw.sheet_quarantine.no_quarantined_row" in keys
    quarantine = next(o for o in failed if o.key == "raw.sheet_quarantine.no_quarantined_row")
    assert quarantine.row_count >= 3
    assert len(quarantine.sample_ids) == min(quarantine.row_count, DEFAULT_SAMPLE_SIZE)
    assert "Aucune ligne de tableur" in quarantine.message()
    assert not any(i in quarantine.message() for i in quarantine.sample_ids)  # ids: warehouse
    # The indicator mart is checked for real, not skipped.
    rollup = next(o for o in duck.clean if o.key == "marts.indicator_values.rollup_matches_records")
    assert rollup.passed and rollup.error is None


# -- each class of bad record -----------------------------------------------------------------
@pytest.mark.slow
def test_each_injected_bad_record_fails_its_check_with_its_ids(duck):
    problems = []
    for exp in duck.expected:
        before, after = duck.before[exp.check], duck.after[exp.check]
        assert after.error is None, after.message()
        new = _ids(after) - _ids(before)
        if new != exp.ids:
            problems.append(f"{exp.check}: expected {sorted(exp.ids)}, new {sorted(new)}")
        elif after.passed or after.row_count != before.row_count + len(new):
            problems.append(f"{exp.check}: count {before.row_count} -> {after.row_count}")
    assert not problems, "\n".join(problems)


@pytest.mark.slow
def test_error_failures_show_table_rule_count_and_pseudonymised_sample(duck):
    clean = _by_key(duck.clean)
    for exp in duck.expected:
        check = duck.after[exp.check].check
        if check.severity == "error":
            assert clean[exp.check].passed, exp.check  # nothing there before
            after = duck.after[exp.check]
            assert after.row_count == len(exp.ids) and set(after.sample_ids) == exp.ids
            assert check.table in after.message() and check.rule in after.message()
            assert f"{len(exp.ids)} ligne(s) en échec" in after.message()
    dup = duck.after["raw.crm_participants.no_suspected_duplicate_person"]
    assert all(i.startswith("p_") for i in dup.sample_ids)  # never a CRM person id
    assert "P9000001" not in dup.message()


# -- the scorecard ----------------------------------------------------------------------------
def _scorecard_agrees_with_gate(wh: Warehouse, outcomes: dict[str, CheckOutcome]) -> None:
    rules = wh.fetch_df(
        "select gate_check, sum(records_failed) as failed from marts.dq_rule_results "
        "where gate_check is not null and gate_check not like '%key_descriptors_filled' "
        "group by gate_check")
    for gate_check, failed in rules.itertuples(index=False):
        assert int(failed) == outcomes[gate_check].row_count, gate_check
    totals = wh.fetch_df(
        "select measure, sum(item_count) as n from marts.dq_quarantine group by measure")
    totals = dict(zip(totals["measure"], totals["n"].astype(int), strict=True))
    quarantined = sum(o.row_count for k, o in outcomes.items()
                      if k.endswith("latest_version_not_quarantined"))
    assert totals.get("crm_quarantined_records", 0) == quarantined
    assert totals.get("sheet_quarantined_rows", 0) == outcomes[
        "raw.sheet_quarantine.no_quarantined_row"].row_count
    assert totals.get("stale_files", 0) == outcomes["raw.sheet_files.no_stale_file"].row_count


@pytest.mark.slow
def test_scorecard_per_antenna_and_month_shows_the_demo_defects(duck):
    card, rules = duck.clean_scorecard, duck.clean_rules
    assert {"PARIS", "BORDEAUX"} <= set(card["antenna"])
    assert not card.duplicated(["antenna", "month_start"]).any()
    assert card["month_start"].nunique() > 24  # months since 2019: a trend, not a snapshot
    for dimension in ("completeness", "validity", "consistency", "timeliness"):
        rate = card[f"{dimension}_rate"].dropna()
        assert len(rate) and rate.between(0, 1).all()
    assert card["completeness_failed"].sum() > 0  # the demo has missing descriptors
    assert card["sheet_quarantined_rows"].sum() == _by_key(duck.clean)[
        "raw.sheet_quarantine.no_quarantined_row"].row_count
    assert card.loc[card["timeliness_events"] > 0, "delay_days_median"].notna().all()
    assert set(rules["dimension"]) == {"completeness", "validity", "consistency", "timeliness"}


@pytest.mark.slow
def test_scorecard_counts_every_defect_the_gate_samples(duck):
    with connect(duck.settings.warehouse) as wh:
        _scorecard_agrees_with_gate(wh, duck.after)
        issues = wh.fetch_df("select * from marts.dq_issues where record_id in "
                             "('E900001', 'E900004', 'A9000001')")
        card = wh.fetch_df("select sum(stale_files) s, sum(rejected_files) r "
                           "from marts.data_quality_scorecard")
    assert set(issues["record_id"]) == {"E900001", "E900004", "A9000001"}
    assert (issues["antenna"] != "SANS_ANTENNE").all()
    assert card.iloc[0].tolist() == [1, 1]


# -- marts invariants -------------------------------------------------------------------------
@pytest.mark.slow
def test_mart_invariants(duck, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(duck.settings.warehouse, path)
    key = ("indicator_code || '|' || period_type || '|' || cast(period_start as varchar) || '|' "
           "|| programme || '|' || antenna || '|' || dimension || '|' || dimension_value")
    with connect(path) as wh:
        def pick(where: str) -> str:
            return wh.scalar(f"select min({key}) from marts.indicator_values where {where}")
        over_one = pick("indicator_code = 'ABD' and denominator > 0 and dimension = 'total'")
        above = pick("indicator_code = 'SD_SORTIE' and denominator > 0 and dimension = 'total'")
        rollup = pick("indicator_code = 'ENT' and period_type = 'quarter' "
                      "and programme = 'ALL' and antenna = 'ALL' and dimension = 'total'")
        twice = pick("indicator_code = 'HRS'")
        # the mart is a view: its total rows are stored in int_indicator_totals
        stored = "intermediate.int_indicator_totals"
        wh.execute(f"update {stored} set value = 1.5 where {key} = ?", [over_one])
        wh.execute(f"update {stored} set numerator = denominator + 1 where {key} = ?", [above])
        wh.execute(f"update {stored} set value = value + 1 where {key} = ?", [rollup])
        wh.execute(f"insert into {stored} select * from {stored} where {key} = ?", [twice])
        table = next(t for s in default_suites() for t in s.tables
                     if t.table == "marts.indicator_values")
        found = {o.check.name: o for o in SuiteRunner(
            wh, as_of=AS_OF, pseudonym_key=TEST_KEY, sample_size=ALL).run_table(table)}
    assert set(found["rate_within_0_1"].sample_ids) == {over_one}
    assert set(found["numerator_not_above_denominator"].sample_ids) == {above}
    assert set(found["rate_equals_ratio"].sample_ids) == {over_one, above}
    assert set(found["rollup_matches_records"].sample_ids) == {rollup}
    assert set(found["row_key_unique"].sample_ids) == {twice}
    assert "attendu" in found["rollup_matches_records"].sample_details[0]


@pytest.mark.slow
def test_staging_closed_lists_open_codes_and_ids(duck, tmp_path):
    """What staging guarantees by construction is still checked: a bug there is an error."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(duck.clean_warehouse, path)
    with connect(path) as wh:
        person = wh.scalar("select min(participant_key) from staging.stg_crm__participants")
        enrolment, other = wh.fetchall("select enrolment_id from staging.stg_crm__enrolments "
                                       "order by 1 limit 2")
        wh.execute("update staging.stg_crm__participants set sex = 'Z', french_level = 'D9' "
                   "where participant_key = ?", [person])
        wh.execute("update staging.stg_crm__enrolments set programme = 'so cle!' "
                   "where enrolment_id = ?", [enrolment[0]])
        wh.execute("update staging.stg_crm__enrolments set enrolment_id = ? "
                   "where enrolment_id = ?", [enrolment[0], other[0]])
        runner = SuiteRunner(wh, as_of=AS_OF, pseudonym_key=TEST_KEY)
        found = {o.key: o for s in default_suites() for t in s.tables
                 if t.table in ("staging.stg_crm__participants", "staging.stg_crm__enrolments")
                 for o in runner.run_table(t)}
    for key, ids, count in [
        ("staging.stg_crm__participants.sex_in_list", {person}, 1),
        ("staging.stg_crm__participants.french_level_in_list", {person}, 1),
        ("staging.stg_crm__enrolments.programme_code_well_formed", {enrolment[0]}, 1),
        ("staging.stg_crm__enrolments.enrolment_id_unique", {enrolment[0]}, 2),
    ]:
        outcome = found[key]
        assert not outcome.passed and outcome.check.severity == "error", key
        assert (outcome.row_count, set(outcome.sample_ids)) == (count, ids), key
        assert outcome.checked_count is not None and outcome.checked_count > count


# -- blocking the quarterly reports -----------------------------------------------------------
def _report_run(settings, waivers_path: Path | None = None):
    """The gate asset and a stand-in reporting asset downstream of it, in one quarterly run."""
    gate = build_quality_gate_asset(settings, waivers_path=waivers_path)

    @asset(key=["reports", "rapport_test"],
           ins={"gate": AssetIn(key=AssetKey(["reports", "quality_gate"]))})
    def rapport_test(gate: dict) -> dict:
        return {"avertissements": [w["check"] for w in gate["warnings"]],
                "dérogations": [w["check"] for w in gate["waived"]]}

    defs = Definitions(assets=[gate, rapport_test],
                       jobs=[define_asset_job("rapport", selection=AssetSelection.all())])
    result = defs.resolve_job_def("rapport").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    ran = {e.asset_key.path[-1] for e in result.get_asset_materialization_events()
           if e.asset_key}
    checks = result.get_asset_check_evaluations()
    output = (result.asset_value(AssetKey(["reports", "rapport_test"]))
              if "rapport_test" in ran else None)
    return ran, checks, output


@pytest.mark.slow
def test_error_failure_blocks_the_reports_and_names_the_checks(duck, capsys, monkeypatch):
    ran, checks, _ = _report_run(duck.settings)
    assert "rapport_test" not in ran  # the reporting asset did not run
    gate = next(c for c in checks if c.check_name == GATE_CHECK)
    assert not gate.passed
    assert "staging.stg_crm__enrolments.end_not_before_start" in gate.description
    # `make report`'s gate step: exit 1 naming the failing checks.
    monkeypatch.setenv("SEA_WAREHOUSE", duck.settings.warehouse)
    monkeypatch.setenv("PSEUDONYM_KEY", TEST_KEY)
    monkeypatch.setenv("SEA_AS_OF", AS_OF.isoformat())
    assert main([QUARTER]) == 1
    err = capsys.readouterr().err
    assert "non produit" in err and "raw.crm_activities.no_duplicate_id" in err


@pytest.mark.slow
def test_warn_failures_let_the_reports_run_and_list_the_warnings(duck, tmp_path):
    settings = make_settings(tmp_path, warehouse=str(duck.clean_warehouse),
                             as_of=AS_OF.isoformat())
    ran, checks, output = _report_run(settings)
    assert "rapport_test" in ran
    assert next(c for c in checks if c.check_name == GATE_CHECK).passed
    assert "raw.sheet_quarantine.no_quarantined_row" in output["avertissements"]


@pytest.mark.slow
def test_a_waiver_lets_one_quarter_through_and_is_reported(duck, tmp_path):
    blocking = [o.key for o in evaluate_gate(duck.settings, QUARTER).blocking]
    assert blocking
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("waivers:\n" + "".join(
        f"  - {{check: {key}, quarter: {QUARTER}, reason: \"données de test\", "
        f"who: \"Camille, responsable données\"}}\n" for key in blocking), encoding="utf-8")
    waived = evaluate_gate(duck.settings, QUARTER, waivers_path=waivers)
    assert waived.passed and {o.key for o in waived.waived} == set(blocking)
    assert "Dérogation pour 2026-Q3" in waived.summary_fr()
    summary = waived.quality_summary()  # what the reports library prints
    assert not summary.blocking(QUARTER)
    assert {c.name for c, _ in summary.waived(QUARTER)} == set(blocking)
    assert {c.name for c in summary.warnings()} == {o.key for o in waived.warnings}
    assert not evaluate_gate(duck.settings, "2026-Q4", waivers_path=waivers).passed
    ran, _, output = _report_run(duck.settings, waivers_path=waivers)
    assert "rapport_test" in ran and set(output["dérogations"]) == set(blocking)


# -- Dagster asset checks on the assets they guard --------------------------------------------
@pytest.mark.slow
def test_asset_checks_attach_to_the_pipeline_assets(duck):
    from orchestration.definitions import build_definitions

    base = build_definitions(duck.settings)  # the code location, checks wired in
    keys = set(base.resolve_asset_graph().get_all_asset_keys())
    checks = build_quality_checks(duck.settings, asset_keys=keys)
    guarded = {spec.asset_key for c in checks for spec in c.check_specs}
    assert AssetKey(["raw", "crm_enrolments"]) in guarded
    assert AssetKey(["staging", "stg_crm__enrolments"]) in guarded
    assert AssetKey(["marts", "indicator_values"]) in guarded
    assert AssetKey(["marts", "data_quality_scorecard"]) in guarded
    check_keys = [key for c in checks for key in c.check_keys]
    assert set(check_keys) <= set(base.resolve_asset_graph().asset_check_keys)
    for name in ("dq_participant_flags", "dq_enrolment_flags", "dq_situation_flags",
                 "dq_activity_flags", "dq_record_rules"):  # in the group of their schema
        node = base.resolve_asset_graph().get(AssetKey(["intermediate", name]))
        assert node.group_name == "intermediate", name
    defs = Definitions.merge(base, Definitions(
        jobs=[define_asset_job("quality_only", selection=AssetSelection.checks(*check_keys))]))
    result = defs.resolve_job_def("quality_only").execute_in_process(
        instance=DagsterInstance.ephemeral(), raise_on_error=False)
    evaluations = {(e.asset_key.to_user_string(), e.check_name): e
                   for e in result.get_asset_check_evaluations()}
    dup = evaluations[("raw/crm_activities", "no_duplicate_id")]
    assert not dup.passed and dup.severity.value == "ERROR"
    assert dup.metadata["lignes en échec"].value == 1
    assert "Un même identifiant" in dup.metadata["règle"].value
    warn = evaluations[("staging/stg_crm__activities", "date_not_after_as_of")]
    assert not warn.passed and warn.severity.value == "WARN"


# -- PostgreSQL: the same SQL, the same verdicts ----------------------------------------------
@pytest.mark.slow
@pytest.mark.postgres
def test_gate_and_scorecard_on_postgres(pg_url, tmp_path):
    world = World(seed=11, participants=80, now=NOW)
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp_path, warehouse=pg_url, crm_url=server.base_url,
                                 as_of=AS_OF.isoformat())
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world), as_of=AS_OF)
        expected = _inject_fake_crm(world) + _inject_sheets(settings.sheets_dir, world)
        run_nightly_in_memory(settings)
    result = evaluate_gate(settings, QUARTER, sample_size=ALL)
    found = _by_key(result.outcomes)
    assert not [o.message() for o in result.outcomes if o.error]
    for exp in expected:
        assert exp.ids <= _ids(found[exp.check]), exp.check
        if found[exp.check].severity == "error":
            assert _ids(found[exp.check]) == exp.ids, exp.check
    assert not result.passed
    with connect(settings.warehouse) as wh:
        _scorecard_agrees_with_gate(wh, found)
        assert wh.scalar("select count(*) from marts.data_quality_scorecard") > 24


# -- the real wiring: the quarterly_reporting job and `make report` ---------------------------
def _quarterly_job_run(settings):
    from orchestration.assets.reporting import DELIVERABLES_KEY, partition_key_of
    from orchestration.definitions import build_definitions

    defs = build_definitions(settings)
    result = defs.resolve_job_def("quarterly_reporting").execute_in_process(
        instance=DagsterInstance.ephemeral(), partition_key=partition_key_of(QUARTER),
        raise_on_error=False)
    ran = {e.asset_key for e in result.get_asset_materialization_events()}
    return DELIVERABLES_KEY in ran, result


def _cli_report(settings, monkeypatch, capsys) -> tuple[int, str, str]:
    from orchestration.cli import main as cli_main

    for name, value in (("SEA_WAREHOUSE", settings.warehouse), ("PSEUDONYM_KEY", TEST_KEY),
                        ("SEA_AS_OF", AS_OF.isoformat()),
                        ("SEA_OUTPUT_DIR", str(settings.output_dir))):
        monkeypatch.setenv(name, value)
    code = cli_main(["report", "--quarter", QUARTER])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_quarterly_job_and_make_report_are_blocked_by_an_error(duck, capsys, monkeypatch):
    produced, result = _quarterly_job_run(duck.settings)
    assert not produced
    gate = next(c for c in result.get_asset_check_evaluations() if c.check_name == GATE_CHECK)
    assert not gate.passed and "end_not_before_start" in gate.description
    code, _, err = _cli_report(duck.settings, monkeypatch, capsys)
    assert code == 1
    assert "non produit" in err and "staging.stg_crm__enrolments.end_not_before_start" in err
    assert not (duck.settings.output_dir / QUARTER).exists()


@pytest.mark.slow
def test_quarterly_job_and_make_report_deliver_on_warnings_only(duck, tmp_path, capsys,
                                                                monkeypatch):
    settings = make_settings(tmp_path, warehouse=str(duck.clean_warehouse),
                             as_of=AS_OF.isoformat())
    produced, _ = _quarterly_job_run(settings)
    assert produced
    folder = settings.output_dir / QUARTER / "v1"
    assert {p.suffix for p in folder.iterdir()} >= {".xlsx", ".html", ".pdf"}
    html = next(folder.glob("*.html")).read_text(encoding="utf-8")
    assert "no_quarantined_row" in html or "quarantaine" in html.lower()
    # `make report` on the same data: the delivered version stays, nothing is rewritten.
    code, out, _ = _cli_report(settings, monkeypatch, capsys)
    assert code == 0 and "rien n'a changé depuis la version 1" in out
    assert sorted(p.name for p in (settings.output_dir / QUARTER).iterdir()) == ["v1"]


@pytest.mark.slow
def test_a_report_made_outside_dagster_is_its_quarters_materialisation(duck, tmp_path):
    """`make report` / `make demo` deliver outside any Dagster run: the instance `make ui` reads
    must still show the quarter's partition of the deliverables asset as materialised."""
    from orchestration.assets.reporting import DELIVERABLES_KEY, QUARTERS, partition_key_of
    from orchestration.definitions import build_definitions
    from orchestration.reporting import run_quarterly_report

    warehouse = tmp_path / "copy.duckdb"
    shutil.copy(duck.clean_warehouse, warehouse)
    settings = make_settings(tmp_path, warehouse=str(warehouse), as_of=AS_OF.isoformat())
    run = run_quarterly_report(settings, QUARTER, pdf=False)
    graph = build_definitions(settings).resolve_asset_graph()  # what `make ui` loads
    assert graph.get(DELIVERABLES_KEY).partitions_def == QUARTERS
    with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        assert instance.get_materialized_partitions(DELIVERABLES_KEY) == {
            partition_key_of(QUARTER)}
        event = instance.get_latest_materialization_event(DELIVERABLES_KEY)
    meta = {name: value.value for name, value in event.asset_materialization.metadata.items()}
    assert meta["version"] == run.delivery.version == 1
    assert meta["dossier"] == str(run.delivery.directory)
    assert meta["date d'arrêté"] == AS_OF.isoformat()
    assert meta["chiffres publiés"] > 0 and meta["chiffres masqués (secret statistique)"] >= 0
    # a link per written file, clickable in the UI (no PDF asked here)
    assert meta["collecteur (xlsx)"] == run.delivery.files["collecteur"].resolve().as_uri()
    assert meta["rapport (HTML)"] == run.delivery.files["html"].resolve().as_uri()
    assert "rapport (PDF)" not in meta
    shown = " ".join(str(v) for v in meta.values())  # counts and words, never an id
    assert not [i for i in duck.world.records("participants") if i["id"] in shown]
    assert _pk(duck.world.records("participants")[0]["id"])[:8] not in shown


@pytest.mark.slow
def test_attendance_sheet_antenna_differing_from_its_enrolment_is_flagged(duck, tmp_path):
    path = tmp_path / "copy.duckdb"
    shutil.copy(duck.clean_warehouse, path)
    with connect(path) as wh:
        # an attendance row that counts in HRS, so it is attributed to an enrolment
        row = wh.scalar("select min(record_id) from intermediate.dq_activity_flags "
                        "where source = 'emargement' and attributable_to_enrolment_applies "
                        "and not attributable_to_enrolment_failed "
                        "and not duration_in_range_failed")
        wh.execute("update staging.stg_sheets__emargements set antenna_declared = 'LILLE' "
                   "where attendance_id = ?", [row])
        runner = SuiteRunner(wh, as_of=AS_OF, pseudonym_key=TEST_KEY)
        found = {o.key: o for s in default_suites() for t in s.tables
                 if t.table == "intermediate.dq_activity_flags" for o in runner.run_table(t)}
    outcome = found["intermediate.dq_activity_flags.attendance_antenna_matches_enrolment"]
    assert not outcome.passed and outcome.severity == "warn"
    assert outcome.row_count == 1 and outcome.sample_ids == (row,)
    assert "LILLE au lieu de" in outcome.sample_details[0]
