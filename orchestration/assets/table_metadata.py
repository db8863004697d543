"""What a materialisation tells the data lead about the table it wrote, in the UI's words.

Each asset's latest materialisation carries: the rows (`dagster/row_count`, which the UI shows
beside the asset), the period the rows cover (from the table's own dates, when it has some), and
for the marts a preview of the first rows as a Markdown table. Only marts are previewed: they
hold no personal data; raw and staging tables never are, raw holding names and contacts. Not even
a pseudonym or a CRM id reaches the previews (`NOT_PREVIEWED`, `HIDDEN_COLUMNS`): what Dagster
keeps must not identify a person who may later be erased. Counts of quarantined and changed
rows come from the loaders themselves (orchestration/assets/raw_sheets.py, raw_crm.py).

Cheap on purpose (a count, a min/max, a few rows per table): it runs for every model of every
refresh, after dbt has finished (orchestration/assets/dbt_build.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from dagster import MetadataValue

from common.warehouse import Warehouse

ROWS = "dagster/row_count"
PERIOD = "période couverte"
PREVIEW = "aperçu (premières lignes)"
PREVIEW_ROWS = 5
PREVIEW_COLUMNS = 8
PREVIEW_WIDTH = 40  # characters of a cell, past which it is cut with "…"
PREVIEWED_SCHEMAS = frozenset({"marts"})  # never raw, staging or intermediate (docstring)
# Marts whose rows are records of people or their words: a pseudonym or a CRM id in Dagster's
# event log would outlive an erasure (tests/test_personal_data_boundary.py), and free text
# belongs in the warehouse only. Counted and dated, never previewed.
NOT_PREVIEWED = frozenset({"participant_journeys", "dq_issues", "dq_check_failures",
                           "learning_sheet_issues", "published_testimonies"})
# Columns never shown in any preview: ids of people or records, and free text.
HIDDEN_COLUMNS = frozenset({"participant_key", "enrolment_id", "record_id",
                            "related_enrolment_id", "testimony_key", "testimony_text",
                            "title", "context", "findings", "lessons", "recommendation",
                            "source_file", "source_row"})

# The columns that date a table's rows, best first: (first, last) of the period they cover. The
# first pair a table has is used; a table with none says nothing of a period.
PERIOD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("period_start", "period_end"),
    ("cohort_quarter_start", "cohort_quarter_end"),
    ("quarter_start", "quarter_end"),
    ("month_start", "month_start"),
    ("activity_date", "activity_date"),
    ("session_date", "session_date"),
    ("contact_date", "contact_date"),
    ("lesson_date", "lesson_date"),
    ("action_date", "action_date"),
    ("answer_date", "answer_date"),
    ("received_date", "received_date"),
    ("testimony_date", "testimony_date"),
    ("start_date", "start_date"),  # not end_date: a contract's end may lie years ahead
    ("planned_start", "planned_end"),
    ("grant_start", "grant_end"),
    ("status_from", "status_from"),  # status_to is null while a status holds
    ("planned_date", "planned_date"),
    ("budget_year", "budget_year"),
    ("target_year", "target_year"),
    ("date", "date"),  # the spreadsheets' raw tables
    ("updated_at", "updated_at"),  # the CRM's raw tables: when the records changed
)


DATED_TYPES = ("date", "timestamp", "integer", "bigint", "smallint")  # DuckDB and PostgreSQL


def period_columns(types: dict[str, str]) -> tuple[str, str] | None:
    """The pair of `PERIOD_COLUMNS` the table has as dates, timestamps or years (a raw CRM
    table's dates are text as received: its period is then that of its changes)."""
    present = {name for name, kind in types.items() if kind.lower().startswith(DATED_TYPES)}
    for first, last in PERIOD_COLUMNS:
        if first in present and last in present:
            return first, last
    return None


def _day(value: Any) -> str:
    if isinstance(value, datetime):
        return f"{value:%d/%m/%Y}"
    if isinstance(value, date):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _period_text(low: Any, high: Any) -> str | None:
    """« du 01/01/2024 au 30/11/2026 », or years, from the first and last dates."""
    if low is None and high is None:
        return None
    high = low if high is None else high
    low = high if low is None else low
    if isinstance(low, int) and not isinstance(low, bool):  # years
        return str(low) if low == high else f"{low} – {high}"
    return f"du {_day(low)} au {_day(high)}"


def _cell(value: Any) -> str:
    text = "" if value is None else _day(value) if isinstance(value, date) else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= PREVIEW_WIDTH else text[:PREVIEW_WIDTH - 1] + "…"


def preview_markdown(wh: Warehouse, qualified: str, columns: list[str]) -> str:
    """The first rows of a mart (first columns only) as a Markdown table. Not sorted: some
    marts are views of 100 000s of rows, and sorting them would cost more than the night's
    model."""
    shown = [c for c in columns if c not in HIDDEN_COLUMNS][:PREVIEW_COLUMNS]
    select = ", ".join(f'"{c}"' for c in shown)
    rows = wh.fetchall(f"select {select} from {qualified} limit {PREVIEW_ROWS}")
    lines = ["| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    if len(columns) > len(shown):
        lines.append(f"\n{len(columns) - len(shown)} autre(s) colonne(s) non montrée(s) "
                     "(dont les identifiants et les textes libres).")
    return "\n".join(lines)


def table_metadata(wh: Warehouse, schema: str, table: str) -> dict[str, Any]:
    """Rows, period covered and (marts only) a preview of `schema.table`; {} when it is not
    there (a model that failed) or is a view outside the marts (counting a view runs its query:
    only the marts', which readers see, are worth it)."""
    qualified = f"{schema}.{table}"
    kind = wh.fetchall("select table_type from information_schema.tables "
                       "where table_schema = ? and table_name = ?", [schema, table])
    if not kind or (kind[0][0] != "BASE TABLE" and schema not in PREVIEWED_SCHEMAS):
        return {}
    types = wh.column_types(qualified)
    columns = list(types)
    pair = period_columns(types)
    dates = f', min("{pair[0]}"), max("{pair[1]}")' if pair else ""
    rows, *period = wh.fetchall(f"select count(*){dates} from {qualified}")[0]
    meta: dict[str, Any] = {ROWS: int(rows)}
    if period and (text := _period_text(*period)):
        meta[PERIOD] = text
    if schema in PREVIEWED_SCHEMAS and table not in NOT_PREVIEWED and rows:
        meta[PREVIEW] = MetadataValue.md(preview_markdown(wh, qualified, columns))
    return meta
