"""DDL of the raw CRM layer, in one place.

Raw keeps every distinct version (resource, `id`, `updated_at`, hash of the contract fields)
once: each contract field as text (typed in staging), unknown fields as JSON in `_extra_fields`
(from the latest receipt of the version), plus load metadata giving the order staging needs to
pick the latest version. The warehouse itself holds versions unique (raw_layout.py).
"""

from __future__ import annotations

from common.warehouse import Warehouse
from connectors.crm.raw_layout import VERSION_KEY, ensure_version_layout
from connectors.crm.schema import RESOURCES, raw_table

META_COLUMNS: tuple[tuple[str, str], ...] = (
    ("_payload_hash", "text"),
    ("_extra_fields", "text"),
    ("_load_seq", "bigint"),
    ("_load_id", "text"),
    ("_loaded_at", "timestamp"),
    ("_page", "integer"),
    ("_position", "integer"),
)
__all__ = ["META_COLUMNS", "VERSION_KEY", "ensure_raw_crm_tables", "resource_columns"]


def resource_columns(resource: str) -> list[tuple[str, str]]:
    cols: list[tuple[str, str]] = []
    for f in RESOURCES[resource]:
        cols.append((f.name, "timestamp" if f.name == "updated_at" else "text"))
    return cols + list(META_COLUMNS)


def ensure_raw_crm_tables(wh: Warehouse) -> None:
    wh.ensure_schema("raw")
    for resource in RESOURCES:
        cols = ", ".join(f"{name} {kind}" for name, kind in resource_columns(resource))
        wh.execute(f"create table if not exists {raw_table(resource)} ({cols})")
    wh.execute(
        "create table if not exists raw.crm_quarantine ("
        "resource text, id text, updated_at timestamp, _payload_hash text, field text, "
        "problem text, value text, reason text, _load_id text, _loaded_at timestamp)"
    )
    wh.execute(
        "create table if not exists raw.crm_watermarks ("
        "resource text, since timestamp, max_seen timestamp, advanced_at timestamp, "
        "_load_id text)"
    )
    wh.execute(
        "create table if not exists raw.crm_schema_drift ("
        "resource text, field text, first_seen_at timestamp, last_seen_at timestamp, "
        "versions_seen bigint)"
    )
    wh.execute(
        "create table if not exists raw.crm_loads ("
        "_load_seq bigint, _load_id text, started_at timestamp, finished_at timestamp, "
        "status text, summary text)"
    )
    wh.execute(
        "create table if not exists raw.deletion_log ("
        "resource text, id text, deleted_at timestamp, erased_at timestamp, cause text)"
    )
    ensure_version_layout(wh)
