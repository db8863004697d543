"""The shared-folder sensor (orchestration/sensors.py) and the freshness checks
(orchestration/freshness.py), evaluated tick by tick against an ephemeral Dagster instance:
no pipeline runs, seconds in all.

What is shown: a file dropped in `SHEETS_DIR` makes the sensor request its job — the spreadsheet
assets and what depends on them, never the CRM extraction — once the file has kept its size and
modification time from one tick to the next; lock files and an unchanged folder request nothing;
a change found while a refresh runs waits for its end. Freshness checks pass or fail on the age
of the latest materialisation, are recorded as evaluations the UI shows, and alert once when
data turns stale.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    AssetMaterialization,
    AssetSelection,
    AssetSpec,
    DagsterInstance,
    DagsterRunStatus,
    Definitions,
    SensorResult,
    build_sensor_context,
    define_asset_job,
)
from dagster._core.test_utils import create_run_for_test

from common.settings import PARIS, SettingsError, load_settings
from orchestration.assets.raw_crm import CRM_TABLES
from orchestration.assets.raw_sheets import SHEET_TABLES
from orchestration.freshness import (
    CHECK_KEYS,
    CHECK_NAME,
    PUBLISHED,
    build_freshness_checks,
    evaluate_freshness,
    limits_of,
    verdicts,
)
from orchestration.freshness import (
    SENSOR_NAME as FRESHNESS_SENSOR,
)
from orchestration.sensors import (
    CHANGED_TAG,
    CRM_PARTICIPANTS,
    SENSOR_NAME,
    SHEETS_JOB,
    SHEETS_READ,
    build_sheets_job,
    build_sheets_sensor,
    evaluate_folder,
)
from tests.conftest import make_settings

HOUR = 3600.0
# A nightly refresh far from any test run (29 February): the sensor leaves the folder to a
# night due within 20 minutes, which must not depend on when the suite runs.
FAR_NIGHT = "0 2 29 2 *"
CRM_KEYS = [AssetKey(["raw", name]) for name in CRM_TABLES]


@pytest.fixture
def instance():
    with DagsterInstance.ephemeral() as ephemeral:
        yield ephemeral


def _materialise(instance: DagsterInstance, *keys: AssetKey) -> None:
    for key in keys:
        instance.report_runless_asset_event(AssetMaterialization(asset_key=key))


class Ticks:
    """The sheets sensor of `settings`, evaluated tick after tick with the cursor carried over
    as the daemon carries it."""

    def __init__(self, settings, instance: DagsterInstance) -> None:
        from orchestration.definitions import NIGHTLY_SELECTION

        self.sensor = build_sheets_sensor(settings, build_sheets_job(NIGHTLY_SELECTION))
        self.instance = instance
        self.cursor: str | None = None

    def __call__(self) -> SensorResult:
        result = self.sensor(build_sensor_context(instance=self.instance, cursor=self.cursor,
                                                  sensor_name=SENSOR_NAME))
        assert isinstance(result, SensorResult)
        self.cursor = result.cursor
        return result


def _skipped(result: SensorResult) -> str:
    """The tick's reason for requesting nothing, as the UI lists it."""
    return result.skip_reason.skip_message if result.skip_reason else ""


def _write(path: Path, data: bytes, *, age: float = 0.0) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if age:
        past = time.time() - age
        os.utime(path, (past, past))


@pytest.fixture
def folder(tmp_path, instance):
    """Settings whose shared folder holds one workbook the last read already saw, the CRM
    extracted once: the state of a server the night has run on."""
    settings = make_settings(tmp_path, NIGHTLY_CRON=FAR_NIGHT)
    _write(settings.sheets_dir / "objectifs_2026.xlsx", b"x" * 500, age=2 * HOUR)
    _materialise(instance, CRM_PARTICIPANTS, SHEETS_READ)
    return settings


# -- the sheets sensor ---------------------------------------------------------------------------
def test_sheets_job_selects_the_spreadsheets_and_their_downstream_never_the_crm(tmp_path):
    from orchestration.definitions import build_definitions

    defs = build_definitions(make_settings(tmp_path))
    job = defs.resolve_job_def(SHEETS_JOB)
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert not any(key.startswith("raw/crm_") for key in selected), "the CRM is re-extracted"
    assert {f"raw/{name}" for name in SHEET_TABLES} <= selected
    assert {"publication/published_marts", "publication/dashboard",
            "staging/stg_sheets__objectifs", "marts/indicator_values"} <= selected
    nightly = {k.to_user_string() for k in
               defs.resolve_job_def("nightly_refresh").asset_layer.selected_asset_keys}
    # exactly what the nightly job builds among the spreadsheets' descendants, walked here
    graph = defs.resolve_asset_graph()
    descendants, todo = set(), [AssetKey(["raw", name]) for name in SHEET_TABLES]
    while todo:
        key = todo.pop()
        if key not in descendants:
            descendants.add(key)
            todo.extend(graph.get(key).child_keys)
    assert selected == {k.to_user_string() for k in descendants} & nightly
    assert len(selected) > 90 and len(nightly) > len(selected) + 10
    sensor = defs.resolve_sensor_def(SENSOR_NAME)
    assert sensor.job_name == SHEETS_JOB and sensor.minimum_interval_seconds == 60
    # the checks of the chosen assets run with them (and gate their publication)
    checks = job.asset_layer.asset_graph.asset_check_keys
    assert checks and all(c.asset_key.to_user_string() in selected for c in checks)


def test_a_dropped_file_is_read_once_stable(folder, instance):
    tick = Ticks(folder, instance)
    first = tick()  # the folder as the night read it: nothing to do
    assert not first.run_requests and "Aucun tableur" in _skipped(first)
    _write(folder.sheets_dir / "antennes" / "emargements_lyon.xlsx", b"y" * 800)
    seen = tick()
    assert not seen.run_requests
    assert "1 fichier(s) en cours d'écriture" in _skipped(seen)
    assert "antennes/emargements_lyon.xlsx" in _skipped(seen)
    ready = tick()  # same size and time two ticks running: requested
    assert len(ready.run_requests) == 1
    assert ready.run_requests[0].tags[CHANGED_TAG] == "antennes/emargements_lyon.xlsx"
    assert json.loads(tick.cursor)["seen"]["antennes/emargements_lyon.xlsx"][0] == 800
    assert not tick().run_requests  # requested once


def test_a_file_still_being_written_waits_until_it_stops_changing(folder, instance):
    tick = Ticks(folder, instance)
    tick()
    target = folder.sheets_dir / "suivi_post_parcours.xlsx"
    _write(target, b"P" * 100)
    for size in (1000, 5000):  # the copy goes on between ticks: still waiting
        assert not tick().run_requests
        with target.open("ab") as growing:
            growing.write(b"K" * (size - target.stat().st_size))
    assert not tick().run_requests  # first sight of the finished file
    done = tick()
    assert len(done.run_requests) == 1
    assert json.loads(tick.cursor)["seen"]["suivi_post_parcours.xlsx"][0] == 5000
    # saved again with the same size: the modification time says it changed
    os.utime(target, ns=(time.time_ns(), time.time_ns() + 10**9))
    assert not tick().run_requests
    assert len(tick().run_requests) == 1


def test_lock_and_temporary_files_are_ignored(folder, instance):
    tick = Ticks(folder, instance)
    tick()
    for name in ("~$objectifs_2026.xlsx", ".~lock.objectifs_2026.xlsx#", "~WRL0003.tmp",
                 "objectifs_2026.xlsx.part", ".cache/objectifs.xlsx"):
        _write(folder.sheets_dir / name, b"lock")
    for _ in range(3):
        result = tick()
        assert not result.run_requests and "Aucun tableur nouveau" in _skipped(result)
    assert list(json.loads(tick.cursor)["seen"]) == ["objectifs_2026.xlsx"]


def test_an_unchanged_folder_requests_nothing(folder, instance):
    tick = Ticks(folder, instance)
    results = [tick() for _ in range(4)]
    assert all(not r.run_requests for r in results)
    stat = (folder.sheets_dir / "objectifs_2026.xlsx").stat()
    assert json.loads(tick.cursor) == {
        "seen": {"objectifs_2026.xlsx": [500, stat.st_mtime_ns, stat.st_ctime_ns]},
        "pending": {}}


def test_a_new_sensor_reads_files_saved_since_the_last_read(folder, instance):
    """First tick: files older than the last read are taken as read; a newer one is read."""
    _write(folder.sheets_dir / "recommandations.csv", b"a;b\n1;2\n")  # after SHEETS_READ
    tick = Ticks(folder, instance)
    assert not tick().run_requests
    assert tick().run_requests[0].tags[CHANGED_TAG] == "recommandations.csv"


def test_a_copy_keeping_an_old_modification_time_is_read(folder, instance):
    """Windows Explorer and `cp -p` keep the source's modification time: a corrected workbook of
    the same size copied over the old one, dated before the last read, is still a change."""
    tick = Ticks(folder, instance)
    tick()
    target = folder.sheets_dir / "objectifs_2026.xlsx"
    old = target.stat()
    time.sleep(0.01)
    target.write_bytes(b"y" * 500)  # the new content, same size…
    os.utime(target, ns=(old.st_atime_ns, old.st_mtime_ns))  # …and the old date
    assert target.stat().st_mtime_ns == old.st_mtime_ns
    assert not tick().run_requests
    assert tick().run_requests[0].tags[CHANGED_TAG] == "objectifs_2026.xlsx"
    # a new sensor, too, reads a file copied after the last read with an old date (and the
    # workbook above, whose requested run has not read it yet)
    _write(folder.sheets_dir / "retours.csv", b"a;b\n", age=30 * 24 * HOUR)
    fresh = Ticks(folder, instance)
    fresh()
    assert fresh().run_requests[0].tags[CHANGED_TAG] == "objectifs_2026.xlsx, retours.csv"


def test_the_folder_is_left_to_a_night_due_soon(tmp_path, instance):
    settings = make_settings(tmp_path)  # NIGHTLY_CRON: 02:00 Paris
    _write(settings.sheets_dir / "objectifs.xlsx", b"o" * 10)
    _materialise(instance, CRM_PARTICIPANTS)
    at = {hour: datetime(2026, 12, 8, *hour, tzinfo=PARIS).timestamp()
          for hour in ((1, 45), (2, 30))}
    first = evaluate_folder(settings, instance, None, now=at[1, 45])
    soon = evaluate_folder(settings, instance, first.cursor, now=at[1, 45])
    assert not soon.run_requests
    assert "actualisation nocturne de 02:00" in _skipped(soon)
    later = evaluate_folder(settings, instance, soon.cursor, now=at[2, 30])
    assert later.run_requests[0].tags[CHANGED_TAG] == "objectifs.xlsx"


def test_a_removed_file_is_a_change(folder, instance):
    tick = Ticks(folder, instance)
    tick()
    (folder.sheets_dir / "objectifs_2026.xlsx").unlink()
    removed = tick()
    assert removed.run_requests[0].tags[CHANGED_TAG] == "objectifs_2026.xlsx"
    assert json.loads(tick.cursor)["seen"] == {}


def test_a_change_during_a_refresh_waits_for_its_end(folder, instance):
    tick = Ticks(folder, instance)
    tick()
    night = create_run_for_test(instance, job_name="nightly_refresh",
                                status=DagsterRunStatus.STARTED)
    _write(folder.sheets_dir / "plan_action.xlsx", b"z" * 300)
    tick()
    waiting = tick()
    assert not waiting.run_requests
    assert f"nightly_refresh ({night.run_id[:8]})" in _skipped(waiting)
    # a quarterly report only reads: it does not hold the change back
    instance.report_run_failed(instance.get_run_by_id(night.run_id))
    create_run_for_test(instance, job_name="quarterly_reporting",
                        status=DagsterRunStatus.STARTED)
    after = tick()
    assert after.run_requests[0].tags[CHANGED_TAG] == "plan_action.xlsx"


def test_a_run_left_started_by_a_killed_command_does_not_hold_the_folder(folder, instance,
                                                                        monkeypatch):
    tick = Ticks(folder, instance)
    tick()
    create_run_for_test(instance, job_name="nightly_refresh", status=DagsterRunStatus.STARTED)
    _write(folder.sheets_dir / "plan_action.xlsx", b"z" * 300)
    tick()
    assert "nightly_refresh" in _skipped(tick())
    monkeypatch.setattr("orchestration.sensors.STALE_RUN_HOURS", 0)  # the run is now too old
    assert tick().run_requests[0].tags[CHANGED_TAG] == "plan_action.xlsx"


def test_nothing_is_read_before_the_first_crm_extraction(tmp_path, instance):
    settings = make_settings(tmp_path, NIGHTLY_CRON=FAR_NIGHT)
    _write(settings.sheets_dir / "objectifs.xlsx", b"o" * 10)
    tick = Ticks(settings, instance)
    tick()
    result = tick()
    assert not result.run_requests and "première extraction du CRM" in _skipped(result)
    _materialise(instance, CRM_PARTICIPANTS)
    assert tick().run_requests[0].tags[CHANGED_TAG] == "objectifs.xlsx"


# -- freshness ------------------------------------------------------------------------------------
def test_freshness_settings_default_and_are_checked():
    key = {"PSEUDONYM_KEY": "a-real-secret-of-some-length"}
    settings = load_settings(key, demo=False)
    assert (settings.freshness_crm_hours, settings.freshness_published_hours) == (26, 26)
    custom = load_settings({**key, "SEA_FRESHNESS_CRM_HOURS": "30",
                            "SEA_FRESHNESS_PUBLISHED_HOURS": "50"}, demo=False)
    limits = limits_of(custom)
    assert limits[CRM_KEYS[0]].total_seconds() == 30 * HOUR
    assert limits[PUBLISHED].total_seconds() == 50 * HOUR
    for name, value in (("SEA_FRESHNESS_CRM_HOURS", "0"),
                        ("SEA_FRESHNESS_PUBLISHED_HOURS", "un jour")):
        with pytest.raises(SettingsError, match=name) as error:
            load_settings({**key, name: value}, demo=False)
        assert "\n" not in str(error.value)


def test_freshness_passes_on_recent_data_and_fails_on_stale(tmp_path, instance):
    settings = make_settings(tmp_path)
    _materialise(instance, *CRM_KEYS, PUBLISHED)
    done = time.time()
    limits = limits_of(settings)
    fresh = verdicts(instance, limits, now=done + 25 * HOUR)
    assert len(fresh) == 8 and all(v.passed for v in fresh)
    stale = verdicts(instance, limits, now=done + 27 * HOUR)
    assert not any(v.passed for v in stale)
    assert 26.9 < stale[0].metadata()["âge (heures)"] < 27.1
    assert "trop ancienne" in stale[0].message() and "SEA_FRESHNESS_CRM_HOURS" in \
        stale[0].message()
    # never materialised: stale too
    never = verdicts(DagsterInstance.ephemeral(), limits)
    assert not any(v.passed for v in never) and "jamais" in never[-1].message()


def test_freshness_check_runs_as_a_check_too(tmp_path, instance):
    """Executed from the UI (a run of the checks alone): the same verdict, as WARN results."""
    settings = make_settings(tmp_path)
    _materialise(instance, *CRM_KEYS)  # the publication never happened
    checks = build_freshness_checks(settings)
    job = define_asset_job("freshness", selection=AssetSelection.checks(checks))
    defs = Definitions(assets=[AssetSpec(k) for k in (*CRM_KEYS, PUBLISHED)],
                       asset_checks=[checks], jobs=[job])
    result = defs.resolve_job_def("freshness").execute_in_process(instance=instance)
    evaluations = {e.asset_key: e for e in result.get_asset_check_evaluations()}
    assert len(evaluations) == 8
    assert all(evaluations[k].passed for k in CRM_KEYS)
    assert not evaluations[PUBLISHED].passed
    assert evaluations[PUBLISHED].severity.value == "WARN"
    assert all(spec.description.startswith("[avertissement]") and not spec.blocking
               for spec in checks.check_specs)


def test_freshness_sensor_records_changes_and_alerts_once(tmp_path, instance, monkeypatch):
    settings = make_settings(tmp_path)
    sent = []
    monkeypatch.setattr("orchestration.freshness.deliver",
                        lambda _settings, alert, _log: sent.append(alert) or [])
    _materialise(instance, *CRM_KEYS)
    done = time.time()
    log = logging.getLogger("test")

    first = evaluate_freshness(settings, instance, None, log, now=done + HOUR)
    assert len(first.asset_events) == 8  # every check's first evaluation
    for event in first.asset_events:
        instance.report_runless_asset_event(event)  # what the daemon does with them
    assert len(sent) == 1 and "1 élément" in sent[0].subject
    assert "publication pour les lecteurs n'a encore jamais eu lieu" in sent[0].body
    assert "/assets/publication/published_marts?view=checks" in sent[0].body

    same = evaluate_freshness(settings, instance, first.cursor, log, now=done + 2 * HOUR)
    assert not same.asset_events and "1 élément(s) trop ancien(s) sur 8" in _skipped(same)
    assert len(sent) == 1

    late = evaluate_freshness(settings, instance, same.cursor, log, now=done + 27 * HOUR)
    assert {e.asset_key for e in late.asset_events} == set(CRM_KEYS)
    assert len(sent) == 2 and "7 élément" in sent[1].subject  # not the publication again
    for event in late.asset_events:
        instance.report_runless_asset_event(event)
    records = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        list(CHECK_KEYS))
    assert {k: r.status.value for k, r in records.items()} == {
        AssetCheckKey(k, CHECK_NAME): "FAILED" for k in (*CRM_KEYS, PUBLISHED)}

    _materialise(instance, *CRM_KEYS)  # the next night ran
    back = evaluate_freshness(settings, instance, late.cursor, log)
    assert {e.asset_key for e in back.asset_events} == set(CRM_KEYS)
    assert all(e.passed for e in back.asset_events) and len(sent) == 2


def test_freshness_is_registered_but_outside_the_jobs(tmp_path):
    """Visible in the UI, evaluated by its sensor; in no job, where the publication step would
    count it as a planned check without a result and withhold the publication."""
    from orchestration.definitions import build_definitions

    defs = build_definitions(make_settings(tmp_path))
    assert set(CHECK_KEYS) <= set(defs.resolve_asset_graph().asset_check_keys)
    assert defs.resolve_sensor_def(FRESHNESS_SENSOR).minimum_interval_seconds == 300
    for name in ("nightly_refresh", SHEETS_JOB):
        planned = defs.resolve_job_def(name).asset_layer.asset_graph.asset_check_keys
        assert not set(CHECK_KEYS) & set(planned), name


def test_a_failed_spreadsheet_run_is_alerted_in_words(folder, instance):
    """The run-failure sensor names the job and what launched it, not their codes alone."""
    from orchestration.alerts import _origin, failed_run_alert

    tags = {"dagster/sensor_name": SENSOR_NAME, CHANGED_TAG: "plan_action.xlsx"}
    run = create_run_for_test(instance, job_name=SHEETS_JOB, status=DagsterRunStatus.FAILURE,
                              tags=tags)
    alert = failed_run_alert(folder, instance, run.run_id, SHEETS_JOB, origin=_origin(tags))
    assert alert.subject == "[sea] Échec de la relecture des tableurs partagés"
    assert f"(origine : le capteur {SENSOR_NAME})" in alert.body
    # it publishes like the night: whether readers kept the previous publication is said
    assert "Publication retenue" in alert.body and "publication précédente" in alert.body
