"""One CRM extraction run: every resource, then the deletions feed, recorded in `raw.crm_loads`."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta

from common.warehouse import DuckDBWarehouse, Warehouse
from connectors.crm.client import CRMClient
from connectors.crm.erasure import ErasureReport, apply_deletions
from connectors.crm.extract import ErasedIndex, LoadRun, ResourceReport, extract_resource
from connectors.crm.raw_tables import ensure_raw_crm_tables
from connectors.crm.schema import RESOURCE_ORDER
from connectors.run_lock import holds_refresh_lock


@dataclass
class CRMLoadReport:
    load_id: str
    resources: dict[str, ResourceReport] = field(default_factory=dict)
    erasure: ErasureReport = field(default_factory=ErasureReport)

    def as_dict(self) -> dict:
        return {
            "load_id": self.load_id,
            "resources": {k: asdict(v) for k, v in self.resources.items()},
            "erasure": asdict(self.erasure),
        }


INTERRUPTED_SUMMARY = ("interrompue : le processus de cette extraction s'est arrêté avant sa fin "
                       "(arrêt brutal ou panne) ; une ressource non terminée n'a rien écrit et "
                       "l'extraction suivante la reprend à son dernier filigrane")


def _lock_target(wh: Warehouse) -> str:
    """The `SEA_WAREHOUSE` value `wh` was opened with, as the run lock names warehouses."""
    return str(wh.path) if isinstance(wh, DuckDBWarehouse) else wh._url  # type: ignore[attr-defined]


def close_interrupted_loads(wh: Warehouse) -> int:
    """Mark `interrupted` the loads still `running` from a run that died; returns their count.

    Only a holder of the warehouse's refresh lock may do it: then no live run can own them. A
    caller without the lock (a test or tool calling the loader directly) leaves them as they are.
    """
    if not holds_refresh_lock(_lock_target(wh)):
        return 0
    stale = int(wh.scalar("select count(*) from raw.crm_loads where status = 'running'"))
    if stale:
        wh.execute("update raw.crm_loads set finished_at = ?, status = 'interrupted', "
                   "summary = ? where status = 'running'",
                   [datetime.now(UTC).replace(tzinfo=None), INTERRUPTED_SUMMARY])
    return stale


def start_run(wh: Warehouse, started_at: datetime | None = None) -> LoadRun:
    """Record a new load; `started_at` (naive UTC) defaults to now (see `load_crm`)."""
    ensure_raw_crm_tables(wh)
    close_interrupted_loads(wh)
    seq = int(wh.scalar("select coalesce(max(_load_seq), 0) + 1 from raw.crm_loads"))
    run = LoadRun(load_seq=seq, load_id=uuid.uuid4().hex[:12],
                  loaded_at=started_at or datetime.now(UTC).replace(tzinfo=None))
    wh.execute("insert into raw.crm_loads values (?, ?, ?, null, 'running', null)",
               [run.load_seq, run.load_id, run.loaded_at])
    return run


def _finish(wh: Warehouse, run: LoadRun, status: str, summary: dict | str) -> None:
    wh.execute(
        "update raw.crm_loads set finished_at = ?, status = ?, summary = ? where _load_id = ?",
        [datetime.now(UTC).replace(tzinfo=None), status,
         json.dumps(summary, default=str) if isinstance(summary, dict) else summary,
         run.load_id],
    )


def _extract_in_thread(wh: Warehouse, client: CRMClient, resource: str, overlap: timedelta,
                       run: LoadRun, erased: ErasedIndex) -> tuple[ResourceReport, int]:
    """One resource on its own connection and HTTP session, so resources overlap in time."""
    own_wh, own_client = wh.reopen(), client.clone()
    try:
        report = extract_resource(own_wh, own_client, resource, overlap=overlap, run=run,
                                  erased=erased)
        return report, own_client.retries
    finally:
        own_client.close()
        own_wh.close()


def load_crm(wh: Warehouse, client: CRMClient, *, overlap: timedelta,
             resources: tuple[str, ...] = RESOURCE_ORDER, concurrency: int = 1,
             started_at: datetime | None = None) -> CRMLoadReport:
    """Extract every resource incrementally, then erase what the deletions feed names.

    With `concurrency > 1` several resources are paged at once (each resource's own pages stay
    sequential: cursors are); erasure always waits for all of them.

    `started_at` is the run's start, by which records dated in the future are recognised and
    beyond which the watermark never moves: the real time unless the caller simulates a later
    day (`Settings.run_clock`).
    """
    run = start_run(wh, started_at)
    report = CRMLoadReport(run.load_id)
    try:
        erased = ErasedIndex.read(wh)
        if concurrency > 1:
            with ThreadPoolExecutor(max_workers=concurrency,
                                    thread_name_prefix="crm-extract") as pool:
                futures = {r: pool.submit(_extract_in_thread, wh, client, r, overlap, run,
                                          erased) for r in resources}
                for resource, future in futures.items():
                    report.resources[resource], retries = future.result()
                    client.retries += retries
        else:
            for resource in resources:
                report.resources[resource] = extract_resource(
                    wh, client, resource, overlap=overlap, run=run, erased=erased)
        report.erasure = apply_deletions(wh, client, run, overlap)
    except Exception as exc:
        _finish(wh, run, "failed", str(exc)[:2000])
        raise
    _finish(wh, run, "succeeded", report.as_dict())
    return report
