"""GDPR erasure: a deletion from the CRM removes every version from every raw table.

The cascade is the pipeline's own job (`docs/crm-api.md#deletions-and-erasure`): a participant's
deletion takes with it every record carrying their `participant_id`, every activity or situation
pointing at one of their enrolments, their quarantine lines, their spreadsheet rows and their
pseudonym — whether or not the CRM's feed lists those records too. Staging and marts are rebuilt
from raw, so erasure reaches them at the same refresh. Only ids and dates remain, in
`raw.deletion_log`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd

from common.warehouse import Warehouse
from connectors.crm.client import CRMClient
from connectors.crm.extract import (
    LoadRun,
    iso_utc,
    next_watermark,
    read_watermark,
    write_watermark,
)
from connectors.crm.schema import RESOURCES, raw_table
from connectors.crm.validation import is_future_dated, parse_timestamp

WATERMARK_KEY = "deletions"
CHECK_FAILURES = "marts.dq_check_failures"  # written by the gate (expectations/failures.py)


@dataclass
class ErasureReport:
    deletions_received: int = 0
    future_dated: int = 0
    participants_erased: int = 0
    records_erased: int = 0


def _fetch_deletions(client: CRMClient, since: datetime | None) -> list[tuple[str, str, datetime]]:
    found: list[tuple[str, str, datetime]] = []
    for page in client.pages("deletions", "since", iso_utc(since) if since else None):
        for pos, rec in enumerate(page.records):
            stamp = parse_timestamp(rec.get("deleted_at")) if isinstance(rec, dict) else None
            if stamp is None or not rec.get("id") or rec.get("resource") not in RESOURCES:
                raise ValueError(
                    f"{page.url} (record #{pos + 1}): a deletion needs `resource` (one of "
                    f"{', '.join(RESOURCES)}), `id` and `deleted_at`; got "
                    # the fields only: a record's values would put an id in the run's log
                    f"the fields {sorted(rec) if isinstance(rec, dict) else type(rec).__name__}"
                )
            found.append((rec["resource"], str(rec["id"]), stamp))
    return found


def _tables_with_participant_id(wh: Warehouse) -> list[str]:
    rows = wh.fetchall(
        "select table_name from information_schema.columns where table_schema = 'raw' "
        "and column_name = 'participant_id' order by table_name"
    )
    return [f"raw.{r[0]}" for r in rows]


def erase(wh: Warehouse, deletions: list[tuple[str, str, datetime]], erased_at: datetime) -> int:
    """Remove what the deletions name, with the participant cascade; returns rows removed."""
    if not deletions:
        return 0
    wh.execute("drop table if exists sea_erase")
    wh.execute("create temporary table sea_erase (resource text, id text, deleted_at timestamp, "
               "cause text)")
    wh.insert_df("sea_erase", pd.DataFrame(
        [(r, i, d, "crm") for r, i, d in deletions],
        columns=["resource", "id", "deleted_at", "cause"]))
    # Cascade: enrolments of erased participants, then records pointing at either.
    wh.execute(
        "insert into sea_erase select distinct 'enrolments', e.id, x.deleted_at, 'cascade' "
        "from raw.crm_enrolments e join sea_erase x "
        "on x.resource = 'participants' and e.participant_id = x.id"
    )
    # Two equality joins, not one join on `a or b`: DuckDB cannot hash-join a disjunction and
    # compares every raw activity version with every erased id (millions of activity versions
    # at the benchmark's size).
    for resource in ("activities", "situations"):
        wh.execute(
            f"insert into sea_erase select distinct '{resource}', r.id, x.deleted_at, 'cascade' "
            f"from {raw_table(resource)} r join sea_erase x "
            "on x.resource = 'participants' and r.participant_id = x.id "
            "union "
            f"select '{resource}', r.id, x.deleted_at, 'cascade' "
            f"from {raw_table(resource)} r join sea_erase x "
            "on x.resource = 'enrolments' and x.cause = 'cascade' and r.enrolment_id = x.id"
        )
    _erase_check_failures(wh)  # before the pseudonym map loses the erased participants
    removed = 0
    for resource in RESOURCES:
        removed += _delete_counted(
            wh, raw_table(resource),
            f"id in (select id from sea_erase where resource = '{resource}')")
    wh.execute("delete from raw.crm_quarantine where exists (select 1 from sea_erase x "
               "where x.resource = raw.crm_quarantine.resource and x.id = raw.crm_quarantine.id)")
    for table in _tables_with_participant_id(wh):
        removed += _delete_counted(
            wh, table,
            "participant_id in (select id from sea_erase where resource = 'participants')")
    wh.execute(
        "insert into raw.deletion_log (resource, id, deleted_at, erased_at, cause) "
        "select resource, id, min(deleted_at), ?, min(cause) from sea_erase s "
        "where not exists (select 1 from raw.deletion_log d "
        "where d.resource = s.resource and d.id = s.id) group by resource, id",
        [erased_at],
    )
    wh.execute("drop table sea_erase")
    return removed


def _erase_check_failures(wh: Warehouse) -> None:
    """The gate's table of offending ids names records, and persons by pseudonym: the rows
    naming an erased record or person go now, not at the next gate run that rewrites it."""
    if not wh.table_exists(CHECK_FAILURES):
        return
    wh.execute("create temporary table sea_erase_names as select id as name from sea_erase")
    if wh.table_exists("raw.participant_pseudonyms"):
        wh.execute("insert into sea_erase_names select k.participant_key "
                   "from raw.participant_pseudonyms k join sea_erase x "
                   "on x.resource = 'participants' and k.participant_id = x.id")
    wh.execute(f"delete from {CHECK_FAILURES} where record_id in (select name from "
               "sea_erase_names) or detail in (select name from sea_erase_names)")
    wh.execute("drop table sea_erase_names")


def _delete_counted(wh: Warehouse, table: str, condition: str) -> int:
    count = int(wh.scalar(f"select count(*) from {table} where {condition}"))
    if count:
        wh.execute(f"delete from {table} where {condition}")
    return count


def apply_deletions(wh: Warehouse, client: CRMClient, run: LoadRun,
                    overlap: timedelta) -> ErasureReport:
    """Read the deletions feed since its watermark and erase, in one transaction."""
    report = ErasureReport()
    since = read_watermark(wh, WATERMARK_KEY)
    deletions = _fetch_deletions(client, since)
    report.deletions_received = len(deletions)
    report.participants_erased = len({i for r, i, _ in deletions if r == "participants"})
    # A deletion dated in the future is still applied (erasure must not wait for the CRM's
    # clock), but like a future-dated version it never moves the watermark: it comes back every
    # night until the CRM corrects it, and erasing twice changes nothing.
    sane = [d for _, _, d in deletions if not is_future_dated(d, run.loaded_at)]
    report.future_dated = len(deletions) - len(sane)
    max_seen = max(sane, default=None)
    with wh.transaction():
        report.records_erased = erase(wh, deletions, run.loaded_at)
        watermark = next_watermark(since, max_seen, overlap, run.loaded_at)
        if watermark is not None and max_seen is not None:
            write_watermark(wh, WATERMARK_KEY, watermark, max_seen, run)
    if report.records_erased:
        _reclaim(wh)
    return report


def _reclaim(wh: Warehouse) -> None:
    """Make the deleted rows physically go, not just invisible (dead tuples, old blocks)."""
    if wh.dialect == "postgres":
        for (table,) in wh.fetchall("select table_name from information_schema.tables "
                                    "where table_schema = 'raw' and table_type = 'BASE TABLE'"):
            wh.execute(f"vacuum raw.{table}")
    else:
        wh.execute("checkpoint")
