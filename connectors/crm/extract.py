"""Incremental, idempotent extraction of one CRM resource into its raw table.

Pages are staged in a temporary table as they arrive; only after the last page does one
transaction append the new versions, their quarantine lines, the schema-drift counts and the new
watermark. A failure anywhere (transport after retries, a malformed page, a record without
`id`) therefore leaves raw exactly as it was and the watermark where it was: the next run starts
again from the last safe point.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pandas as pd

from common.warehouse import Warehouse
from connectors.crm.client import CRMClient
from connectors.crm.raw_tables import VERSION_KEY, resource_columns
from connectors.crm.schema import RESOURCES, raw_table
from connectors.crm.validation import (
    as_text,
    check_identity,
    future_problem,
    payload_hash,
    quarantine_problems,
)

log = logging.getLogger(__name__)

FLUSH_ROWS = 20_000


@dataclass(frozen=True)
class LoadRun:
    """Identity of one extraction run, stamped on every raw row it writes."""

    load_seq: int
    load_id: str
    loaded_at: datetime  # the run's start (naive UTC): future-dated versions are measured by it


@dataclass
class ErasedIndex:
    """What the deletion log says must never be loaded again."""

    participants: set[str] = field(default_factory=set)
    enrolments: set[str] = field(default_factory=set)
    records: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def read(cls, wh: Warehouse) -> ErasedIndex:
        index = cls()
        for resource, rid in wh.fetchall("select resource, id from raw.deletion_log"):
            index.records.add((resource, rid))
            if resource == "participants":
                index.participants.add(rid)
            elif resource == "enrolments":
                index.enrolments.add(rid)
        return index

    def covers(self, resource: str, record: dict) -> bool:
        if (resource, str(record.get("id"))) in self.records:
            return True
        if record.get("participant_id") in self.participants:
            return True
        return resource in ("activities", "situations") and (
            record.get("enrolment_id") in self.enrolments
        )


@dataclass
class ResourceReport:
    resource: str
    received: int = 0
    new_versions: int = 0
    quarantined_versions: int = 0
    future_dated: int = 0
    skipped_erased: int = 0
    pages: int = 0
    drift_fields: dict[str, int] = field(default_factory=dict)
    since: datetime | None = None
    watermark: datetime | None = None


def iso_utc(stamp: datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S") + (
        f".{stamp.microsecond:06d}Z" if stamp.microsecond else "Z"
    )


def read_watermark(wh: Warehouse, resource: str) -> datetime | None:
    return wh.scalar("select max(since) from raw.crm_watermarks where resource = ?", [resource])


def write_watermark(wh: Warehouse, resource: str, since: datetime, max_seen: datetime,
                    run: LoadRun) -> None:
    wh.execute("delete from raw.crm_watermarks where resource = ?", [resource])
    wh.execute(
        "insert into raw.crm_watermarks values (?, ?, ?, ?, ?)",
        [resource, since, max_seen, run.loaded_at, run.load_id],
    )


def next_watermark(previous: datetime | None, max_seen: datetime | None,
                   overlap: timedelta, started_at: datetime) -> datetime | None:
    """Largest `updated_at` received minus the overlap, never beyond the extraction's start
    (`started_at`) and never moving backwards.

    `max_seen` must leave out future-dated versions; the cap at the start is a second guard: a
    watermark past the start would skip records the CRM changes between now and then.
    """
    if max_seen is None:
        return previous
    candidate = min(max_seen - overlap, started_at)
    return candidate if previous is None or candidate > previous else previous


class _Stager:
    """Buffers rows in memory and spills them to a temporary table in chunks."""

    def __init__(self, wh: Warehouse, name: str, columns: list[tuple[str, str]]) -> None:
        self.wh, self.name, self.columns = wh, name, [c for c, _ in columns]
        self.rows: list[tuple] = []
        wh.execute(f"drop table if exists {name}")
        wh.execute(f"create temporary table {name} ("
                   + ", ".join(f"{c} {t}" for c, t in columns) + ")")

    def add(self, row: tuple) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.wh.insert_df(self.name, pd.DataFrame(self.rows, columns=self.columns))
            self.rows = []

    def drop(self) -> None:
        self.wh.execute(f"drop table if exists {self.name}")


def _append_distinct(wh: Warehouse, target: str, staged: str, columns: list[str],
                     key: tuple[str, ...], order: str) -> int:
    """Insert each staged row whose key is not yet in `target`, once per key.

    The anti-join skips what is already stored; `on conflict do nothing` (the unique index on
    the key, raw_layout.py) skips what another writer stored after this statement's snapshot,
    instead of failing on it or — without the index — storing a second copy.
    """
    cols = ", ".join(columns)
    match = " and ".join(f"t.{k} = s.{k}" for k in key)
    part = ", ".join(key)
    before = wh.scalar(f"select count(*) from {target}")
    wh.execute(
        f"insert into {target} ({cols}) select {cols} from ("
        f"select *, row_number() over (partition by {part} order by {order}) as sea_rn "
        f"from {staged}) s where sea_rn = 1 "
        f"and not exists (select 1 from {target} t where {match}) "
        "on conflict do nothing"
    )
    return int(wh.scalar(f"select count(*) from {target}")) - int(before)


def _refresh_extras(wh: Warehouse, target: str, staged: str) -> None:
    """Give each received version the unknown fields of its latest receipt.

    Extras are not part of a version's identity: a version received again with other extras
    (the CRM added a field) stays one row, and that row shows what the CRM sends now.
    """
    key = ", ".join(VERSION_KEY)
    match = " and ".join(f"t.{k} = s.{k}" for k in VERSION_KEY)
    wh.execute(
        f"update {target} as t set _extra_fields = s._extra_fields from ("
        f"select {key}, _extra_fields, row_number() over (partition by {key} "
        f"order by _load_seq desc, _page desc, _position desc) as sea_rn from {staged}) as s "
        f"where s.sea_rn = 1 and {match} and t._extra_fields is distinct from s._extra_fields"
    )


def _update_drift(wh: Warehouse, resource: str, counts: Counter, run: LoadRun) -> None:
    for name, seen in counts.items():
        row = wh.fetchone(
            "select first_seen_at, versions_seen from raw.crm_schema_drift "
            "where resource = ? and field = ?", [resource, name])
        first, total = (row[0], row[1] + seen) if row else (run.loaded_at, seen)
        wh.execute("delete from raw.crm_schema_drift where resource = ? and field = ?",
                   [resource, name])
        wh.execute("insert into raw.crm_schema_drift values (?, ?, ?, ?, ?)",
                   [resource, name, first, run.loaded_at, total])


def extract_resource(wh: Warehouse, client: CRMClient, resource: str, *, overlap: timedelta,
                     run: LoadRun, erased: ErasedIndex) -> ResourceReport:
    """Pull every version changed since the watermark into `raw.crm_<resource>`."""
    report = ResourceReport(resource)
    columns = resource_columns(resource)
    names = [c for c, _ in columns]
    expected = {f.name for f in RESOURCES[resource]}
    quarantine_cols = [("resource", "text"), ("id", "text"), ("updated_at", "timestamp"),
                       ("_payload_hash", "text"), ("field", "text"), ("problem", "text"),
                       ("value", "text"), ("reason", "text"), ("_load_id", "text"),
                       ("_loaded_at", "timestamp")]
    rows = _Stager(wh, f"sea_stage_{resource}", columns)
    qrows = _Stager(wh, f"sea_stage_q_{resource}", quarantine_cols)
    drift: Counter = Counter()
    max_seen: datetime | None = None
    report.since = read_watermark(wh, resource)
    since = iso_utc(report.since) if report.since else None
    try:
        for page in client.pages(resource, "updated_since", since):
            report.pages += 1
            # Validate the whole page before keeping any of it: no partial page.
            checked = [check_identity(resource, rec, f"{page.url} (record #{pos + 1})")
                       for pos, rec in enumerate(page.records)]
            for pos, (record, (rid, stamp)) in enumerate(zip(page.records, checked, strict=True)):
                report.received += 1
                future = future_problem(stamp, run.loaded_at)
                if future is not None:
                    report.future_dated += 1
                elif max_seen is None or stamp > max_seen:
                    max_seen = stamp
                if erased.covers(resource, record):
                    report.skipped_erased += 1
                    continue
                digest = payload_hash(resource, record)
                extras = {k: v for k, v in record.items() if k not in expected}
                drift.update(extras.keys())
                values = [rid if f == "id" else stamp if f == "updated_at"
                          else as_text(record.get(f)) for f in names[: len(expected)]]
                rows.add((*values, digest,
                          json.dumps(extras, sort_keys=True, ensure_ascii=False) if extras
                          else None,
                          run.load_seq, run.load_id, run.loaded_at, page.number, pos))
                problems = quarantine_problems(resource, record)
                for problem in [future, *problems] if future is not None else problems:
                    qrows.add((resource, rid, stamp, digest, problem.field, problem.problem,
                               problem.value, problem.reason, run.load_id, run.loaded_at))
        rows.flush()
        qrows.flush()
        watermark = next_watermark(report.since, max_seen, overlap, run.loaded_at)
        with wh.transaction():
            report.new_versions = _append_distinct(
                wh, raw_table(resource), rows.name, names, VERSION_KEY,
                "_load_seq, _page, _position")
            _refresh_extras(wh, raw_table(resource), rows.name)
            report.quarantined_versions = _append_distinct(
                wh, "raw.crm_quarantine", qrows.name, [c for c, _ in quarantine_cols],
                ("resource", "id", "updated_at", "_payload_hash", "field"), "_loaded_at")
            _update_drift(wh, resource, drift, run)
            if watermark is not None and max_seen is not None:
                write_watermark(wh, resource, watermark, max_seen, run)
        report.watermark = watermark
        report.drift_fields = dict(drift)
    finally:
        rows.drop()
        qrows.drop()
    log.info("CRM %s: %d received, %d new versions, %d quarantined (%d dated in the future), "
             "%d pages", resource, report.received, report.new_versions,
             report.quarantined_versions, report.future_dated, report.pages)
    return report
