"""The raw spreadsheet tables: every DDL statement of the package lives here.

Column lists are derived from `kinds.py`, so a new column in a kind becomes a new warehouse column
(added in place to an existing table: kept rows of stale files must survive an upgrade).
Types are the portable subset shared by DuckDB and PostgreSQL.
"""

from __future__ import annotations

from common.warehouse import Warehouse
from connectors.sheets.kinds import KINDS, Kind

Columns = tuple[tuple[str, str], ...]

PROVENANCE: Columns = (
    ("source_file", "text"),  # path relative to SHEETS_DIR
    ("source_sheet", "text"),  # the CSV file's stem for a CSV, as a spreadsheet program shows it
    ("source_row", "integer"),  # row number as seen in the spreadsheet
    ("file_modified_at", "timestamp"),  # UTC
    ("loaded_at", "timestamp"),  # UTC, the run that read the file
)

FILES: Columns = (
    ("source_file", "text"),
    ("kind", "text"),
    ("file_modified_at", "timestamp"),
    ("status", "text"),  # loaded, stale, rejected
    ("message", "text"),  # French
    ("last_good_load_at", "timestamp"),
    ("rows_loaded", "bigint"),  # rows of this file now in its sheet_<kind> table
    ("rows_quarantined", "bigint"),  # rows of this file with a quarantine line in this run
    ("loaded_at", "timestamp"),  # this run
)

QUARANTINE: Columns = (
    ("kind", "text"),
    ("source_file", "text"),
    ("source_sheet", "text"),
    ("source_row", "integer"),
    ("column_name", "text"),
    ("value", "text"),
    ("reason", "text"),  # French
    ("loaded_at", "timestamp"),
)

LOAD_LOG: Columns = (
    ("loaded_at", "timestamp"),
    ("level", "text"),  # info, warn
    ("event", "text"),  # machine-readable event code
    ("kind", "text"),
    ("source_file", "text"),
    ("source_sheet", "text"),
    ("row_count", "bigint"),
    ("message", "text"),  # French
)


def kind_columns(kind: Kind) -> Columns:
    """The columns of `sheet_<kind>`: typed kind columns, derived ones, then provenance."""
    typed = tuple((c.db_name, c.sql_type) for c in kind.columns if c.sql_type is not None)
    return typed + kind.derived + PROVENANCE


def tables(schema: str) -> dict[str, Columns]:
    """Every table this package writes, qualified, with its columns in order."""
    result = {
        f"{schema}.sheet_files": FILES,
        f"{schema}.sheet_quarantine": QUARANTINE,
        f"{schema}.sheet_load_log": LOAD_LOG,
    }
    for kind in KINDS:
        result[f"{schema}.{kind.table}"] = kind_columns(kind)
    return result


def ensure_tables(warehouse: Warehouse, schema: str) -> None:
    """Create what is missing; add columns a newer kind definition has to existing tables."""
    warehouse.ensure_schema(schema)
    for table, columns in tables(schema).items():
        if not warehouse.table_exists(table):
            body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns)
            warehouse.execute(f"create table {table} ({body})")
            continue
        present = set(warehouse.columns(table))
        for name, sql_type in columns:
            if name not in present:
                warehouse.execute(f"alter table {table} add column {name} {sql_type}")
