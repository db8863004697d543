"""`make bench`: how long the pipeline takes, and how much memory, at a chosen size.

The fake CRM is generated at `BENCH_PARTICIPANTS` participants (≈17 activities each) in its own
process — so its hundreds of megabytes are not counted as the pipeline's — and served over HTTP.
The real stages then run in this process, in order, into a throw-away warehouse: a DuckDB file,
or with `BENCH_WAREHOUSE=postgresql://…` (`--warehouse`) a database of its own created on that
server and dropped afterwards, whatever happens (`throwaway_database`). The stages are those of the
nightly job (docs/settings.md#schedules: incremental extraction, dbt build, checks): extraction
(`load_crm`, over HTTP, resources in parallel), spreadsheets, pseudonyms, `dbt build` (run in this
process, as the Dagster asset runs it), checks (the whole quality gate), the publication for
readers and the dashboard built from it, and the Plan SEA the night keeps up to date. After the
full refresh, one quarter's deliverables (the quarterly reporting job) are timed on their own
line, outside the end-to-end total the nights are compared with. Three scenarios share the
warehouse, as nights do:

1. full refresh from an empty warehouse;
2. nightly refresh after the fake CRM moved on until ≥ 0.5 % of its records changed (new,
   edited, erased), with the as-of date moved to the CRM's new "today";
3. refresh with nothing changed.

The spreadsheets are the demo ones, written for the first `SHEET_ENROLMENTS` enrolments only.

What is measured, honestly:
- wall time of each stage (`time.perf_counter`); end to end is the sum of the stages, which run
  one after the other (starting the CRM and writing the spreadsheets are set-up, not timed);
- rows per second: the rows a stage handles (named in the table) over its wall time;
- peak memory: the largest resident set size sampled every 0.1 s over this process (dbt runs
  in it) plus its descendants, the fake CRM's process excluded. It includes what this
  process already held before the stage (Python, libraries, DuckDB's cache). On PostgreSQL the
  server's processes working for the throw-away database (its backends and parallel workers)
  are added, each for its private memory only (resident minus shared pages): the shared
  buffers are the server's, sized by its configuration, whoever uses them.

After the full refresh, the dashboard (`tableau_de_bord.html`) is weighed and opened from
`file://` in headless Chromium (Debian's `/usr/bin/chromium`, driven by Playwright): the time
from navigation to the data's date (`#as-of`) being filled, and to every view drawn
(`body[data-ready]`), first load and best of three. Without Chromium that figure is skipped,
with a note.

Then, on DuckDB, a hand-written single-file DuckDB query (`bench_floor.sql`) computes the same
`indicator_values` rows (quarter periods, dimension total) from the staged tables: it is timed,
compared with the mart (mismatch count printed) and set against the time dbt spends on the
intermediate and mart models behind `indicator_values`. The floor is written in DuckDB's
dialect: on PostgreSQL the benchmark names dbt's slowest models instead (run_results.json of
the full refresh's build), where an `EXPLAIN ANALYZE` starts.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import duckdb
import psycopg2
import requests

from common.publication import publish
from common.quarters import last_complete_quarter
from common.settings import PROJECT_ROOT, Settings, SettingsError, load_settings
from common.warehouse import connect, is_postgres_url
from connectors.crm.client import CRMClient
from connectors.crm.load import load_crm
from connectors.pseudonyms import rebuild_pseudonyms
from devtools.demo_sheets import write_demo_spreadsheets
from orchestration.assets.dashboard import dashboard_path, write_dashboard
from orchestration.assets.dbt_models import refresh_args
from orchestration.assets.raw_crm import EXTRACT_CONCURRENCY
from orchestration.assets.raw_sheets import SHEET_TABLES, load_sheets
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import DBT_PROJECT_DIR, sea_dbt_project
from orchestration.gate import evaluate_gate
from orchestration.publication import published_sources
from orchestration.reporting import learning_inputs
from orchestration.staging_state import needs_full_refresh, record_fingerprint, staging_fingerprint
from reports.delivery import build_quarterly_deliverables
from reports.plan_sea.build import build_plan_sea

FLOOR_SQL = Path(__file__).with_name("bench_floor.sql")
BENCH_TOKEN = "bench-token"
BENCH_SEED = 42
CRM_NOW = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
CHANGE_SHARE = 0.005  # the nightly scenario: this share of the CRM's records changed
SAMPLE_SECONDS = 0.1
# The demo spreadsheet generator slows down sharply with size (minutes at 100 000
# participants); shared spreadsheets stay small next to the CRM, so they are written for this
# many enrolments (the first in API order) whatever the size.
SHEET_ENROLMENTS = 5_000
BUILT_SCHEMAS = ("staging", "intermediate", "marts")
# A night's share of the full refresh, per warehouse (docs/performance.md#targets).
NIGHT_SHARE_TARGET = {"duckdb": 0.10, "postgresql": 0.15}
QUARTERLY = "quarterly"  # the stage of the quarterly reporting job: outside the nights' totals


@dataclasses.dataclass
class Stage:
    name: str
    seconds: float
    rows: int
    rows_label: str
    peak_bytes: int
    server_peak_bytes: int = 0

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0


# ---------------------------------------------------------------------------------- memory

def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        # the command name may hold spaces: the fields after it follow the last ')'
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    return children


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def tree_rss(root: int, exclude: set[int]) -> int:
    """Resident bytes of `root` and its descendants, the subtrees in `exclude` left out."""
    children = _children_map()
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        if pid in exclude:
            continue
        total += _rss(pid)
        stack.extend(children.get(pid, ()))
    return total


def _private_rss(pid: int) -> int:
    """Resident bytes of `pid` not shared with other processes (resident minus shared pages):
    a PostgreSQL backend's own memory, without the server's shared buffers it has touched."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            fields = f.read().split()
        return (int(fields[1]) - int(fields[2])) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


class ServerMemory:
    """The private memory of the PostgreSQL processes working for one database (backends and
    parallel workers, found in `pg_stat_activity`), read from /proc: the server is local."""

    def __init__(self, url: str) -> None:
        self.database = urlsplit(url).path.lstrip("/")
        self._con = psycopg2.connect(url)
        self._con.autocommit = True

    def bytes(self) -> int:
        with self._con.cursor() as cur:
            cur.execute("select pid from pg_stat_activity where datname = %s "
                        "and pid <> pg_backend_pid()", [self.database])
            return sum(_private_rss(pid) for (pid,) in cur.fetchall())

    def close(self) -> None:
        self._con.close()


class PeakMemory:
    """Samples `tree_rss` of this process (plus, on PostgreSQL, the server's processes working
    for the benchmark's database) in a thread while a stage runs."""

    def __init__(self, exclude: set[int], server_url: str | None = None) -> None:
        self.exclude = exclude
        self.server_url = server_url
        self.peak = 0
        self.server_peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="bench-rss")

    def _sample(self, server: ServerMemory | None) -> None:
        on_server = server.bytes() if server else 0
        self.server_peak = max(self.server_peak, on_server)
        self.peak = max(self.peak, tree_rss(os.getpid(), self.exclude) + on_server)

    def _run(self) -> None:
        server = ServerMemory(self.server_url) if self.server_url else None
        try:
            self._sample(server)
            while not self._stop.wait(SAMPLE_SECONDS):
                self._sample(server)
            self._sample(server)  # the stage's end state
        finally:
            if server:
                server.close()

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


# ---------------------------------------------------------------------------------- fake CRM

class CRMProcess:
    """`python -m devtools.fake_crm` in a child process, on a free port."""

    def __init__(self, participants: int, now: datetime) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "devtools.fake_crm", "--port", "0", "--participants",
             str(participants), "--seed", str(BENCH_SEED), "--now", now.isoformat(),
             "--token", BENCH_TOKEN],
            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().strip() if self.proc.stdout else ""
        if not line.startswith("http"):
            self.stop()
            raise RuntimeError(f"the fake CRM did not start: {self.proc.stderr.read()[:500]}")
        self.url = line
        self.summary = self.proc.stderr.readline().strip() if self.proc.stderr else ""

    def control(self, action: str, body: dict | None = None) -> dict:
        headers = {"Authorization": f"Bearer {BENCH_TOKEN}"}
        url = f"{self.url}/_control/{action}"
        response = (requests.post(url, json=body or {}, headers=headers, timeout=600)
                    if body is not None else requests.get(url, headers=headers, timeout=60))
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _enrolment_people(crm: CRMProcess) -> list[dict]:
    """What the demo spreadsheet generator needs, read from the CRM API (set-up, untimed)."""
    client = CRMClient(crm.url, BENCH_TOKEN)
    people = []
    try:
        for page in client.pages("enrolments", "updated_since", None):
            for e in page.records:
                people.append({
                    "participant_id": e["participant_id"], "antenna": e["antenna"],
                    "programme": e["programme"],
                    "start_date": date.fromisoformat(e["start_date"]),
                    "end_date": date.fromisoformat(e["end_date"]) if e["end_date"] else None,
                })
    finally:
        client.close()
    return people


def change_crm(crm: CRMProcess, share: float) -> tuple[float, int, int]:
    """Advance the CRM day by day until `share` of its records are new, edited or erased.

    Returns (days advanced, records changed, records served before).
    """
    counts = crm.control("state")["counts"]
    total = sum(v for k, v in counts.items() if k != "deletions")
    changed, days = 0, 0
    while changed < share * total and days < 60:
        summary = crm.control("advance", {"days": 1})
        days += 1
        changed += sum(sum(summary[k].values()) for k in ("new", "updated", "deleted"))
    return days, changed, total


# ---------------------------------------------------------------------------------- stages

def _run_dbt(settings: Settings, target_path: Path, args: list[str]) -> None:
    """dbt as the nightly job's asset runs it: in this process (orchestration/dbt_in_process.py)."""
    os.environ.update(settings.dbt_env())
    resource = in_process_dbt(sea_dbt_project(settings.dbt_target))
    resource.cli([*args, "--quiet"], target_path=target_path).wait()


def _warehouse_rows(settings: Settings, schemas: tuple[str, ...]) -> int:
    """The rows of the tables (views not counted) of `schemas`, as each database estimates
    them cheaply: DuckDB's table sizes, PostgreSQL's live-row statistics."""
    marks = ", ".join(f"'{s}'" for s in schemas)
    with connect(settings.warehouse) as wh:
        if settings.warehouse_is_postgres:
            return int(wh.scalar(
                "select coalesce(sum(n_live_tup), 0) from pg_stat_user_tables "
                f"where schemaname in ({marks})"))
        return int(wh.scalar(
            "select coalesce(sum(estimated_size), 0) from duckdb_tables() "
            f"where schema_name in ({marks})"))


def slowest_nodes(target_path: Path) -> list[tuple[str, float]]:
    """dbt's nodes of its last invocation (run_results.json) and their times, slowest first."""
    path = target_path / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text(encoding="utf-8"))["results"]
    timed = sorted(((r["unique_id"].split(".", 2)[-1], float(r["execution_time"]))
                    for r in results), key=lambda item: -item[1])
    return timed


def run_stages(settings: Settings, target_path: Path, exclude: set[int],
               with_quarterly: bool = False,
               dbt_nodes: list[tuple[str, float]] | None = None) -> list[Stage]:
    """The nightly job's stages (docs/settings.md#schedules: extraction, dbt build, checks, and the
    Plan SEA it keeps up to date), then — `with_quarterly` — one quarter's deliverables, which the
    quarterly reporting job produces (not a night's work: kept out of its end-to-end time)."""
    stages: list[Stage] = []
    quarter = last_complete_quarter(settings.as_of).code
    dbt_nodes = [] if dbt_nodes is None else dbt_nodes

    server = settings.warehouse if settings.warehouse_is_postgres else None
    dbt_nodes.clear()

    def timed(name: str, label: str, work: Callable[[], int]) -> None:
        with PeakMemory(exclude, server) as memory:
            began = time.perf_counter()
            rows = work()
            seconds = time.perf_counter() - began
        stages.append(Stage(name, seconds, rows, label, memory.peak, memory.server_peak))
        print(f"  {name:<12} {seconds:8.1f} s", flush=True)

    def extraction() -> int:
        client = CRMClient(settings.crm_base_url, settings.crm_api_token)
        try:
            with connect(settings.warehouse) as wh:
                report = load_crm(wh, client, overlap=settings.crm_overlap,
                                  concurrency=EXTRACT_CONCURRENCY,
                                  started_at=settings.run_clock())
        finally:
            client.close()
        return sum(r.received for r in report.resources.values())

    def sheets() -> int:
        with connect(settings.warehouse) as wh:
            load_sheets(wh, settings)
            return sum(int(wh.scalar(f"select count(*) from raw.{name}"))
                       for name in SHEET_TABLES if wh.table_exists(f"raw.{name}"))

    def pseudonyms() -> int:
        with connect(settings.warehouse) as wh:
            return rebuild_pseudonyms(wh, settings.pseudonym_key)

    def dbt_build() -> int:
        # What the nightly job's dbt asset runs: in full when the incremental models' inputs
        # changed (here: the first run), else without the unchanged seeds.
        fingerprint = staging_fingerprint(settings)
        with connect(settings.warehouse) as wh:
            rebuild = needs_full_refresh(wh, fingerprint)
        if rebuild:  # a night that rebuilds in full is not the night the benchmark measures
            print("  (dbt build en reconstruction complète : entrepôt vide, ou clé, seeds ou "
                  "SQL des modèles incrémentaux changés)", flush=True)
        _run_dbt(settings, target_path, refresh_args(full_refresh=rebuild, whole_project=True))
        dbt_nodes.extend(slowest_nodes(target_path))
        with connect(settings.warehouse) as wh:
            record_fingerprint(wh, fingerprint)
        return _warehouse_rows(settings, BUILT_SCHEMAS)

    gate_box: list = []

    def checks() -> int:
        gate_box.append(evaluate_gate(settings, quarter))
        return _warehouse_rows(settings, ("raw", *BUILT_SCHEMAS))

    def publication() -> int:
        # What the nightly job's last steps do when the checks pass: publish for readers, then
        # the dashboard from the published state. Timed whatever the checks found (a night
        # whose `error` checks fail withholds both and is that much shorter).
        with connect(settings.warehouse) as wh:
            done = publish(wh, published_sources(), as_of=settings.as_of, run_id="bench",
                           published=settings.published, reader_role=settings.reader_role)
        return len(done.tables)

    def dashboard() -> int:
        return write_dashboard(settings).stat().st_size

    def reports() -> int:
        # What the nightly job delivers: the Plan SEA, rewritten only when the plan changed.
        plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                              k=settings.disclosure_k)
        return int(plan.changed)

    def quarterly() -> int:
        build_quarterly_deliverables(
            settings.warehouse, quarter, as_of=settings.as_of, output_dir=settings.output_dir,
            k=settings.disclosure_k, quality=gate_box[0].quality_summary(),
            learning=learning_inputs(settings), pdf=True, internal_dir=settings.internal_dir)
        with connect(settings.warehouse) as wh:
            return int(wh.scalar("select count(*) from marts.indicator_values"))

    timed("extraction", "records received", extraction)
    timed("sheets", "raw sheet rows", sheets)
    timed("pseudonyms", "pseudonyms", pseudonyms)
    timed("dbt build", "rows built", dbt_build)
    timed("checks", "rows checked", checks)
    timed("publication", "tables published", publication)
    timed("dashboard", "bytes written", dashboard)
    timed("reports", "Plan SEA rewritten", reports)
    if with_quarterly:
        timed(QUARTERLY, "indicator rows", quarterly)
    return stages


# ---------------------------------------------------------------------------------- floor

def marts_models(target_path: Path) -> list[str]:
    """`indicator_values` and the intermediate and mart models behind it: the work the floor
    query does (staging and seeds are its input, not its work)."""
    manifest = json.loads((target_path / "manifest.json").read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    start = next(k for k, n in nodes.items()
                 if n["resource_type"] == "model" and n["name"] == "indicator_values")
    wanted, stack = set(), [start]
    while stack:
        key = stack.pop()
        node = nodes.get(key)
        if key in wanted or node is None or node["resource_type"] != "model":
            continue
        if node["config"].get("schema") not in ("intermediate", "marts"):
            continue
        wanted.add(key)
        stack.extend(node["depends_on"]["nodes"])
    return sorted(nodes[k]["name"] for k in wanted)


def dbt_marts_seconds(settings: Settings, target_path: Path) -> float:
    """dbt's time for the models behind `indicator_values`, rebuilt from scratch on one thread,
    best of two (as the floor's).

    The build runs two threads, so there one model's time also counts the CPU it shared with
    another; rebuilt alone, on one thread and in full (incremental models included), the sum
    of their times is the work itself, comparable with the floor query's.
    """
    args = ["run", "--threads", "1", "--full-refresh",
            "--select", " ".join(marts_models(target_path))]
    sums = []
    for _ in range(2):
        _run_dbt(settings, target_path, args)
        results = json.loads((target_path / "run_results.json").read_text(encoding="utf-8"))
        sums.append(sum(r["execution_time"] for r in results["results"]))
    return min(sums)


def run_floor(settings: Settings) -> tuple[float, int, int]:
    """(best of two timings, floor rows, mismatches against the mart's quarter total rows)."""
    sql = FLOOR_SQL.read_text(encoding="utf-8").replace("{as_of}", settings.as_of.isoformat())
    con = duckdb.connect(settings.warehouse)
    try:
        timings = []
        for _ in range(2):
            con.execute("drop table if exists floor_values")
            began = time.perf_counter()
            con.execute(f"create temp table floor_values as {sql}")
            timings.append(time.perf_counter() - began)
        rows = con.execute("select count(*) from floor_values").fetchone()[0]
        mismatches = con.execute(MISMATCH_SQL).fetchone()[0]
    finally:
        con.close()
    return min(timings), rows, mismatches


# The indicators the floor computes: those of the CRM and the follow-up survey. The catalogue
# has grown since (satisfaction, budget and costs, feedback, milestones…): their mart rows are
# left out of the comparison, not counted as mismatches.
FLOOR_INDICATORS = ("ENT", "ENT_P", "ENT_F", "SOR", "ABD", "SD_SORTIE", "ED_SORTIE", "EMP_SORTIE",
                    "SP_SORTIE", "DELAI_EMPLOI", "SD_6M", "SUIVI_6M", "ACT", "HRS", "EMP_ENG")

# A mart row without a floor row must be the mart's "nothing to compute" row: 0 for counts and
# sums, 0 / 0 for rates, null for the median. Any floor row without a mart row is a mismatch.
MISMATCH_SQL = """
with m as (
    select * from marts.indicator_values where period_type = 'quarter' and dimension = 'total'
      and indicator_code in (""" + ", ".join(f"'{c}'" for c in FLOOR_INDICATORS) + """)
),
pairs as (
    select
        coalesce(m.indicator_code, f.indicator_code) as code, m.indicator_code is null as extra,
        m.value as mv, m.numerator as mn, m.denominator as md,
        coalesce(f.value, case when m.indicator_type in ('count', 'sum') then 0 end) as fv,
        coalesce(f.numerator, case when m.indicator_type = 'rate' then 0 end) as fn,
        coalesce(f.denominator, case when m.indicator_type = 'rate' then 0 end) as fd
    from m
    full join floor_values as f
        on f.indicator_code = m.indicator_code and f.period_start = m.period_start
       and f.programme = m.programme and f.antenna = m.antenna
)
select count(*) from pairs
where extra
   or not coalesce(abs(mv - fv) <= 1e-9 * greatest(1, abs(mv)), mv is null and fv is null)
   or not coalesce(abs(mn - fn) < 1e-9, mn is null and fn is null)
   or not coalesce(abs(md - fd) < 1e-9, md is null and fd is null)
"""


# ---------------------------------------------------------------------------------- dashboard

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
AS_OF_FILLED = ("() => { const e = document.querySelector('#as-of'); "
                "return !!e && !!e.dataset.value && e.textContent.trim() !== '…'; }")
LOADS = 3


def dashboard_load_seconds(path: Path) -> list[tuple[float, float]] | None:
    """(seconds to `#as-of` filled, seconds to every view drawn) of `LOADS` loads of the page
    from `file://`, each in a fresh page of one headless Chromium; None without Chromium."""
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    loads = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            for _ in range(LOADS):
                page = browser.new_page()
                began = time.perf_counter()
                page.goto(path.resolve().as_uri())
                page.wait_for_function(AS_OF_FILLED, timeout=120_000)
                as_of = time.perf_counter() - began
                page.wait_for_selector("body[data-ready='1']", state="attached",
                                       timeout=120_000)
                loads.append((as_of, time.perf_counter() - began))
                page.close()
        finally:
            browser.close()
    return loads


def dashboard_summary(path: Path) -> str:
    """The dashboard's weight and load time, in one French line (or why there is no time)."""
    size = path.stat().st_size
    weight = f"tableau de bord : {size:,} octets ({size / 2**20:.2f} MB)".replace(",", "\u202f")
    loads = dashboard_load_seconds(path)
    if loads is None:
        return (f"{weight} ; temps de chargement non mesuré : {CHROMIUM} absent "
                "(Chromium not installed: apt-get install chromium)")
    first_as_of, first_ready = loads[0]
    best_as_of = min(a for a, _ in loads)
    best_ready = min(r for _, r in loads)
    return (f"{weight} ; chargement dans Chromium sans tête (file://) : date des données "
            f"affichée en {first_as_of:.2f} s, toutes les vues en {first_ready:.2f} s "
            f"(meilleur de {LOADS} : {best_as_of:.2f} s / {best_ready:.2f} s)")


# ---------------------------------------------------------------------------------- report

def code_location_seconds() -> float:
    """Cold start of the Dagster code location (imports + definitions), in a fresh process."""
    code = ("import time; t = time.perf_counter(); "
            "from orchestration.definitions import build_definitions; "
            "from common.settings import load_settings; "
            "build_definitions(load_settings(demo=True)); print(time.perf_counter() - t)")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, env={**os.environ, "SEA_DEMO": "1"})
    try:
        return float(done.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def _mb(n: int) -> str:
    return f"{n / 2**20:,.0f}"


def format_table(title: str, stages: list[Stage], server: bool = False) -> str:
    """One scenario's stages; `server`: a column for the PostgreSQL server's share of the peak
    (its processes' private memory, counted in `peak MB`)."""
    extra = f" {'of it PG':>8}" if server else ""
    lines = [title, f"  {'stage':<12} {'wall s':>8} {'rows':>12} {'rows/s':>10} "
                    f"{'peak MB':>8}{extra}  rows are"]
    quarterly = [s for s in stages if s.name == QUARTERLY]
    stages = [s for s in stages if s.name != QUARTERLY]

    def pg(s: Stage | None) -> str:
        if not server:
            return ""
        peak = s.server_peak_bytes if s else max(s.server_peak_bytes for s in stages)
        return f" {_mb(peak):>8}"

    for s in stages:
        lines.append(f"  {s.name:<12} {s.seconds:8.1f} {s.rows:12,} {s.rows_per_second:10,.0f} "
                     f"{_mb(s.peak_bytes):>8}{pg(s)}  {s.rows_label}")
    total = sum(s.seconds for s in stages)
    rows = stages[0].rows
    lines.append(f"  {'end to end':<12} {total:8.1f} {rows:12,} "
                 f"{rows / total if total else 0:10,.0f} "
                 f"{_mb(max(s.peak_bytes for s in stages)):>8}{pg(None)}  records received")
    for s in quarterly:
        lines.append("  puis le rapport trimestriel (job quarterly_reporting, un trimestre, "
                     f"PDF) : {s.seconds:.1f} s, {_mb(s.peak_bytes)} MB")
    return "\n".join(lines)


def machine() -> str:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        mem = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                   .splitlines() if line.startswith("MemTotal"))
    except (OSError, StopIteration):
        mem = 0
    return f"{os.cpu_count()} CPU ({model}), {mem / 2**20:.0f} GiB RAM"


# ---------------------------------------------------------------------------------- PostgreSQL

BENCH_DATABASE_PREFIX = "sea_bench_"


def database_url(server_url: str, database: str) -> str:
    """`server_url` (any database of the server) pointed at `database` instead, user, password,
    host, port and parameters kept."""
    parts = urlsplit(server_url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{database}", parts.query, parts.fragment))


def _admin(server_url: str, sql: str) -> None:
    con = psycopg2.connect(server_url, connect_timeout=10)
    con.autocommit = True  # CREATE / DROP DATABASE cannot run in a transaction
    try:
        with con.cursor() as cur:
            cur.execute(sql)
    finally:
        con.close()


@contextmanager
def throwaway_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server `server_url` connects to, for one benchmark; yields
    its URL and drops it afterwards however the benchmark ends (failure, Ctrl-C, SIGTERM turned
    into KeyboardInterrupt by `main`), closing any connection still open on it (`force`).

    The name is random (`sea_bench_<hex>`): two benchmarks, or a benchmark and the tests, can
    share a server. The reader role the publication creates is the server's, not the
    database's: it stays, as it would for a real warehouse (its per-database settings and grants
    go with the database)."""
    name = f"{BENCH_DATABASE_PREFIX}{uuid.uuid4().hex[:10]}"
    _admin(server_url, f"create database {name}")
    try:
        yield database_url(server_url, name)
    finally:
        _admin(server_url, f"drop database if exists {name} with (force)")


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def warehouse_name(settings: Settings) -> str:
    """The warehouse, named for the printout (password masked)."""
    if not settings.warehouse_is_postgres:
        return f"DuckDB {duckdb.__version__} (fichier jetable)"
    with connect(settings.warehouse) as wh:
        version = wh.scalar("show server_version").split()[0]
        config = ", ".join(f"{name} {wh.scalar(f'show {name}')}" for name in (
            "shared_buffers", "work_mem", "max_parallel_workers_per_gather"))
    return f"PostgreSQL {version} (base jetable {settings.warehouse_display} ; {config})"


# ---------------------------------------------------------------------------------- run

@contextmanager
def _workspace() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="sea-bench-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_benchmark(base: Settings, n: int, server_url: str = "") -> int:
    """The benchmark on DuckDB, or — `server_url` — on a throw-away database of that
    PostgreSQL server."""
    if not server_url:
        return _run_benchmark(base, n, "")
    with throwaway_database(server_url) as url:
        return _run_benchmark(base, n, url)


def _run_benchmark(base: Settings, n: int, pg_url: str) -> int:
    print(f"sea bench : {n:,} participants — {machine()}", flush=True)
    began = time.perf_counter()
    crm = CRMProcess(n, CRM_NOW)
    try:
        print(f"  CRM fictif prêt en {time.perf_counter() - began:.0f} s : {crm.summary}")
        with _workspace() as work:
            settings = dataclasses.replace(
                base, crm_base_url=crm.url, crm_api_token=BENCH_TOKEN,
                sheets_dir=work / "sheets",
                warehouse=pg_url or str(work / "warehouse.duckdb"),
                published="" if pg_url else str(work / "published.duckdb"),
                internal_dir=work / "interne",
                output_dir=work / "reports", dagster_home=work / "dagster_home",
                as_of=CRM_NOW.date(), as_of_is_pinned=True)
            write_demo_spreadsheets(settings.sheets_dir,
                                    _enrolment_people(crm)[:SHEET_ENROLMENTS],
                                    as_of=settings.as_of)
            target = work / "dbt_target"
            target.mkdir()
            prepared = DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
            if prepared.exists():  # the manifest `make setup` prepared, as Dagster reuses it
                shutil.copy(prepared, target / prepared.name)
            exclude = {crm.proc.pid}
            store = warehouse_name(settings)
            print(f"  entrepôt : {store}", flush=True)

            print("1. actualisation complète (entrepôt vide)", flush=True)
            full_nodes: list[tuple[str, float]] = []
            full = run_stages(settings, target, exclude, with_quarterly=True,
                              dbt_nodes=full_nodes)
            board = dashboard_summary(dashboard_path(settings))
            if settings.warehouse_is_postgres:  # the floor is DuckDB SQL (module docstring)
                marts_s = floor_s = 0.0
                floor_rows = mismatches = 0
            else:
                marts_s = dbt_marts_seconds(settings, target)
                floor_s, floor_rows, mismatches = run_floor(settings)

            days, changed, total = change_crm(crm, CHANGE_SHARE)
            nightly_settings = dataclasses.replace(
                settings, as_of=settings.as_of + timedelta(days=days))
            print(f"2. nuit après {changed:,} changements ({changed / total:.2%} de {total:,} "
                  f"enregistrements, {days} jour(s) de CRM)", flush=True)
            night_nodes: list[tuple[str, float]] = []
            nightly = run_stages(nightly_settings, target, exclude, dbt_nodes=night_nodes)
            print("3. actualisation sans changement", flush=True)
            unchanged = run_stages(nightly_settings, target, exclude)
    finally:
        crm.stop()

    print()
    print(f"entrepôt : {store}")
    pg = settings.warehouse_is_postgres
    print(format_table("1. actualisation complète depuis un entrepôt vide", full, pg))
    print(format_table(f"2. nuit après {changed / total:.2%} de changements", nightly, pg))
    print(format_table("3. rien de changé", unchanged, pg))
    full_s = sum(s.seconds for s in full if s.name != QUARTERLY)
    nightly_s = sum(s.seconds for s in nightly)
    print()
    target = NIGHT_SHARE_TARGET["postgresql" if settings.warehouse_is_postgres else "duckdb"]
    print(f"nuit / complète : {nightly_s / full_s:.0%} "
          f"({nightly_s:.1f} s / {full_s:.1f} s ; cible < {target:.0%})")
    if settings.warehouse_is_postgres:
        print("plancher SQL : non mesuré sur PostgreSQL (bench_floor.sql est écrit pour DuckDB)")
    else:
        print(f"plancher SQL (bench_floor.sql, DuckDB, meilleur de 2) : {floor_s:.2f} s, "
              f"{floor_rows:,} lignes, {mismatches} écart(s) avec marts.indicator_values "
              f"(trimestres, total, ses {len(FLOOR_INDICATORS)} indicateurs)")
        print(f"modèles dbt derrière indicator_values (intermediate + marts, reconstruits "
              f"seuls, 1 thread, meilleur de 2) : {marts_s:.2f} s ; "
              f"ratio dbt / plancher : {marts_s / floor_s:.1f}× (cible ≤ 3×)")
    for title, nodes in (("actualisation complète", full_nodes), ("nuit", night_nodes)):
        print(f"dbt ({title}) : {len(nodes)} nœuds, {sum(t for _, t in nodes):.1f} s cumulées "
              "sur 2 threads ; les plus longs : "
              + " ; ".join(f"{name} {seconds:.1f} s" for name, seconds in nodes[:5]))
    print(board)
    print(f"chargement de l'emplacement de code Dagster (processus neuf) : "
          f"{code_location_seconds():.1f} s")
    return 0 if mismatches == 0 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.benchmark")
    parser.add_argument("--participants", type=int, default=10_000,
                        help="the fake CRM's size (make bench BENCH_PARTICIPANTS=…)")
    parser.add_argument("--warehouse", default="",
                        help="empty or 'duckdb': a throw-away DuckDB file; postgresql://…: a "
                             "throw-away database on that server (make bench BENCH_WAREHOUSE=…)")
    args = parser.parse_args(argv)
    if args.participants < 1:
        print("sea: --participants invalide : attendu un nombre entier >= 1", file=sys.stderr)
        return 2
    server_url = args.warehouse.strip()
    if server_url.lower() == "duckdb":
        server_url = ""
    if server_url and not is_postgres_url(server_url):
        print("sea: BENCH_WAREHOUSE invalide : attendu vide, duckdb ou une URL "
              "postgresql://utilisateur@hote[:port]/base (le serveur où créer une base jetable)",
              file=sys.stderr)
        return 2
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"sea: erreur de configuration : {exc}", file=sys.stderr)
        return 2
    # SIGTERM (a killed `make`, a CI timeout) unwinds like Ctrl-C, so the throw-away database
    # is dropped on the way out.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return run_benchmark(settings, args.participants, server_url)
    except KeyboardInterrupt:
        print("sea: benchmark interrompu", file=sys.stderr)
        return 130
    except psycopg2.OperationalError as exc:
        print(f"sea: serveur PostgreSQL injoignable ({exc})".strip(), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
