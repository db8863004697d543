"""The gate's offending records, kept in the warehouse: `marts.dq_check_failures`.

Logs, Dagster metadata and everything sent out carry counts only; the records behind a count
(pseudonym for a person, CRM id for other records, file and row for a spreadsheet line) live
here, where the data lead reads them with `where check_key = '<check>'`. Many rules already
have their records in the scorecard's to-do list (`marts.dq_issues`); this table holds every
failing check's, raw-layer and mart-invariant checks included.

It is rewritten at every gate run (a nightly check op replaces its own checks' rows, the
quarterly gate replaces them all), so it never holds more than the last verdicts, and the
erasure cascade (connectors/crm/erasure.py) deletes an erased person's rows at once, before
the next run rewrites it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

import pandas as pd

from common.warehouse import Warehouse
from expectations.outcomes import FAILURES_TABLE, CheckOutcome

COLUMNS: tuple[tuple[str, str], ...] = (
    ("check_key", "text"),  # <schema>.<table>.<check>, as in expectations/suites
    ("table_name", "text"),
    ("rule_fr", "text"),
    ("severity", "text"),
    ("failing_rows", "bigint"),  # the check's exact count (ids are capped per check)
    ("record_id", "text"),  # pseudonym for a person, never a CRM person id
    ("detail", "text"),
    ("evaluated_at", "timestamp"),
    ("as_of", "date"),
)


def ensure_failures_table(wh: Warehouse) -> None:
    wh.ensure_schema(FAILURES_TABLE.split(".")[0])
    columns = ", ".join(f"{name} {kind}" for name, kind in COLUMNS)
    wh.execute(f"create table if not exists {FAILURES_TABLE} ({columns})")


def failure_rows(outcomes: Iterable[CheckOutcome], *, as_of: date,
                 evaluated_at: datetime) -> pd.DataFrame:
    """One row per (failing check, offending record it kept)."""
    rows = []
    for o in outcomes:
        if o.passed or o.error:
            continue
        details = list(o.sample_details) + [None] * (len(o.sample_ids) - len(o.sample_details))
        for record_id, detail in zip(o.sample_ids, details, strict=False):
            rows.append((o.key, o.check.table, o.check.rule, o.severity, o.row_count,
                         record_id, detail, evaluated_at, as_of))
    return pd.DataFrame(rows, columns=[name for name, _ in COLUMNS])


def write_failures(wh: Warehouse, outcomes: Sequence[CheckOutcome], *, as_of: date,
                   evaluated_at: datetime, checks: Iterable[str] | None = None) -> int:
    """Replace the rows of `checks` (None: every check) by what `outcomes` found."""
    ensure_failures_table(wh)
    frame = failure_rows(outcomes, as_of=as_of, evaluated_at=evaluated_at)
    with wh.transaction():
        if checks is None:
            wh.execute(f"delete from {FAILURES_TABLE}")
        else:
            keys = sorted(set(checks))
            if keys:
                marks = ", ".join("?" for _ in keys)
                wh.execute(f"delete from {FAILURES_TABLE} where check_key in ({marks})", keys)
        if len(frame):
            wh.insert_df(FAILURES_TABLE, frame)
    return len(frame)
