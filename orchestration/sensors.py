"""The shared-folder sensor: a spreadsheet dropped or saved in `SHEETS_DIR` is read within
minutes, with everything that depends on it (dbt models, their checks, the publication for
readers, the dashboard), instead of waiting for the night — and without calling the CRM, whose
extraction is left to the nightly refresh (docs/operations.md#sensors).

Stability. A file being copied or saved is seen several times with a growing size or a moving
modification time; reading it then would quarantine half a workbook. A file is picked up only
when two consecutive ticks (at least `TICK_SECONDS` apart) saw it with the same fingerprint —
size, modification time and status-change time (`st_ctime`, nanoseconds): a copy that stalls for
less than a tick is waited for, and nothing depends on the clocks of the file server and of this
machine agreeing (a minimum age would). The status-change time is there because copying tools
(Windows Explorer, `cp -p`, robocopy) keep the source's modification time: a corrected workbook
copied over the old one may carry an old date, never an old `st_ctime`. Office lock files
(`~$x.xlsx`, `.~lock.x.ods#`) and hidden files are never data, as for the loader
(connectors/sheets/reader.py); neither are files the loader does not read (by extension). A
deleted file is a change too (the loader rebuilds raw from the files present), stable at once.

Cursor: JSON `{"seen": {path: fingerprint}, "pending": {path: fingerprint}}` —
`seen`, the folder as the last requested run (or the last read) found it; `pending`, what the
previous tick saw of the files that differ from `seen`. The first tick takes as seen the files
neither modified nor copied since the spreadsheets were last read (their latest
materialisation), so a new sensor does not re-read a folder the night has just read.

Concurrency. Every run the daemon launches holds the warehouse's refresh lock for its whole
duration (orchestration/locked_executor.py); a second refresh is refused before its first step,
never interleaved. The sensor does not request a run while another writing run is queued or in
progress (nightly, a previous spreadsheet run, a run from the UI, `make refresh` recording its
run): the change stays in the cursor as stable and is requested at the first tick after that run
ends. Before the first CRM extraction the spreadsheets cannot be read (their participants are
checked against the CRM's), so the sensor waits for it too. And it leaves the folder to the
nightly refresh when that is due within `NIGHT_GUARD_MINUTES` (`NIGHTLY_CRON`): a spreadsheet
run still holding the lock at that time would make the night's refresh refuse to start, losing
its CRM extraction.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dagster import (
    AssetKey,
    AssetSelection,
    DagsterInstance,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    SensorDefinition,
    SensorEvaluationContext,
    SensorResult,
    define_asset_job,
    sensor,
)
from dagster._core.definitions.unresolved_asset_job_definition import (
    UnresolvedAssetJobDefinition,
)
from dagster._core.storage.dagster_run import NOT_FINISHED_STATUSES
from dagster._utils.schedules import cron_string_iterator

from common.settings import Settings
from connectors.sheets.reader import SUPPORTED_SUFFIXES
from orchestration.assets.raw_sheets import sheets_load
from orchestration.locked_executor import READ_ONLY_JOBS

SENSOR_NAME = "sheets_folder_sensor"
SHEETS_JOB = "sheets_refresh"
TICK_SECONDS = 60
CHANGED_TAG = "sea/tableurs"  # the files a run was requested for, as the run list shows them
MAX_TAG_CHARS = 200
STALE_RUN_HOURS = 12  # a writing run older than this is taken as dead (`writing_runs`)
# The spreadsheets are matched against the CRM's participants: nothing to do before it is read.
CRM_PARTICIPANTS = AssetKey(["raw", "crm_participants"])
SHEETS_READ = AssetKey(["raw", "sheet_files"])

NIGHT_GUARD_MINUTES = 20  # a spreadsheet run takes minutes; the night reads the folder anyway

Fingerprint = tuple[int, int, int]  # (size in bytes, mtime in ns, status-change time in ns)


def sheets_selection(nightly: AssetSelection) -> AssetSelection:
    """The spreadsheet assets and everything downstream of them that the nightly job builds
    (its quarterly deliverables excluded the same way): never the CRM extraction, which is
    upstream of the spreadsheets, not downstream."""
    return AssetSelection.assets(sheets_load).downstream() & nightly


def build_sheets_job(nightly: AssetSelection) -> UnresolvedAssetJobDefinition:
    return define_asset_job(
        SHEETS_JOB, selection=sheets_selection(nightly),
        description=("Relecture des tableurs partagés après un dépôt ou une modification dans "
                     "SHEETS_DIR, puis tout ce qui en dépend (modèles dbt, contrôles qualité, "
                     "publication pour les lecteurs si aucun contrôle « erreur » n'a échoué) ; "
                     "sans extraction du CRM."))


# ---------------------------------------------------------------------------------------------
# What is in the folder


def is_data_file(name: str) -> bool:
    """A file the loader reads: not a lock or hidden file, an extension it supports. Editors'
    temporary files (`~WRL0001.tmp`, `x.xlsx.part`) fail the extension test."""
    return not name.startswith(("~$", ".")) and Path(name).suffix.lower() in SUPPORTED_SUFFIXES


def scan_folder(root: Path) -> dict[str, Fingerprint]:
    """Relative path → (size, mtime_ns) of every data file under `root`, as the loader walks it
    (hidden folders skipped). A file that vanishes mid-scan is simply not listed."""
    found: dict[str, Fingerprint] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(("~$", "."))]
        for name in files:
            if not is_data_file(name):
                continue
            path = Path(folder) / name
            try:
                stat = path.stat()
            except OSError:
                continue
            found[path.relative_to(root).as_posix()] = (stat.st_size, stat.st_mtime_ns,
                                                         stat.st_ctime_ns)
    return found


# ---------------------------------------------------------------------------------------------
# The cursor and the decision


@dataclass(frozen=True)
class FolderState:
    """The sensor's cursor: `seen` (the folder as last read or requested) and `pending` (files
    differing from it, as the previous tick saw them)."""

    seen: Mapping[str, Fingerprint] = field(default_factory=dict)
    pending: Mapping[str, Fingerprint] = field(default_factory=dict)

    def to_cursor(self) -> str:
        return json.dumps({"seen": {k: list(v) for k, v in sorted(self.seen.items())},
                           "pending": {k: list(v) for k, v in sorted(self.pending.items())}},
                          separators=(",", ":"))

    @staticmethod
    def from_cursor(cursor: str) -> FolderState:
        data = json.loads(cursor)
        return FolderState(seen={k: _fingerprint(v) for k, v in data.get("seen", {}).items()},
                           pending={k: _fingerprint(v)
                                    for k, v in data.get("pending", {}).items()})


def _fingerprint(values: list) -> Fingerprint:
    size, mtime, ctime = (int(v) for v in values)
    return size, mtime, ctime


@dataclass(frozen=True)
class Decision:
    """One tick's comparison of the folder with the cursor."""

    changed: tuple[str, ...]  # stable: added, modified or deleted since `seen`
    settling: tuple[str, ...]  # differing from `seen`, not yet seen twice alike
    if_requested: FolderState  # the cursor after a run is requested for `changed`
    if_deferred: FolderState  # the cursor when it is not (yet): `changed` stays ready


def decide(state: FolderState, scan: Mapping[str, Fingerprint]) -> Decision:
    """Compare the folder with the cursor: a file differing from `seen` is ready when the
    previous tick saw it exactly as now; a deleted file is ready at once."""
    ready: dict[str, Fingerprint] = {}
    settling: dict[str, Fingerprint] = {}
    for name, fingerprint in scan.items():
        if state.seen.get(name) == fingerprint:
            continue
        (ready if state.pending.get(name) == fingerprint else settling)[name] = fingerprint
    deleted = [name for name in state.seen if name not in scan]
    seen = {k: v for k, v in state.seen.items() if k not in deleted}
    seen.update(ready)
    return Decision(
        changed=tuple(sorted([*ready, *deleted])),
        settling=tuple(sorted(settling)),
        if_requested=FolderState(seen=seen, pending=settling),
        if_deferred=FolderState(seen=state.seen, pending={**ready, **settling}),
    )


def first_state(scan: Mapping[str, Fingerprint], last_read: float | None) -> FolderState:
    """The cursor of a sensor's first tick: the files neither modified nor copied since the
    spreadsheets were last read (`last_read`, a POSIX timestamp) are taken as seen; the others
    wait to settle."""
    if last_read is None:
        return FolderState()
    limit_ns = int(last_read * 1_000_000_000)
    return FolderState(seen={k: v for k, v in scan.items() if max(v[1], v[2]) <= limit_ns})


def nightly_due_within(settings: Settings, now: float, minutes: int = NIGHT_GUARD_MINUTES
                       ) -> datetime | None:
    """The next nightly refresh (Paris time) when it starts within `minutes` of `now`."""
    due = next(cron_string_iterator(now, settings.nightly_cron, "Europe/Paris"))
    return due if due.timestamp() - now <= minutes * 60 else None


# ---------------------------------------------------------------------------------------------
# What may run now


def writing_runs(instance: DagsterInstance) -> list[str]:
    """Runs queued or in progress that take the warehouse's refresh lock (every job but the
    read-only ones, orchestration/locked_executor.py): `job (run id)`, for the skip reason.

    Only runs created in the last `STALE_RUN_HOURS`: a command killed with `kill -9` leaves its
    run "started" in the history for ever, and must not hold the folder back for ever (a run
    really that long would refuse the spreadsheet run at its lock, without harm)."""
    since = datetime.now(UTC) - timedelta(hours=STALE_RUN_HOURS)
    runs = instance.get_runs(RunsFilter(statuses=NOT_FINISHED_STATUSES, created_after=since),
                             limit=20)
    return [f"{run.job_name} ({run.run_id[:8]})" for run in runs
            if run.job_name not in READ_ONLY_JOBS]


def _last_materialised(instance: DagsterInstance, key: AssetKey) -> float | None:
    event = instance.get_latest_materialization_event(key)
    return event.timestamp if event is not None else None


def _listed(names: tuple[str, ...]) -> str:
    text = ", ".join(names)
    return text if len(text) <= MAX_TAG_CHARS else text[:MAX_TAG_CHARS - 1] + "…"


def evaluate_folder(settings: Settings, instance: DagsterInstance, cursor: str | None,
                    now: float | None = None) -> SensorResult:
    """One tick of the sensor (its body, callable with any instance and clock): a run request
    for the stable changes, or the reason there is none; the new cursor either way."""
    folder = settings.sheets_dir
    if not folder.is_dir():
        return SensorResult(skip_reason=f"Dossier des tableurs introuvable : {folder} "
                            "(SHEETS_DIR).", cursor=cursor)
    scan = scan_folder(folder)
    state = (FolderState.from_cursor(cursor) if cursor
             else first_state(scan, _last_materialised(instance, SHEETS_READ)))
    decision = decide(state, scan)
    waiting = (f" ; {len(decision.settling)} fichier(s) en cours d'écriture, relus au prochain "
               f"passage s'ils n'ont plus changé : {_listed(decision.settling)}"
               if decision.settling else "")
    if not decision.changed:
        return SensorResult(skip_reason="Aucun tableur nouveau ou modifié" + waiting + ".",
                            cursor=decision.if_requested.to_cursor())
    changed = f"{len(decision.changed)} tableur(s) nouveau(x), modifié(s) ou retiré(s)"
    if _last_materialised(instance, CRM_PARTICIPANTS) is None:
        return SensorResult(
            skip_reason=(f"{changed}, en attente de la première extraction du CRM (les "
                         "tableurs sont rapprochés de ses participants)" + waiting + "."),
            cursor=decision.if_deferred.to_cursor())
    if night := nightly_due_within(settings, time.time() if now is None else now):
        return SensorResult(
            skip_reason=(f"{changed}, lu(s) par l'actualisation nocturne de "
                         f"{night:%H:%M} (NIGHTLY_CRON), toute proche" + waiting + "."),
            cursor=decision.if_deferred.to_cursor())
    if busy := writing_runs(instance):
        return SensorResult(
            skip_reason=(f"{changed}, relu(s) après la fin de l'exécution en cours "
                         f"({', '.join(busy)}) qui tient l'entrepôt" + waiting + "."),
            cursor=decision.if_deferred.to_cursor())
    after = decision.if_requested
    run_key = hashlib.sha256(json.dumps(sorted(after.seen.items())).encode()).hexdigest()[:16]
    return SensorResult(
        run_requests=[RunRequest(run_key=run_key,
                                 tags={CHANGED_TAG: _listed(decision.changed)})],
        cursor=after.to_cursor())


def build_sheets_sensor(settings: Settings, job: UnresolvedAssetJobDefinition
                        ) -> SensorDefinition:
    """The shared folder's sensor, running by default with the daemon (`make ui`)."""

    @sensor(name=SENSOR_NAME, job=job, minimum_interval_seconds=TICK_SECONDS,
            default_status=DefaultSensorStatus.RUNNING,
            description=("Surveille le dossier partagé des tableurs (SHEETS_DIR) : un fichier "
                         "déposé, modifié ou retiré est relu, avec ce qui en dépend, quelques "
                         "minutes après — une fois sa taille et sa date inchangées d'un passage "
                         "à l'autre (fichier en cours de copie ou d'enregistrement attendu ; "
                         "fichiers de verrou ~$… ignorés) ; le CRM n'est pas interrogé."))
    def sheets_folder_sensor(context: SensorEvaluationContext) -> SensorResult:
        return evaluate_folder(settings, context.instance, context.cursor)

    return sheets_folder_sensor
