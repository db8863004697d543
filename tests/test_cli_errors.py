"""The commands behind the Makefile, run for real: user values are data, failures one French line.

- `make evidence EVALUATION=…` / `make report QUARTER=…`: a value holding shell or make syntax
  reaches the command as it was typed and runs nothing.
- `make refresh` / `make report` failing on the usual causes (the CRM down, its token refused,
  PostgreSQL down, the fake CRM's port taken, the DuckDB file held by another program) end on
  one French line naming the cause and the fix and the log file that holds the full error.
- `make report` asked for a quarter it cannot serve (malformed, not over, without data) and
  `make evidence` for an unknown evaluation end on one French line saying which to ask instead.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from common.settings import PROJECT_ROOT
from devtools.fake_crm import FakeCRMServer, World
from tests.conftest import TEST_KEY

TOKEN = "test-token-that-must-stay-secret"


def _free_port() -> int:
    """A loopback port nothing listens on (bound then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A clean environment: everything under tmp_path, no SEA_DEMO, a real-looking key."""
    (tmp_path / "sheets").mkdir(exist_ok=True)
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "PSEUDONYM_KEY": TEST_KEY, "CRM_API_TOKEN": TOKEN,
        "SEA_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "SHEETS_DIR": str(tmp_path / "sheets"), "SEA_OUTPUT_DIR": str(tmp_path / "reports"),
        "SEA_INTERNAL_DIR": str(tmp_path / "interne"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"), "SEA_AS_OF": "2026-11-20",
        "CRM_BASE_URL": f"http://127.0.0.1:{_free_port()}",
        **extra,
    }


def _make(target: str, variable: str, value: str, env: dict[str, str]
          ) -> subprocess.CompletedProcess:
    """The real Makefile target (its `setup` prerequisite taken as done: the session's fixture
    prepared the dbt manifest and the virtualenv exists)."""
    return subprocess.run(["make", "--no-print-directory", "-o", "setup", target,
                           f"{variable}={value}"], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _cli(command: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "orchestration.cli", command], cwd=PROJECT_ROOT,
                          env=env, capture_output=True, text=True, timeout=300)


def _plan_warehouse(path: Path) -> None:
    """A warehouse whose evaluation plan has one evaluation: enough for `make evidence` to
    answer that another id is unknown."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute("create table marts.evaluation_plan as "
                    "select 'EVAL-2026-01' as evaluation_id, date '2026-01-01' as planned_start")
    finally:
        con.close()


HOSTILE = [
    'x"; touch {canary}; echo "',
    "x'; touch {canary}; echo '",
    "$(shell touch {canary})",
    "`touch {canary}`",
    "$$(touch {canary})",
    "-x; touch {canary}",
]


@pytest.mark.parametrize("template", HOSTILE)
def test_evidence_id_is_data_never_shell(tmp_path, template):
    canary = Path(f"/tmp/sea_pwned_{uuid.uuid4().hex}")
    value = template.format(canary=canary)
    env = _env(tmp_path)
    _plan_warehouse(Path(env["SEA_WAREHOUSE"]))
    proc = _make("evidence", "EVALUATION", value, env)
    assert not canary.exists(), "the value was run as a command"
    assert proc.returncode != 0
    ours = [line for line in proc.stderr.splitlines() if line.startswith("sea:")]
    assert len(ours) == 1, proc.stderr
    # The id reached the command exactly as typed, and the answer says it is unknown.
    assert f"évaluation « {value} » absente du plan d'évaluation" in ours[0], proc.stderr
    assert "EVAL-2026-01" in ours[0]
    assert ours[0].startswith("sea: échec : ") and "make evidence EVALUATION=" in ours[0]


@pytest.mark.parametrize("template", HOSTILE[:3])
def test_quarter_is_data_never_shell(tmp_path, template):
    canary = Path(f"/tmp/sea_pwned_{uuid.uuid4().hex}")
    value = template.format(canary=canary)
    proc = _make("report", "QUARTER", value, _env(tmp_path))
    assert not canary.exists(), "the value was run as a command"
    assert proc.returncode != 0
    assert "trimestre invalide" in proc.stderr, proc.stderr


def _assert_one_line_failure(proc: subprocess.CompletedProcess, *expected: str) -> Path:
    """Non-zero; stderr ends on one French `sea:` line holding `expected` and the path of a
    log that has the full error; no secret in either."""
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines()
             if line.strip() and not line.startswith("make: ***")]
    last = lines[-1]
    assert last.startswith("sea: échec : "), proc.stderr[-3000:]
    for word in expected:
        assert word in last, last
    assert "Traceback" not in last and "Error:" not in last
    log = Path(last.rsplit("(détails : ", 1)[1].rstrip(")"))
    assert log.is_file(), last
    details = log.read_text(encoding="utf-8")
    assert "Traceback" in details or "Stack Trace" in details
    for secret in (TOKEN, TEST_KEY):
        assert secret not in last and secret not in details
    return log


@pytest.mark.slow
def test_refresh_with_the_crm_down_names_it(tmp_path):
    env = _env(tmp_path)
    proc = _cli("refresh", env)
    log = _assert_one_line_failure(proc, "CRM est injoignable", env["CRM_BASE_URL"],
                                   "CRM_BASE_URL")
    assert log.is_relative_to(tmp_path / "dagster_home")


@pytest.mark.slow
def test_refresh_with_the_token_refused_names_it(tmp_path):
    world = World(seed=3, participants=20, now=datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    with FakeCRMServer(world, token="the-right-token") as server:
        proc = _cli("refresh", _env(tmp_path, CRM_BASE_URL=server.base_url))
    _assert_one_line_failure(proc, "refusé le jeton", "401", "CRM_API_TOKEN")


def test_refresh_with_postgres_down_names_it(tmp_path):
    url = f"postgresql://sea:pg-secret-pw@127.0.0.1:{_free_port()}/sea"
    proc = _cli("refresh", _env(tmp_path, SEA_WAREHOUSE=url))
    log = _assert_one_line_failure(proc, "PostgreSQL est injoignable", "SEA_WAREHOUSE")
    assert "pg-secret-pw" not in proc.stderr and "pg-secret-pw" not in log.read_text()


def test_make_report_with_postgres_down_names_it(tmp_path):
    url = f"postgresql://sea:pg-secret-pw@127.0.0.1:{_free_port()}/sea"
    proc = _make("report", "QUARTER", "2026-Q3", _env(tmp_path, SEA_WAREHOUSE=url))
    log = _assert_one_line_failure(proc, "PostgreSQL est injoignable", "SEA_WAREHOUSE")
    assert "pg-secret-pw" not in proc.stderr and "pg-secret-pw" not in log.read_text()


# -- what a person asked wrong, answered in one French line -------------------------------------
ENGLISH = ("expected", " is not ", "quarter ", "Error", "Traceback", "not valid", "rows for")


def _assert_refused(proc: subprocess.CompletedProcess, *expected: str) -> str:
    """Non-zero; stderr is one French `sea: échec :` line holding `expected`, no traceback."""
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines()
             if line.strip() and not line.startswith("make: ***")]
    ours = [line for line in lines if line.startswith("sea:")]
    assert len(ours) == 1 and lines[-1] == ours[0], proc.stderr[-3000:]
    last = ours[0]
    assert last.startswith("sea: échec : ") and " — " in last, last
    for word in expected:
        assert word in last, last
    ours_all = "\n".join(lines)  # make's own "*** Error 2" is not ours
    for word in ENGLISH:
        assert word not in ours_all, proc.stderr[-3000:]
    return last


def _indicator_warehouse(path: Path) -> None:
    """A warehouse whose indicator mart holds 2026-Q2 and 2026-Q3 only."""
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts")
        con.execute("create table marts.indicator_values as select * from (values "
                    "('quarter', date '2026-04-01', date '2026-06-30'), "
                    "('quarter', date '2026-07-01', date '2026-09-30')) "
                    "as t(period_type, period_start, period_end)")
    finally:
        con.close()


def test_report_of_a_malformed_quarter_says_how_to_write_it(tmp_path):
    proc = _make("report", "QUARTER", "2026-Q5", _env(tmp_path))
    _assert_refused(proc, "trimestre invalide « 2026-Q5 »", "AAAA-Qn",
                    "make report QUARTER=2026-Q3")


def test_report_of_a_quarter_not_over_names_the_last_one_over(tmp_path):
    proc = _make("report", "QUARTER", "2026-Q4", _env(tmp_path))  # as of 2026-11-20
    _assert_refused(proc, "T4 2026", "n'est pas terminé", "20/11/2026",
                    "make report QUARTER=2026-Q3")


def test_report_of_a_quarter_without_data_names_the_quarters_held(tmp_path):
    env = _env(tmp_path)
    _indicator_warehouse(Path(env["SEA_WAREHOUSE"]))
    proc = _make("report", "QUARTER", "2019-Q1", env)
    _assert_refused(proc, "aucune donnée pour le trimestre T1 2019", "2026-Q2 à 2026-Q3")


def test_report_before_any_refresh_says_to_refresh_first(tmp_path):
    env = _env(tmp_path)
    proc = _make("report", "QUARTER", "2026-Q3", env)
    _assert_refused(proc, "n'existe pas encore", "make refresh")
    assert not Path(env["SEA_WAREHOUSE"]).exists(), "asking must not create the warehouse"


# -- a resource another program holds --------------------------------------------------------------
def _hold(code: str) -> subprocess.Popen:
    """Another program holding something (a port, a file) until killed; returns once it holds."""
    holder = subprocess.Popen([sys.executable, "-c", code + "\nprint('held', flush=True)\n"
                               "import time\ntime.sleep(120)"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    return holder


def _demo_env(tmp_path: Path) -> dict[str, str]:
    """Demo mode on the default CRM URL (port 8765), without a pseudonym key."""
    env = _env(tmp_path, SEA_DEMO="1")
    for name in ("CRM_BASE_URL", "PSEUDONYM_KEY", "CRM_API_TOKEN"):
        env.pop(name)
    return env


@pytest.mark.parametrize("command", ["demo", "refresh"])
def test_busy_demo_port_names_it(tmp_path, command):
    """The fake CRM's port held by another program (another demo, `make ui`, anything)."""
    holder = _hold("import socket\ns = socket.socket()\n"
                   "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\n"
                   "try:\n    s.bind(('127.0.0.1', 8765)); s.listen()\n"
                   "except OSError:\n    pass  # already held by another program: busy anyway")
    try:
        proc = _cli(command, _demo_env(tmp_path))
    finally:
        holder.kill()
        holder.wait()
    _assert_one_line_failure(proc, "port 8765", "déjà occupé", "arrêtez-le")


def test_warehouse_held_by_another_program_names_the_file(tmp_path):
    """A BI tool or a notebook left open on the DuckDB file: DuckDB refuses a second writer."""
    env = _env(tmp_path)
    _indicator_warehouse(Path(env["SEA_WAREHOUSE"]))
    holder = _hold(f"import duckdb\ncon = duckdb.connect({env['SEA_WAREHOUSE']!r})")
    try:
        proc = _make("report", "QUARTER", "2026-Q3", env)
    finally:
        holder.kill()
        holder.wait()
    last = _assert_one_line_failure(proc, env["SEA_WAREHOUSE"], "ouvert par un autre programme",
                                    f"processus {holder.pid}", "fermez ce programme")
    assert "Could not set lock" in last.read_text(encoding="utf-8")


def test_fake_crm_on_a_busy_port_says_so_in_one_line():
    """`python -m devtools.fake_crm` started twice on one port: one French line, no traceback."""
    port = _free_port()
    holder = _hold(f"import socket\ns = socket.socket()\ns.bind(('127.0.0.1', {port}))\n"
                   "s.listen()")
    try:
        proc = subprocess.run([sys.executable, "-m", "devtools.fake_crm", "--port", str(port),
                               "--participants", "5"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [proc.stderr.strip()], proc.stderr
    assert f"le port 127.0.0.1:{port} est déjà occupé" in proc.stderr
    assert "Traceback" not in proc.stderr
