"""The Dagster UI tells the truth about deliveries and checks.

- A night whose CRM extraction fails leaves the checks it never ran as they were (their last real
  evaluation, or none), not red "execution failed".
- A check labelled "bloquant" is blocking in Dagster's own terms, and a blocking one says so.

That a delivery made by `make report` / `make demo` outside Dagster shows as its quarter's
materialisation is tested beside the gate's fixture (tests/test_quality_gate.py): it needs a
warehouse the gate lets through.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, date, datetime

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterEventType,
    DagsterInstance,
    execute_job,
    reconstructable,
)
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.asset_check_execution_record import (
    AssetCheckExecutionResolvedStatus as Resolved,
)

from common.settings import load_settings
from devtools.fake_crm import FakeCRMServer, World
from expectations.suites import all_checks, default_suites
from orchestration.checks import GATE_CHECK, build_quality_checks
from orchestration.definitions import NIGHTLY_JOB, build_definitions
from orchestration.runs import RunFailed, run_nightly
from tests.conftest import TEST_KEY, make_settings

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AS_OF = date(2026, 11, 20)
BLOCKING_LABEL = "bloquant"  # the word the UI shows beside a blocking check
# The UI's groups: the layers of the data flow (README.md#the-data-flow), the warehouse's schemas
# (docs/outputs.md): raw → staging → intermediate → marts, with the seeds (`reference`) and the
# recommendations' history (`snapshots`); then `publication` and `deliverables`.
LAYERS = {"raw", "staging", "intermediate", "marts", "reference", "snapshots", "publication",
          "deliverables"}
_FRENCH_WORDS = {"de", "des", "du", "la", "le", "les", "une", "un", "et", "par", "pour", "au",
                 "avec", "à", "chaque", "en", "dans", "sur"}
_ENGLISH_WORDS = {"the", "of", "and", "with", "one", "row", "per", "which", "is", "are"}


def looks_french(text: str | None) -> bool:
    """A description the data lead reads: French words, no English sentence, no dbt SQL
    (dagster-dbt appends the model's raw SQL to the description unless told otherwise)."""
    if not text or "Raw SQL" in text or "```" in text:
        return False
    words = {w.strip(".,;:()«»`'’").lower() for w in text.split()}
    return bool(words & _FRENCH_WORDS) and len(words & _ENGLISH_WORDS) < 2


def _statuses(instance: DagsterInstance, keys: list[AssetCheckKey]) -> dict:
    """Each check's latest execution record and its status as the UI resolves it."""
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    context = LoadingContextForTest(instance)
    return {key: (record.run_id, asyncio.run(record.resolve_status(context)))
            for key, record in records.items()}


def _wrongly_shown(instance: DagsterInstance, settings) -> dict[str, str]:
    """Checks the last (failed) night shows as failed, or as its own, although none ran."""
    failed_run = instance.get_runs(limit=1)[0]
    assert failed_run.is_failure and failed_run.job_name == NIGHTLY_JOB
    planned = instance.all_logs(failed_run.run_id,
                                of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED)
    assert len(planned) > 50, "the night had planned the checks downstream of extraction"
    keys = list(build_definitions(settings).resolve_asset_graph().asset_check_keys)
    return {key.to_user_string(): status.value
            for key, (run_id, status) in _statuses(instance, keys).items()
            if run_id == failed_run.run_id
            or status in (Resolved.FAILED, Resolved.EXECUTION_FAILED)}


def nightly_job_from_env():
    """The nightly job as the UI or the daemon loads it (settings from the environment)."""
    return build_definitions(load_settings()).resolve_job_def(NIGHTLY_JOB)


@pytest.mark.slow
@pytest.mark.parametrize("launched_by", ["make refresh", "Dagster"])
def test_checks_a_failed_extraction_never_ran_are_not_shown_failed(tmp_path, monkeypatch,
                                                                   launched_by):
    """The CRM refuses the token: nothing downstream of the extraction ran, so no check of the
    night may show as failed or "execution failed" — the UI keeps their last real evaluation.
    Headless (`make refresh`, `make demo`) and launched from the UI or by the schedule alike."""
    world = World(seed=5, participants=5, now=NOW)
    with FakeCRMServer(world, token="another-token") as refusing:  # the CRM answers 401
        settings = make_settings(tmp_path, crm_url=refusing.base_url, as_of=AS_OF.isoformat())
        if launched_by == "make refresh":
            with pytest.raises(RunFailed, match="401"):
                run_nightly(settings)
            with DagsterInstance.from_config(str(settings.dagster_home)) as instance:
                assert _wrongly_shown(instance, settings) == {}
            return
        for name, value in settings.dbt_env().items():
            monkeypatch.setenv(name, value)
        for name, value in (("PSEUDONYM_KEY", TEST_KEY), ("SEA_WAREHOUSE", settings.warehouse),
                            ("CRM_BASE_URL", refusing.base_url), ("CRM_API_TOKEN", "test-token"),
                            ("SHEETS_DIR", str(settings.sheets_dir)),
                            ("SEA_OUTPUT_DIR", str(settings.output_dir)),
                            ("SEA_INTERNAL_DIR", str(settings.internal_dir)),
                            ("DAGSTER_HOME", str(settings.dagster_home)),
                            ("SEA_AS_OF", AS_OF.isoformat())):
            monkeypatch.setenv(name, value)
        with DagsterInstance.ephemeral() as instance:
            result = execute_job(reconstructable(nightly_job_from_env), instance=instance,
                                 raise_on_error=False)
            assert not result.success
            assert _wrongly_shown(instance, settings) == {}


def test_blocking_label_matches_dagsters_blocking_flag(tmp_path):
    settings = make_settings(tmp_path)
    severity = {key: check.severity for key, check in all_checks(default_suites()).items()}
    specs = [spec for op in build_quality_checks(settings) for spec in op.check_specs]
    assert len(specs) > 60
    for spec in specs:
        labelled_blocking = spec.description.startswith(f"[{BLOCKING_LABEL}]")
        assert labelled_blocking == spec.blocking, spec.key.to_user_string()
        assert spec.metadata["sévérité"] == spec.description[1:].split("]")[0]
        if severity[spec.metadata["clé"]] == "warn":
            assert not spec.blocking and "bloqu" not in spec.description.split("]")[0]
        else:  # an error check blocks in the run, or says it blocks the quarter only
            assert spec.blocking or "livrables du trimestre" in spec.description
    assert any(s.blocking for s in specs) and any(not s.blocking for s in specs)
    gate = next(spec for asset in build_definitions(settings).assets or []
                for spec in getattr(asset, "check_specs", []) if spec.name == GATE_CHECK)
    assert gate.blocking and gate.description.startswith(f"[{BLOCKING_LABEL}]")


@pytest.mark.parametrize(("delay", "fired", "partition"), [
    ("15", datetime(2027, 1, 15, 6), "2026-10-01"),
    ("15", datetime(2026, 4, 15, 6), "2026-01-01"),
    ("3", datetime(2026, 7, 3, 6), "2026-04-01"),
    ("28", datetime(2026, 10, 28, 6), "2026-07-01"),
])
def test_quarterly_schedule_ticks_only_on_reporting_days(tmp_path, delay, fired, partition):
    """QUARTERLY_DELAY_DAYS after each quarter's end, at 06:00 in Paris: four ticks a year (a
    plain cron, no daily tick that skips), each asking for the quarter that ended."""
    from zoneinfo import ZoneInfo

    from dagster import build_schedule_context, partition_loading_context
    from dagster._utils.schedules import cron_string_iterator

    from orchestration.assets.reporting import QUARTERS

    settings = make_settings(tmp_path, QUARTERLY_DELAY_DAYS=delay)
    defs = build_definitions(settings)
    schedule = defs.resolve_schedule_def("quarterly_reporting_schedule")
    paris = ZoneInfo("Europe/Paris")
    assert schedule.execution_timezone == "Europe/Paris"
    ticks = cron_string_iterator(datetime(2026, 1, 1, tzinfo=paris).timestamp(),
                                 schedule.cron_schedule, "Europe/Paris")
    year = [next(ticks) for _ in range(5)]
    assert [(t.month, t.day, t.hour) for t in year[:4]] == [
        (m, int(delay), 6) for m in (1, 4, 7, 10)]
    assert year[4].year == 2027
    tick = fired.replace(tzinfo=paris)
    assert tick in year or tick.year == 2027
    requests = schedule.evaluate_tick(
        build_schedule_context(scheduled_execution_time=tick,
                               repository_def=defs.get_repository_def())).run_requests
    assert [r.partition_key for r in requests] == [partition]
    # the quarter that just ended is the last partition Dagster itself knows at that time
    with partition_loading_context(effective_dt=tick):
        assert QUARTERS.get_last_partition_key() == partition


def test_every_asset_has_a_french_description_an_owner_and_a_layer(tmp_path):
    """What the data lead reads in the UI's catalogue: every asset described in French (no
    English developer text, no SQL), owned, grouped by layer. The running UI shows the same
    (tests/test_ui_graphql.py)."""
    graph = build_definitions(make_settings(tmp_path)).resolve_asset_graph()
    nodes = {key.to_user_string(): graph.get(key) for key in graph.get_all_asset_keys()}
    assert len(nodes) > 120
    assert sorted(k for k, n in nodes.items() if not looks_french(n.description)) == []
    assert sorted(k for k, n in nodes.items() if n.owners != ["team:mel"]) == []
    assert {n.group_name for n in nodes.values()} == LAYERS


def test_every_model_sits_in_the_group_of_its_schema(tmp_path):
    """The UI's groups are the warehouse's schemas: a model's group (its folder under
    models/) is the schema its key names, e.g. the dq_*_flags tables in `intermediate`."""
    from orchestration.assets.dbt_build import sea_dbt_models

    graph = build_definitions(make_settings(tmp_path)).resolve_asset_graph()
    keys = [key for key in sea_dbt_models.keys if key.path[0] != "reference"]
    assert len(keys) > 50
    misplaced = {key.to_user_string(): graph.get(key).group_name for key in keys
                 if graph.get(key).group_name != key.path[0]}
    assert misplaced == {}
    flags = [key for key in keys if key.path[1].startswith("dq_") and key.path[1].endswith(
        "_flags")]
    assert len(flags) == 4 and {key.path[0] for key in flags} == {"intermediate"}


def test_materialisations_tell_the_data_lead_rows_period_quarantine_preview(published_night):
    """What the published night's materialisations say, against the warehouse it left: rows and
    period of each table, the spreadsheets' quarantined rows, the CRM's changed rows, a preview
    of the marts only (never of raw or staging, which hold or come from personal data), the
    dashboard's file as a link."""
    from common.warehouse import connect
    from connectors.sheets.kinds import KINDS
    from orchestration.assets.raw_crm import CHANGED, CRM_TABLES
    from orchestration.assets.raw_sheets import QUARANTINED
    from orchestration.assets.table_metadata import PERIOD, PREVIEW, ROWS
    from orchestration.instance import opened_instance

    def meta(*path: str) -> dict:
        event = instance.get_latest_materialization_event(AssetKey(list(path)))
        assert event is not None, path
        return {k: getattr(v, "value", v)
                for k, v in event.asset_materialization.metadata.items()}

    with opened_instance(published_night) as instance, \
            connect(published_night.warehouse, read_only=True) as wh:
        def count(sql: str) -> int:
            return int(wh.scalar(sql))

        values = meta("marts", "indicator_values")
        assert values[ROWS] == count("select count(*) from marts.indicator_values") > 1000
        low, high = wh.fetchall(
            "select min(period_start), max(period_end) from marts.indicator_values")[0]
        assert values[PERIOD] == f"du {low:%d/%m/%Y} au {high:%d/%m/%Y}"
        assert high.year == 2026
        preview = values[PREVIEW].splitlines()
        assert preview[0].startswith("| indicator_code | period_type |")
        assert len([line for line in preview[2:] if line.startswith("| ")]) == 5

        scorecard = meta("marts", "data_quality_scorecard")
        assert scorecard[ROWS] == count("select count(*) from marts.data_quality_scorecard")
        assert "| antenna |" in scorecard[PREVIEW]
        # no preview outside the marts: raw holds names, staging comes from them
        for path in (("raw", "crm_participants"), ("raw", "sheet_emargements"),
                     ("staging", "stg_crm__participants"), ("intermediate", "int_targets")):
            assert PREVIEW not in meta(*path), path
        staged = meta("staging", "stg_crm__participants")
        assert staged[ROWS] == count("select count(*) from staging.stg_crm__participants")
        assert meta("reference", "axes")[ROWS] == 7

        # spreadsheets: quarantined rows per table, and per spreadsheet on the quarantine
        quarantined = dict(wh.fetchall(
            "select kind, count(*) from raw.sheet_quarantine group by kind"))
        assert sum(quarantined.values()) > 0
        for kind in KINDS:
            table = meta("raw", kind.table)
            assert table[ROWS] == count(f"select count(*) from raw.{kind.table}")
            assert table[QUARANTINED] == quarantined.get(kind.name, 0), kind.name
        quarantine = meta("raw", "sheet_quarantine")
        assert quarantine[QUARANTINED] == quarantine[ROWS] == sum(quarantined.values())
        emargements = next(k for k in KINDS if k.name == "emargements")
        assert f"| {emargements.label} | {quarantined['emargements']} |" in quarantine[
            "par tableur"]

        # CRM: the night's first extraction changed every version it stored
        participants = meta("raw", "crm_participants")
        assert participants[CHANGED] == participants[ROWS] == count(
            "select count(*) from raw.crm_participants") > 100
        for table in CRM_TABLES:  # the dates of the changes received, as a reader writes them
            if meta("raw", table)[ROWS]:
                assert re.fullmatch(r"du \d\d/\d\d/\d{4} au \d\d/\d\d/\d{4}",
                                    meta("raw", table)[PERIOD]), table

        # nothing that names a person reaches Dagster's storage: no pseudonym, no CRM id, in
        # any materialisation of the night (an erasure could not reach them there)
        from orchestration.assets.table_metadata import NOT_PREVIEWED

        identifying = {r[0] for r in wh.fetchall(
            "select participant_key from raw.participant_pseudonyms union all "
            "select id from raw.crm_participants union all select id from raw.crm_enrolments "
            "union all select id from raw.crm_activities union all "
            "select id from raw.crm_situations")}
        assert len(identifying) > 1000
        keys = build_definitions(published_night).resolve_asset_graph().get_all_asset_keys()
        written = " ".join(str(meta(*key.path)) for key in keys
                           if instance.get_latest_materialization_event(key) is not None
                           and key.path[0] != "deliverables")
        assert set(re.findall(r"[A-Za-z0-9_]+", written)) & identifying == set()
        for table in NOT_PREVIEWED - {"dq_check_failures"}:  # not a dbt model
            assert PREVIEW not in meta("marts", table), table
        assert "participant_key" not in written and "| record_id" not in written

        dashboard = meta("publication", "dashboard")
        assert dashboard["ouvrir"].startswith("file://")
        assert dashboard["ouvrir"].endswith("/tableau_de_bord.html")
