"""The raw CRM layer's version identity, enforced by the warehouse, and its migration.

Layout 2 (this one): a version is (resource, `id`, `updated_at`, hash of the contract fields as
stored — version_identity.py), and each raw table holds it once under a unique index, as does
the quarantine (one line per version and field). The loader's anti-join is not the only
guard any more: a second writer, a replayed load or a hand-written insert cannot add a copy.

Layout 1 (before): the hash covered the whole JSON payload, extras included, and nothing but the
loader kept versions distinct. Such a warehouse is migrated in place, once, by
`ensure_version_layout` (run at the start of every extraction): every row's `_payload_hash` is
recomputed from its own columns (the quarantine lines follow their version), the rows that now
are the same version are merged — the first load's row stays (its load order is what staging's
`first_updated_at` saw), with the extras of the latest receipt — then the unique indexes are
created. Nothing is lost: every (`id`, `updated_at`, contract content) stays.

`raw.crm_layout` records each step that ran. A step that changed rows changes
`restage_marker`, which the staging fingerprint includes (orchestration/staging_state.py): the
incremental staging models only restage records with a new raw load, so rows merged or rehashed
in place would otherwise keep their old load order in staging; the next build is a full rebuild.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from common.warehouse import Warehouse
from connectors.crm.schema import RESOURCES, raw_table
from connectors.crm.version_identity import contract_hash_sql

log = logging.getLogger(__name__)

LAYOUT_TABLE = "raw.crm_layout"
CURRENT_LAYOUT = 2
VERSION_KEY = ("id", "updated_at", "_payload_hash")
QUARANTINE_TABLE = "raw.crm_quarantine"
QUARANTINE_KEY = ("resource", "id", "updated_at", "_payload_hash", "field")
# Which copy of a version is the one kept: the first received.
_RAW_ORDER = "_load_seq, _page, _position"
_QUARANTINE_ORDER = "_loaded_at, _load_id"


def unique_keys() -> list[tuple[str, tuple[str, ...], str]]:
    """Every raw CRM table with its version key and the order that names its first copy."""
    keys = [(raw_table(r), VERSION_KEY, _RAW_ORDER) for r in RESOURCES]
    return [*keys, (QUARANTINE_TABLE, QUARANTINE_KEY, _QUARANTINE_ORDER)]


def index_name(table: str) -> str:
    return f"{table.split('.')[1]}_version_key"


def ensure_version_layout(wh: Warehouse) -> None:
    """Bring the raw CRM tables (already created) to the current layout; cheap when they are."""
    wh.execute(f"create table if not exists {LAYOUT_TABLE} ("
               "step text, layout_version integer, applied_at timestamp, rows_changed bigint)")
    if _applied(wh) < CURRENT_LAYOUT:
        with wh.transaction():
            if wh.dialect == "postgres":  # a second migrator waits, then sees it done
                wh.execute(f"lock table {LAYOUT_TABLE} in exclusive mode")
            if _applied(wh) < CURRENT_LAYOUT:
                changed = _rehash_and_merge(wh)
                _record(wh, "contract_hash", changed)
    for table, key, order in unique_keys():
        if _index_exists(wh, table):
            continue
        # Committed before the index is built: DuckDB builds it over the rows deleted in the
        # same transaction too, and refuses. A crash in between leaves no copies and no index,
        # which the next start finishes.
        with wh.transaction():
            removed = _drop_copies(wh, table, key, order)
            if removed:
                log.warning("%s: %d copies of stored versions removed before the unique index",
                            table, removed)
                _record(wh, f"unique_index:{table}", removed)
        wh.execute(f"create unique index {index_name(table)} on {table} ({', '.join(key)})")


def restage_marker(wh: Warehouse) -> str:
    """Changes whenever a layout step rewrote raw rows in place ('' when none ever did)."""
    if not wh.table_exists(LAYOUT_TABLE):
        return ""
    count, last = wh.fetchone(f"select count(*), max(applied_at) from {LAYOUT_TABLE} "
                              "where rows_changed > 0") or (0, None)
    return f"{count}@{last}" if count else ""


def _applied(wh: Warehouse) -> int:
    return int(wh.scalar(f"select coalesce(max(layout_version), 1) from {LAYOUT_TABLE}"))


def _record(wh: Warehouse, step: str, rows_changed: int) -> None:
    wh.execute(f"insert into {LAYOUT_TABLE} values (?, ?, ?, ?)",
               [step, CURRENT_LAYOUT, datetime.now(UTC).replace(tzinfo=None), rows_changed])


def _row_ref(wh: Warehouse) -> str:
    """A physical row address: copies of a version are equal on every column that matters."""
    return "rowid" if wh.dialect == "duckdb" else "ctid"


def _index_exists(wh: Warehouse, table: str) -> bool:
    schema = table.split(".")[0]
    if wh.dialect == "duckdb":
        sql = ("select count(*) from duckdb_indexes() where database_name = current_database() "
               "and schema_name = ? and index_name = ?")
    else:
        sql = "select count(*) from pg_indexes where schemaname = ? and indexname = ?"
    return bool(wh.scalar(sql, [schema, index_name(table)]))


def _drop_copies(wh: Warehouse, table: str, key: tuple[str, ...], order: str) -> int:
    """Delete every row but the first (by `order`) of each `key`; returns how many went."""
    ref = _row_ref(wh)
    copies = (f"select sea_ref from (select {ref} as sea_ref, row_number() over ("
              f"partition by {', '.join(key)} order by {order}, {ref}) as sea_rn "
              f"from {table}) d where sea_rn > 1")
    count = int(wh.scalar(f"select count(*) from ({copies}) c"))
    if count:
        wh.execute(f"delete from {table} where {ref} in ({copies})")
    return count


def _rehash_and_merge(wh: Warehouse) -> int:
    """Layout 1 → 2 for every resource; returns the rows changed (rehashed or merged away)."""
    changed = 0
    for resource in RESOURCES:
        table, new_hash = raw_table(resource), contract_hash_sql(resource, wh.dialect)
        stale = int(wh.scalar(f"select count(*) from {table} "
                              f"where _payload_hash is distinct from {new_hash}"))
        if not stale:
            continue
        # The quarantine lines follow their version: old hash → new, while raw has both.
        wh.execute(
            f"update {QUARANTINE_TABLE} as q set _payload_hash = m.new_hash from ("
            f"select id, updated_at, _payload_hash as old_hash, min({new_hash}) as new_hash "
            f"from {table} group by id, updated_at, _payload_hash) as m "
            f"where q.resource = '{resource}' and q.id = m.id and q.updated_at = m.updated_at "
            "and q._payload_hash = m.old_hash and q._payload_hash <> m.new_hash")
        wh.execute(f"update {table} set _payload_hash = {new_hash} "
                   f"where _payload_hash is distinct from {new_hash}")
        changed += stale + _merge_copies(wh, table)
    return changed + _drop_copies(wh, QUARANTINE_TABLE, QUARANTINE_KEY, _QUARANTINE_ORDER)


def _merge_copies(wh: Warehouse, table: str) -> int:
    """Rows that became one version: keep the first load's, give it the latest extras."""
    ref = _row_ref(wh)
    key = ", ".join(VERSION_KEY)
    wh.execute("drop table if exists sea_merge")
    wh.execute(
        f"create temporary table sea_merge as select sea_ref, sea_rn, latest_extras from ("
        f"select {ref} as sea_ref, "
        f"row_number() over (partition by {key} order by {_RAW_ORDER}, {ref}) as sea_rn, "
        f"first_value(_extra_fields) over (partition by {key} order by _load_seq desc, "
        f"_page desc, _position desc, {ref} desc) as latest_extras, "
        f"count(*) over (partition by {key}) as sea_copies from {table}) d "
        "where sea_copies > 1")
    merged = int(wh.scalar("select count(*) from sea_merge where sea_rn > 1"))
    # Delete before updating: on PostgreSQL an update moves the row (new ctid).
    wh.execute(f"delete from {table} where {ref} in (select sea_ref from sea_merge "
               "where sea_rn > 1)")
    wh.execute(f"update {table} as t set _extra_fields = m.latest_extras from sea_merge as m "
               f"where t.{ref} = m.sea_ref and m.sea_rn = 1 "
               "and t._extra_fields is distinct from m.latest_extras")
    wh.execute("drop table sea_merge")
    return merged
