"""`make demo` and what it prints, run for real.

- Two demos on the same day serve the same synthetic world and write the same spreadsheets, so
  the second publishes no new version of the quarter (it wrote `v2` with changed figures when
  the fake CRM's clock was the real time and the workbooks carried their save time).
- Every command the demo prints works as printed, in a shell that has nothing else set.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
import zipfile
from datetime import UTC, date, datetime, timedelta

import pytest

from common.settings import DEMO_CRM_PORT, PARIS, PROJECT_ROOT, load_settings
from devtools.demo import UI_PORT, demo_participants, world_clock
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import World
from tests.conftest import TEST_KEY

PARTICIPANTS = "60"


def _settings(**env: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_settings({"PSEUDONYM_KEY": TEST_KEY, **env}, demo=True)


# -- one world per day ---------------------------------------------------------------------------
def test_world_clock_is_one_instant_per_as_of_day():
    """Today's demo: the start of the day in Paris, whenever it runs that day (it was the real
    time: a world drawn one second later was another world). Other days: their evening. Never
    after the run's clock."""
    first = _settings()
    time.sleep(0.05)
    second = _settings()
    assert world_clock(first) == world_clock(second)
    today = datetime.now(PARIS).date()
    assert world_clock(first) == datetime.combine(today, datetime.min.time(), tzinfo=PARIS)
    for day in (today, today - timedelta(days=40), today + timedelta(days=40)):
        settings = _settings(SEA_AS_OF=day.isoformat())
        clock = world_clock(settings)
        assert clock == world_clock(_settings(SEA_AS_OF=day.isoformat()))
        assert clock <= settings.run_clock().replace(tzinfo=UTC), day
    past = today - timedelta(days=40)
    assert world_clock(_settings(SEA_AS_OF=past.isoformat())) == datetime.combine(
        past, datetime.min.time(), tzinfo=UTC) + timedelta(hours=20)


def test_demo_spreadsheets_carry_no_save_time(tmp_path):
    """Written twice, the demo folder is the same byte for byte: every time stamp inside a
    workbook (zip entries, document properties) is the file's fixed modification day."""
    world = World(seed=4, participants=40, now=datetime(2026, 11, 20, 20, tzinfo=UTC))
    people = demo_participants(world)
    as_of = date(2026, 11, 20)
    first = write_demo_spreadsheets(tmp_path / "a", people, as_of=as_of)
    second = write_demo_spreadsheets(tmp_path / "b", people, as_of=as_of)
    for one, other in zip(first, second, strict=True):
        assert one.read_bytes() == other.read_bytes(), one.name
        assert one.stat().st_mtime == other.stat().st_mtime
        if one.suffix != ".xlsx":
            continue
        modified = datetime.fromtimestamp(one.stat().st_mtime, tz=UTC)
        with zipfile.ZipFile(one) as book:
            stamps = {entry.date_time[:3] for entry in book.infolist()}
            core = book.read("docProps/core.xml").decode()
        assert stamps == {(modified.year, modified.month, modified.day)}, one.name
        saved = re.search(r"<dcterms:modified[^>]*>([^<]+)<", core).group(1)
        assert saved == f"{modified:%Y-%m-%d}T12:00:00Z", one.name


# -- the demo, then what it prints ---------------------------------------------------------------
def _port_free(port: int) -> bool:
    """Whether a server could listen there now (as servers do, reusing a port whose last
    connections are closing)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _serving(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _demo(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", "demo", "--participants",
                           PARTICIPANTS], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)


def _printed(stdout: str) -> dict[str, str]:
    """The commands the demo ends on, by make target."""
    tail = stdout.split("Et ensuite", 1)[1]
    commands = [line.strip() for line in tail.splitlines() if line.startswith("  SEA_DEMO=1 ")]
    return {re.search(r" make (\w+)", command).group(1)
            + ("_funder" if " FUNDER=" in command else ""): command for command in commands}


def _as_printed(command: str) -> str:
    """The printed command, its `make setup` prerequisite taken as done (the session prepared
    the dbt manifest and the virtualenv exists)."""
    return command.replace(" make ", " make --no-print-directory -o setup ", 1)


def _bare_env() -> dict[str, str]:
    """A shell with nothing of the demo's settings: the printed command must carry them."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": os.environ.get("HOME", "/")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    if not _port_free(DEMO_CRM_PORT):
        pytest.skip(f"port {DEMO_CRM_PORT} held by another program (a demo running?)")
    root = tmp_path_factory.mktemp("demo")
    (root / "sheets").mkdir()
    env = {**_bare_env(), "SEA_DEMO": "1",
           "SEA_WAREHOUSE": str(root / "warehouse.duckdb"), "SHEETS_DIR": str(root / "sheets"),
           "SEA_OUTPUT_DIR": str(root / "reports"), "SEA_INTERNAL_DIR": str(root / "interne"),
           "DAGSTER_HOME": str(root / "dagster_home")}
    proc = _demo(env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return env, root, proc.stdout


@pytest.mark.slow
def test_demo_ends_on_the_commands_to_try(demo):
    env, root, stdout = demo
    commands = _printed(stdout)
    assert sorted(commands) == ["evidence", "refresh", "report", "report_funder", "ui"], stdout
    for command in commands.values():
        assert f"SEA_WAREHOUSE={root / 'warehouse.duckdb'}" in command
        assert f"SEA_DEMO_PARTICIPANTS={PARTICIPANTS}" in command
        assert "PSEUDONYM_KEY" not in command
    assert "make report QUARTER=" in commands["report"]
    assert (root / "sheets" / ".sea-demo").is_file()


@pytest.mark.slow
def test_printed_refresh_report_and_evidence_work_as_printed(demo):
    env, root, stdout = demo
    commands = _printed(stdout)
    out = {}
    for target in ("refresh", "report", "report_funder", "evidence"):
        proc = subprocess.run(["bash", "-c", _as_printed(commands[target])], cwd=PROJECT_ROOT,
                              env=_bare_env(), capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, (target, proc.stderr[-3000:])
        out[target] = proc.stdout
    # The refresh served the demo's world again: the report found nothing to republish.
    assert "aucune nouvelle version écrite" in out["report"], out["report"]
    assert "Dossier de preuves" in out["evidence"]
    # the demo wrote the private funder's report of the semester: the printed command finds
    # it unchanged
    assert "rien n'a changé depuis la version 1" in out["report_funder"], out["report_funder"]
    assert "Rapport au financeur" in stdout
    quarter = re.search(r"QUARTER=(\S+)", commands["report"]).group(1)
    assert sorted(p.name for p in (root / "reports" / quarter).iterdir()) == ["v1"]


@pytest.mark.slow
def test_printed_ui_serves_dagster_and_the_fake_crm(demo):
    if not _port_free(UI_PORT) or not _port_free(DEMO_CRM_PORT):
        pytest.skip(f"port {UI_PORT} or {DEMO_CRM_PORT} held by another program")
    env, root, stdout = demo
    ui = subprocess.Popen(["bash", "-c", _as_printed(_printed(stdout)["ui"])],
                          cwd=PROJECT_ROOT, env=_bare_env(), start_new_session=True,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        answered = set()
        while time.monotonic() < deadline and len(answered) < 2 and ui.poll() is None:
            for url in (f"http://127.0.0.1:{UI_PORT}/server_info",
                        f"http://127.0.0.1:{DEMO_CRM_PORT}/api/v1/participants"):
                try:
                    urllib.request.urlopen(url, timeout=2)
                    answered.add(url)
                except urllib.error.HTTPError:  # the CRM wants its token: it is serving
                    answered.add(url)
                except OSError:
                    pass
            time.sleep(1)
        assert len(answered) == 2, (answered, ui.poll())
    finally:
        os.killpg(ui.pid, signal.SIGINT)
        try:
            ui.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(ui.pid, signal.SIGKILL)
            ui.wait()
    assert not _serving(DEMO_CRM_PORT), "stopping make ui stops the fake CRM"
    assert not _serving(UI_PORT), "stopping make ui stops Dagster"


@pytest.mark.slow
def test_second_demo_the_same_day_publishes_nothing_new(demo):
    env, root, stdout = demo
    quarter = re.search(r"QUARTER=(\S+)", _printed(stdout)["report"]).group(1)
    figures = (root / "reports" / quarter / "v1" / "figures.csv").read_bytes()
    proc = _demo(env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "aucune nouvelle version écrite" in proc.stdout, proc.stdout
    assert sorted(p.name for p in (root / "reports" / quarter).iterdir()) == ["v1"]
    assert (root / "reports" / quarter / "v1" / "figures.csv").read_bytes() == figures
    assert _printed(proc.stdout) == _printed(stdout)
