"""`dbt build` inside the Dagster run's own process, its results streamed as Dagster events.

Why: dagster-dbt starts a `dbt` subprocess for every invocation. That process starts Python and
imports dbt again before it reads a single model: seconds on a 2-core machine, paid by every
night, every asset run from the UI and every test run — while the run's own process has already
imported dbt (dagster-dbt loads it to read the manifest and open its adapter handle). dbt's
programmatic entry point, `dbtRunner`, runs the same command here. The events it hands to a
callback are the ones the CLI prints as JSON lines, so dagster-dbt turns them into the same
materialisations and asset checks as from a subprocess, and the run folder (manifest,
`run_results.json`, `dbt.log`, compiled SQL) is written as before.

dbt writes `manifest.json` (several megabytes of JSON) twice per command that runs nodes —
after parsing and again at the end — about a second of a night's build during which no model
runs. Those commands run with `--no-write-json`; this module writes `run_results.json` from the
result dbt returns and puts in the run folder the manifest the code location was built from
(`make setup` prepares it; the node SQL dbt compiled is in the folder's `compiled/` and `run/`).

dbt runs in a worker thread so that each model's materialisation reaches the UI as soon as dbt
finishes it, as with the subprocess. The thread is a daemon: if the run is terminated, the
process ends and dbt with it, like the subprocess dagster-dbt would interrupt; the warehouse
keeps its last committed state either way.
"""

from __future__ import annotations

import os
import queue
import shutil
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dagster import AssetExecutionContext
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject
from dagster_dbt.asset_utils import (
    DBT_INDIRECT_SELECTION_ENV,
    extract_runtime_selection_from_args,
    get_updated_cli_invocation_params_for_context,
)
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt_common.events.base_types import EventLevel, EventMsg
from dbt_common.events.event_manager import EventManager
from dbt_common.events.event_manager_client import ctx_set_event_manager, get_event_manager
from dbt_common.events.functions import msg_to_dict
from dbt_common.exceptions import env_secrets, scrub_secrets

from common.gc_pause import cyclic_gc_paused

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunnerResult

# The events dagster-dbt turns into Dagster events: one per seed, model, snapshot and test.
RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult",
                           "LogTestResult"})
_DONE = object()
PARTIAL_PARSE = "partial_parse.msgpack"
MANIFEST = "manifest.json"
RUN_RESULTS = "run_results.json"
# Commands that run nodes: dbt's own artifacts are replaced by `_write_artifacts`.
NODE_COMMANDS = frozenset({"build", "run", "test", "seed", "snapshot"})
FILE_LOG_LEVEL = "info"  # the run folder's dbt.log; debug events are not even built


class _InfoEventManager(EventManager):
    """dbt's event manager, except that an event below every logger's level is not built.

    dbt turns each event into a protobuf message (a pure-Python conversion) before any logger
    looks at its level, and a node fires a dozen debug events (its SQL, cache and connection
    steps): a quarter of dbt's own time per node, on the GIL both dbt threads share. The run
    folder's `dbt.log` is written at `info` (FILE_LOG_LEVEL: each node's start, result and
    timing, the errors; its SQL is in the folder's `run/` files), so debug events have no
    reader: the callback of this module only wants results and errors. A command asked for
    `--log-level-file debug` (or `--debug`) gets every event, as from dbt's own manager.
    """

    def fire_event(self, e: Any, level: EventLevel | None = None, node: Any = None,
                   force_warn_or_error_handling: bool = False) -> None:
        if (level or e.level_tag()) == EventLevel.DEBUG and not any(
                logger.level == EventLevel.DEBUG for logger in self.loggers):
            return
        super().fire_event(e, level=level, node=node,
                           force_warn_or_error_handling=force_warn_or_error_handling)


class DbtBuildFailed(RuntimeError):
    """dbt finished with an error or a failing test; the message names the nodes and why."""


@dataclass
class InProcessDbtInvocation:
    """One dbt command running in this process; iterate `stream()` to run it to the end."""

    args: list[str]
    manifest: Mapping[str, Any]
    translator: DagsterDbtTranslator
    context: AssetExecutionContext | None
    target_path: Path
    project: DbtProject | None
    raise_on_error: bool = True
    prepared_manifest: Path | None = None  # copied into the run folder (`--no-write-json`)
    result: dbtRunnerResult | None = field(default=None, init=False)
    errors: list[str] = field(default_factory=list, init=False)

    def stream(self) -> Iterator[Any]:
        """Run dbt and yield the Dagster events of each node as dbt finishes it."""
        for raw in self._results():
            event = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={})
            yield from event.to_default_asset_events(
                manifest=self.manifest, dagster_dbt_translator=self.translator,
                context=self.context, target_path=self.target_path, project=self.project)

    def wait(self) -> InProcessDbtInvocation:
        """Run dbt to the end without Dagster (the benchmark, the command line)."""
        for _ in self._results():
            pass
        return self

    def _results(self) -> Iterator[dict[str, Any]]:
        """Run dbt in a worker thread; yield each node's result event (a JSON log line's dict)."""
        events: queue.SimpleQueue = queue.SimpleQueue()

        secrets = env_secrets()  # dbt hands callbacks its events unscrubbed

        def on_event(msg: EventMsg) -> None:
            # Called by dbt for every log event, from its threads: keep it cheap.
            if msg.info.name in RESULT_EVENTS or msg.info.level == EventLevel.ERROR:
                events.put(_scrubbed(msg_to_dict(msg), secrets))

        # Imported here: loading the code location (the UI, every run) does not need dbt's CLI.
        from dbt.cli.main import dbtRunner, dbtRunnerResult

        if not isinstance(get_event_manager(), _InfoEventManager):
            ctx_set_event_manager(_InfoEventManager())

        def invoke() -> None:
            try:
                self.result = dbtRunner(callbacks=[on_event]).invoke(self.args)
                self._write_artifacts()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                self.result = dbtRunnerResult(success=False, exception=exc)
            finally:
                release_duckdb()
                events.put(_DONE)

        # dbt builds objects for every node (contexts, templates, events) that live until the
        # node ends; each full collection meanwhile walks the run process's whole heap (dbt,
        # Dagster, pandas, DuckDB: several hundred thousand objects) and frees next to nothing.
        # Paused for the command: a shorter build for a little more memory at its peak
        # (common/gc_pause.py; figures in docs/performance.md).
        with cyclic_gc_paused():
            worker = threading.Thread(target=invoke, name="dbt", daemon=True)
            worker.start()
            while (raw := events.get()) is not _DONE:
                if raw["info"]["level"] == "error":
                    self.errors.append(raw["info"]["msg"])
                if raw["info"]["name"] in RESULT_EVENTS:
                    yield raw
            worker.join()
        if self.raise_on_error and not self.is_successful():
            raise DbtBuildFailed(self.failure_message())

    def _write_artifacts(self) -> None:
        """`run_results.json` and `manifest.json` in the run folder, when dbt was told not to
        write them (`--no-write-json`, module docstring)."""
        from dbt.contracts.results import RunExecutionResult

        if "--no-write-json" not in self.args or self.result is None:
            return
        if isinstance(self.result.result, RunExecutionResult):
            self.result.result.write(str(self.target_path / RUN_RESULTS))
        if self.prepared_manifest is not None and self.prepared_manifest.exists():
            shutil.copyfile(self.prepared_manifest, self.target_path / MANIFEST)

    def is_successful(self) -> bool:
        return self.result is not None and self.result.success

    def failure_message(self) -> str:
        lines = [f"dbt {self.args[0]} a échoué (dossier d'exécution : {self.target_path})."]
        if self.result is not None and self.result.exception is not None:
            text = scrub_secrets(str(self.result.exception), env_secrets())
            lines.append(f"- {type(self.result.exception).__name__}: {text}")
        lines.extend(f"- {message}" for message in self.errors[:20])
        return "\n".join(lines)


def _scrubbed(value: Any, secrets: list[str]) -> Any:
    """`value` with every `DBT_ENV_SECRET_*` value masked in its strings, as dbt's own logs do."""
    if not secrets:
        return value
    if isinstance(value, str):
        return scrub_secrets(value, secrets)
    if isinstance(value, dict):
        return {k: _scrubbed(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(v, secrets) for v in value]
    return value


def release_duckdb() -> None:
    """Close the DuckDB database dbt-duckdb keeps open after a command.

    dbt-duckdb holds its database in a class attribute until the process exits: a subprocess
    let go of the file when it ended, this process would keep it (locked against other
    processes, its memory held, and stale if the file were replaced). Closed after each command.
    """
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:  # only the PostgreSQL adapter is installed
        return
    with DuckDBConnectionManager._LOCK:
        environment = DuckDBConnectionManager._ENV
        DuckDBConnectionManager._ENV = None
        if environment is not None:
            environment.close()


class InProcessDbtResource(DbtCliResource):
    """dagster-dbt's resource, running dbt with `dbtRunner` in this process (module docstring).

    Selection and run folders are dagster-dbt's own: a run of a few assets chosen in the UI
    selects the same dbt nodes as with the CLI. Its `dbt --version` subprocess, run by the
    parent's `cli`, is not needed: the dbt that runs is this process's.
    """

    def cli(self, args: Sequence[str], *, raise_on_error: bool = True,
            manifest: Mapping[str, Any] | None = None,
            dagster_dbt_translator: DagsterDbtTranslator | None = None,
            context: AssetExecutionContext | None = None,
            target_path: Path | None = None) -> InProcessDbtInvocation:  # type: ignore[override]
        cleaned, selects, excludes = extract_runtime_selection_from_args(args)
        params = get_updated_cli_invocation_params_for_context(
            context=context, manifest=manifest or {},
            dagster_dbt_translator=dagster_dbt_translator or DagsterDbtTranslator(),
            runtime_selects=selects, runtime_excludes=excludes)
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project
                           else self.project_dir)
        target_path = target_path or self._get_unique_target_path(context=context)
        if not target_path.is_absolute():
            target_path = project_dir / target_path
        self._seed_partial_parse(project_dir, target_path)
        full_args = [
            *cleaned, *params.selection_args,
            "--project-dir", str(project_dir), "--target-path", str(target_path),
            "--log-path", str(target_path), "--no-send-anonymous-usage-stats",
            "--no-use-colors",  # messages kept for the UI without terminal colour codes
        ]
        if cleaned and cleaned[0] in NODE_COMMANDS and "--write-json" not in cleaned:
            full_args.append("--no-write-json")  # this module writes them (module docstring)
        if "--log-level-file" not in cleaned:
            full_args += ["--log-level-file", FILE_LOG_LEVEL]  # see _InfoEventManager
        if self.profiles_dir:
            full_args += ["--profiles-dir", str(self.profiles_dir)]
        if self.profile:
            full_args += ["--profile", self.profile]
        if self.target:
            full_args += ["--target", self.target]
        # dagster-dbt passes the test selection of an asset-check run through the environment.
        indirect = params.indirect_selection or os.environ.get(DBT_INDIRECT_SELECTION_ENV)
        if indirect:
            full_args += ["--indirect-selection", indirect]
        return InProcessDbtInvocation(
            args=full_args, manifest=params.manifest, translator=params.dagster_dbt_translator,
            context=context, target_path=target_path, project=params.dbt_project,
            raise_on_error=raise_on_error,
            prepared_manifest=project_dir / "target" / MANIFEST)

    @staticmethod
    def _seed_partial_parse(project_dir: Path, target_path: Path) -> None:
        """Start the run folder from the kept parse state, so dbt parses only what changed."""
        kept = project_dir / "target" / PARTIAL_PARSE
        seeded = target_path / PARTIAL_PARSE
        if kept.exists() and not seeded.exists():
            target_path.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(kept, seeded)


def in_process_dbt(project: DbtProject) -> InProcessDbtResource:
    # dagster-dbt checks that its `dbt` executable exists; here dbt runs in this interpreter.
    return InProcessDbtResource(project_dir=project, dbt_executable=sys.executable)
