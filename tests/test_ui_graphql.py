"""The running UI, as `make ui` starts it, shows the data lead what the code declares.

`python -m orchestration.cli ui` (the Makefile's `ui` target) is started on a free port with
test settings under a temporary folder (no refresh needed: definitions, not runs, are asked for),
its GraphQL API (`/graphql`, the API the UI's pages read) is queried over HTTP, and the server is
stopped as Ctrl-C stops it, webserver, daemon and code servers included. What it must show:

- every asset with a description in French and an owner, in a group that is a warehouse layer;
- the freshness checks on the CRM extraction and the publication (orchestration/freshness.py);
- the sensors: the shared folder's, freshness, and the run-failure alerts;
- the blocking checks flagged blocking: Dagster's own flag, as the checks are declared
  (orchestration/checks.py: `error` checks of the blocking layers, the quality gate; dbt tests
  of severity `error`), and the "[bloquant]" label only on them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.settings import PROJECT_ROOT, Settings
from orchestration.alerts import SENSOR_NAME as ALERTS_SENSOR
from orchestration.dbt_project import manifest_path
from orchestration.definitions import build_definitions
from orchestration.freshness import CHECK_KEYS as FRESHNESS_CHECKS
from orchestration.freshness import SENSOR_NAME as FRESHNESS_SENSOR
from orchestration.sensors import SENSOR_NAME as SHEETS_SENSOR
from tests.conftest import TEST_KEY, make_settings
from tests.test_ui_truth import LAYERS, looks_french

STARTUP_SECONDS = 60  # about 12 s on 2 cores: the code location loads the dbt manifest
STOP_SECONDS = 20  # `make ui` gives dagster dev 15 s after SIGTERM before killing it
BLOCKING_LABEL = "[bloquant]"

ASSETS_QUERY = """
{ assetNodes {
    assetKey { path } description groupName
    owners { __typename ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    assetChecksOrError { __typename ... on AssetChecks { checks { name blocking description } } }
} }"""

SENSORS_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename
      ... on PythonError { message }
      ... on RepositoryLocation { repositories {
          sensors { name description sensorType sensorState { status } } } } } } } } }"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.load(response)
    assert "errors" not in body, body["errors"]
    return body["data"]


def _descendants(pid: int) -> set[int]:
    """Every live process under `pid` (the webserver, daemon and code servers of dagster dev)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _ui_environment(settings: Settings) -> dict[str, str]:
    """The environment `make ui` would run with for `settings` (not the demo: no fake CRM)."""
    env = {**os.environ, "SEA_DEMO": "0", "PSEUDONYM_KEY": TEST_KEY,
           "SEA_WAREHOUSE": str(settings.warehouse), "SHEETS_DIR": str(settings.sheets_dir),
           "SEA_OUTPUT_DIR": str(settings.output_dir),
           "SEA_INTERNAL_DIR": str(settings.internal_dir),
           "DAGSTER_HOME": str(settings.dagster_home), "SEA_AS_OF": settings.as_of.isoformat(),
           "CRM_API_TOKEN": "test-token", "PYTHONUNBUFFERED": "1"}
    return env


def _wait_loaded(port: int, proc: subprocess.Popen, log: Path) -> list[dict]:
    """The code location's sensors once the UI has loaded it; the log's tail on failure."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"`make ui` stopped ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            workspace = _graphql(port, SENSORS_QUERY)["workspaceOrError"]
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.5)
            continue
        entries = workspace.get("locationEntries") or []
        if entries and all(e["loadStatus"] == "LOADED" for e in entries):
            location = entries[0]["locationOrLoadError"]
            assert location["__typename"] == "RepositoryLocation", location.get("message")
            return [s for repo in location["repositories"] for s in repo["sensors"]]
        time.sleep(0.5)
    pytest.fail(f"`make ui` not ready in {STARTUP_SECONDS} s:\n{log.read_text()[-3000:]}")


@pytest.fixture
def running_ui(tmp_path) -> Iterator[tuple[int, list[dict], Settings]]:
    """`make ui` on a free port; stopped with SIGINT (Ctrl-C) and checked to leave nothing."""
    settings = make_settings(tmp_path)
    port = _free_port()
    log = tmp_path / "ui.log"
    with log.open("w") as out:
        # its own session, as a terminal's job would be: a failure below can still stop it all
        proc = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "ui", "--port", str(port)],
            cwd=PROJECT_ROOT, env=_ui_environment(settings), stdout=out,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        sensors = _wait_loaded(port, proc, log)
        spawned = _descendants(proc.pid)
        yield port, sensors, settings
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=STOP_SECONDS)
        # dagster dev has returned; its children may still be closing their storage
        deadline = time.monotonic() + STOP_SECONDS
        while (left := {pid for pid in spawned if _alive(pid)}) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert left == set(), f"processes left by `make ui`: {left}"
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", port)) != 0, "the UI still answers"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_running_ui_shows_descriptions_freshness_sensors_and_blocking_checks(running_ui):
    port, sensors, settings = running_ui
    nodes = _graphql(port, ASSETS_QUERY)["assetNodes"]
    graph = build_definitions(settings).resolve_asset_graph()
    declared = {key.to_user_string() for key in graph.get_all_asset_keys()}
    shown = {"/".join(n["assetKey"]["path"]): n for n in nodes}
    assert set(shown) == declared and len(shown) > 120

    # every asset: a French description, an owner, a layer for a group
    undescribed = sorted(k for k, n in shown.items() if not looks_french(n["description"]))
    assert undescribed == []
    assert sorted(k for k, n in shown.items() if not n["owners"]) == []
    assert {n["groupName"] for n in shown.values()} <= LAYERS

    checks = {(key, c["name"]): c for key, n in shown.items()
              for c in n["assetChecksOrError"].get("checks", [])}
    assert len(checks) == len(list(graph.asset_check_keys)) > 200

    # the freshness checks, warnings (never blocking) on the CRM tables and the publication
    freshness = {(k.asset_key.to_user_string(), k.name) for k in FRESHNESS_CHECKS}
    assert len(freshness) == 8 and freshness <= set(checks)
    for key in freshness:
        assert not checks[key]["blocking"]
        assert checks[key]["description"].startswith("[avertissement] Données à jour")

    # blocking: Dagster's flag as declared, and the "[bloquant]" label on blocking checks only
    declared_blocking = {(k.asset_key.to_user_string(), k.name)
                         for k in graph.asset_check_keys
                         if graph.get_check_spec(k).blocking}
    shown_blocking = {key for key, c in checks.items() if c["blocking"]}
    assert shown_blocking == declared_blocking
    assert len(shown_blocking) > 60
    assert checks[("deliverables/quality_gate", "gate_passed")]["blocking"]
    labelled = {key for key, c in checks.items()
                if (c["description"] or "").startswith(BLOCKING_LABEL)}
    assert labelled and labelled <= shown_blocking
    ge_checks = {key for key, c in checks.items() if (c["description"] or "").startswith("[")}
    assert ge_checks & shown_blocking == labelled  # a GE check is blocking iff labelled so
    # dbt tests: blocking exactly when their severity is `error` (dagster-dbt's rule)
    severity = {node["name"]: node["config"].get("severity", "error").lower()
                for node in json.loads(manifest_path().read_text())["nodes"].values()
                if node["resource_type"] == "test"}
    dbt_checks = set(checks) - ge_checks
    assert dbt_checks and {name for _, name in dbt_checks} <= set(severity)
    wrong = sorted(f"{key}:{name}" for key, name in dbt_checks
                   if checks[(key, name)]["blocking"] != (severity[name] == "error"))
    assert wrong == []
    assert "warn" in {severity[name] for _, name in dbt_checks}  # both kinds are shown

    # the sensors, running by default with the daemon `make ui` starts
    by_name = {s["name"]: s for s in sensors}
    assert {SHEETS_SENSOR, FRESHNESS_SENSOR, ALERTS_SENSOR} <= set(by_name)
    assert by_name[ALERTS_SENSOR]["sensorType"] == "RUN_STATUS"
    for name in (SHEETS_SENSOR, FRESHNESS_SENSOR, ALERTS_SENSOR):
        assert by_name[name]["sensorState"]["status"] == "RUNNING", name
        assert looks_french(by_name[name]["description"]), name
