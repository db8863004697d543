"""One refresh at a time per warehouse, reports that wait for a running refresh, and loads of a
killed run closed as `interrupted` — with real processes (`python -m orchestration.cli …`)
against a fake CRM slowed on purpose, on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from dagster import DagsterEventType, DagsterInstance, execute_job, reconstructable

from common.settings import PROJECT_ROOT, load_settings
from common.warehouse import connect
from connectors.crm.schema import RESOURCES, raw_table
from connectors.run_lock import RefreshRunning, refresh_lock
from devtools.fake_crm import FakeCRMServer, World
from orchestration.definitions import NIGHTLY_JOB, build_definitions
from tests.conftest import (
    TEST_KEY,
    copy_of_night,
    make_settings,
    published_world,
    run_nightly_in_memory,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
AS_OF = "2026-11-20"
TOKEN = "test-token"


def _env(tmp_path: Path, warehouse: str, crm_url: str, **extra: str) -> dict[str, str]:
    """What make_settings reads, as a child process's environment."""
    (tmp_path / "sheets").mkdir(exist_ok=True)
    return {
        **os.environ,
        "PSEUDONYM_KEY": TEST_KEY, "SEA_WAREHOUSE": warehouse, "CRM_BASE_URL": crm_url,
        "CRM_API_TOKEN": TOKEN, "SHEETS_DIR": str(tmp_path / "sheets"),
        "SEA_OUTPUT_DIR": str(tmp_path / "reports"), "SEA_INTERNAL_DIR": str(tmp_path / "interne"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"), "SEA_AS_OF": AS_OF, **extra,
    }


def _cli(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "orchestration.cli", *args], cwd=PROJECT_ROOT,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _wait_until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _slow_crm(server: FakeCRMServer) -> None:
    """Every CRM answer takes 0.5 s until the faults are cleared: a refresh stays in its
    extraction (holding the warehouse) as long as the test needs, not by luck."""
    server.inject_fault("slow", count=400, seconds=0.5)


def _comparable(value: object) -> object:
    """A mart value as both engines give it: numbers (float, numeric, integer) to 9 decimals."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | Decimal):
        return round(float(value), 9)
    return value


def _indicator_values(warehouse: str) -> set[tuple]:
    with connect(warehouse, read_only=True) as wh:
        cols = [c for c in wh.columns("marts.indicator_values")]
        rows = wh.fetchall(f"select {', '.join(cols)} from marts.indicator_values")
    return {tuple(_comparable(v) for v in row) for row in rows}


@pytest.mark.slow
def test_two_refreshes_at_once_one_refuses_naming_the_other(target, tmp_path, published_night):
    # The data of the published night (its world, a copy of its spreadsheets): the marts of the
    # collided refresh must be that night's, a single refresh of the same data.
    shutil.copytree(published_night.sheets_dir, tmp_path / "sheets")
    assert published_night.as_of.isoformat() == AS_OF
    with FakeCRMServer(published_world(), token=TOKEN) as server:
        env = _env(tmp_path, target, server.base_url)
        _slow_crm(server)
        first = _cli(env, "refresh")
        try:
            # The first refresh is extracting (so it holds the warehouse) before the second starts.
            _wait_until(lambda: server.faults_fired["slow"] >= 1 or first.poll() is not None,
                        120, "the first refresh to reach the CRM")
            second = _cli(env, "refresh")
            _, err2 = second.communicate(timeout=300)
        finally:
            server.clear_faults()
            out1, err1 = first.communicate(timeout=600)
    assert first.returncode == 0, err1[-3000:]
    assert second.returncode != 0
    line = _last_line(err2)
    assert line.startswith("sea: actualisation refusée : une autre actualisation est en "
                           "cours sur cet entrepôt"), err2[-3000:]
    assert f"processus {first.pid} sur " in line and "lancée par make refresh" in line
    assert "Traceback" not in err2 and len(err2.strip().splitlines()) == 1, err2

    # Raw holds each version once, and one load: the refused refresh never started one.
    with connect(target) as wh:
        for resource in RESOURCES:
            table = raw_table(resource)
            total, distinct = wh.fetchone(
                f"select count(*), count(distinct concat(id, '|', cast(updated_at as "
                f"varchar), '|', _payload_hash)) from {table}")
            assert total == distinct > 0 or resource == "employers" and total == distinct
        assert wh.fetchall("select status from raw.crm_loads") == [("succeeded",)]

    # The marts are those of a single refresh of the same data on another warehouse (PostgreSQL
    # against DuckDB: the engines give the same rows, tests/test_marts.py).
    reference = _indicator_values(published_night.warehouse)
    assert len(reference) > 1000
    assert _indicator_values(target) == reference


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["duckdb",
                                     pytest.param("postgres", marks=pytest.mark.postgres)])
def test_refresh_killed_mid_extraction_leaves_no_lock_and_is_closed(backend, tmp_path, request):
    target = str(tmp_path / "wh.duckdb") if backend == "duckdb" else request.getfixturevalue(
        "pg_url")
    with FakeCRMServer(World(seed=4, participants=20, now=NOW), token=TOKEN) as server:
        env = _env(tmp_path, target, server.base_url)
        _slow_crm(server)
        killed = _cli(env, "refresh")
        try:
            _wait_until(lambda: server.faults_fired["slow"] >= 2 or killed.poll() is not None,
                        120, "the refresh to be extracting")
        finally:
            killed.send_signal(signal.SIGKILL)
            killed.communicate(timeout=30)
            server.clear_faults()
        assert killed.returncode == -signal.SIGKILL
        with connect(target) as wh:
            assert wh.fetchall("select status from raw.crm_loads") == [("running",)]

        # The next refresh is not refused: the lock died with its holder.
        settings = make_settings(tmp_path, warehouse=target, crm_url=server.base_url,
                                 as_of=AS_OF)
        run_nightly_in_memory(settings)
    with connect(target) as wh:
        rows = wh.fetchall("select status, finished_at is not null, summary from raw.crm_loads "
                           "order by _load_seq")
    assert [r[:2] for r in rows] == [("interrupted", True), ("succeeded", True)]
    assert rows[0][2].startswith("interrompue : le processus de cette extraction s'est arrêté")


def _hold_refresh_lock(env: dict[str, str]) -> subprocess.Popen:
    """Another process holding the warehouse's refresh lock until its stdin is closed."""
    code = ("import sys\nfrom connectors.run_lock import RefreshRunning, refresh_lock\n"
            "with refresh_lock(sys.argv[1], 'un test', wait=5):\n"
            "    print('held', flush=True)\n    sys.stdin.read()\n")
    holder = subprocess.Popen([sys.executable, "-c", code, env["SEA_WAREHOUSE"]],
                              cwd=PROJECT_ROOT, env=env, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory, published_night) -> tuple[Path, str]:
    """A warehouse after one refresh (the reports' tests read it and write their deliverables
    beside it): a copy of the published night. No CRM: a report does not call it."""
    tmp_path = tmp_path_factory.mktemp("built")
    copy_of_night(published_night, tmp_path, crm_url="http://127.0.0.1:9")
    return tmp_path, "http://127.0.0.1:9"


@pytest.mark.slow
def test_report_waits_for_a_running_refresh_then_runs(built_warehouse):
    tmp_path, crm_url = built_warehouse
    env = _env(tmp_path, str(tmp_path / "warehouse.duckdb"), crm_url)
    holder = _hold_refresh_lock(env)
    report = _cli(env, "report", "--quarter", "2026-Q3")
    try:
        waited = report.stderr.readline()
        assert waited.startswith("sea: actualisation en cours (processus "
                                 f"{holder.pid} sur "), waited
        assert "lancée par un test) : attente de sa fin" in waited
        time.sleep(1.0)
        assert report.poll() is None, "the report must not run while the refresh holds the lock"
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    out, err = report.communicate(timeout=300)
    # It ran after the release, on the finished warehouse: the gate passed, deliverables written.
    assert report.returncode == 0, err[-3000:]
    assert "rapport_redevabilite_2026-Q3_v1.pdf" in out, out
    assert "Traceback" not in err


@pytest.mark.slow
def test_report_gives_up_after_the_bounded_wait(built_warehouse):
    tmp_path, crm_url = built_warehouse
    env = _env(tmp_path, str(tmp_path / "warehouse.duckdb"), crm_url, SEA_LOCK_WAIT_SECONDS="2")
    holder = _hold_refresh_lock(env)
    try:
        started = time.monotonic()
        report = _cli(env, "report", "--quarter", "2026-Q3")
        _, err = report.communicate(timeout=120)
        waited = time.monotonic() - started
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert report.returncode == 1
    lines = err.strip().splitlines()
    assert lines[0].startswith("sea: actualisation en cours"), err
    assert lines[-1].startswith("sea: lecture abandonnée : l'actualisation en cours (processus "
                                f"{holder.pid} sur "), err
    assert "n'a pas fini après 2 s d'attente" in lines[-1] and len(lines) == 2, err
    assert waited >= 2


def nightly_job_from_env():
    """The nightly job as the Dagster daemon would load it (settings from the environment)."""
    return build_definitions(load_settings()).resolve_job_def(NIGHTLY_JOB)


def test_dagster_launched_refresh_fails_with_the_french_line(tmp_path, monkeypatch):
    """A run launched by the UI or daemon goes through the job's own executor, which takes the
    lock: busy, the run fails before any step, its failure saying why in French."""
    warehouse = str(tmp_path / "wh.duckdb")
    env = _env(tmp_path, warehouse, "http://127.0.0.1:9")
    for name in ("PSEUDONYM_KEY", "SEA_WAREHOUSE", "CRM_BASE_URL", "SHEETS_DIR", "SEA_OUTPUT_DIR",
                 "SEA_INTERNAL_DIR", "DAGSTER_HOME", "SEA_AS_OF"):
        monkeypatch.setenv(name, env[name])
    holder = _hold_refresh_lock(env)
    try:
        with DagsterInstance.ephemeral() as instance:
            result = execute_job(reconstructable(nightly_job_from_env), instance=instance,
                                 raise_on_error=False)
            failure = [e for e in result.all_events
                       if e.event_type == DagsterEventType.RUN_FAILURE][0]
            errors = [record.user_message for record in instance.all_logs(result.run_id)
                      if record.level >= 40 and record.dagster_event is None]
        # The refused run took nothing: the other process still holds the lock.
        with pytest.raises(RefreshRunning), refresh_lock(warehouse, "test", wait=1):
            pass
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert not result.success
    assert not [e for e in result.all_events if e.event_type == DagsterEventType.STEP_START]
    expected = f"actualisation refusée : une autre actualisation est en cours sur cet entrepôt " \
               f"(processus {holder.pid} sur "
    assert failure.job_failure_data.error.message.split(": ", 1)[1].startswith(expected)
    assert any(message.startswith(expected) for message in errors), errors
