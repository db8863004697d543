"""Which rows a column expectation could refuse, as SQL: so only those reach Great Expectations.

A column expectation of the gate used to receive every row of its table (100 000 participants,
110 000 enrolments at the national scale) for Great Expectations to find the few it refuses;
most of the gate's Python time went there. For the row-by-row expectations the suites use, the
warehouse can tell first which rows *could* be refused — a superset, never fewer — and GE judges
only those: it still decides every outcome, counts the same rows and shows the same samples
(the frame keeps the record-id order), while the number of rows checked comes from SQL.

A condition is given only where it provably keeps every row GE would refuse:
- `not_be_null`: the null rows;
- `be_in_set` on a text column with a list of texts: the non-null rows outside the list (GE
  compares Python strings, the warehouse compares the same characters);
- `be_unique`: the rows whose value occurs more than once (GE refuses every occurrence);
- `match_regex` on a text column, for patterns written with anchors, classes, groups,
  alternatives and counts only (no `.`, no backslash, no `(?`, no `{,`): there Python's `re`
  (which GE uses) and DuckDB's RE2 or PostgreSQL's regular expressions accept the same strings,
  except that Python's `$` also matches before a final newline — Python accepts more, so the
  warehouse's refusals are still a superset.
Any other expectation, column type or pattern gets no condition: GE then receives every row of
the table, as before (`expectations/runner.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from expectations.suites import Check

TEXT_TYPES = frozenset({"VARCHAR", "TEXT", "CHARACTER VARYING", "CHARACTER", "STRING"})
# Pattern syntax whose meaning Python, RE2 and PostgreSQL share (module docstring).
_PORTABLE_PATTERN = re.compile(r"^[A-Za-z0-9_\-\^\$\[\]\*\+\?\{\}\(\)\|, ]*$")


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _is_text(column_type: str | None) -> bool:
    return column_type is not None and column_type.split("(")[0].strip().upper() in TEXT_TYPES


def _portable(pattern: Any) -> bool:
    return (isinstance(pattern, str) and bool(_PORTABLE_PATTERN.match(pattern))
            and "{," not in pattern)


def candidate_condition(check: Check, kwargs: Mapping[str, Any], table: str,
                        where_sql: str | None, column_types: Mapping[str, str],
                        dialect: str) -> str | None:
    """SQL true on every row of `table` that `check` could refuse, or None (no narrowing).

    `kwargs` are the check's kwargs with code lists resolved; `where_sql` its rendered `where`
    (the duplicates of a uniqueness check are counted among the rows it judges).
    """
    column = kwargs.get("column")
    if not isinstance(column, str) or set(kwargs) - {"column", "value_set", "regex"}:
        return None  # `mostly`, row conditions, other arguments: GE sees every row
    kind = check.expectation
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is null"
    if kind == "expect_column_values_to_be_unique":
        inner = f"select {column} from {table}"
        if where_sql:
            inner += f" where {where_sql}"
        return (f"{column} in ({inner} group by {column} having count(*) > 1)")
    if not _is_text(column_types.get(column)):
        return None
    if kind == "expect_column_values_to_be_in_set":
        values = kwargs.get("value_set")
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) for v in values):
            return None
        if not values:
            return f"{column} is not null"
        listed = ", ".join(_literal(v) for v in values)
        return f"{column} is not null and {column} not in ({listed})"
    if kind == "expect_column_values_to_match_regex":
        pattern = kwargs.get("regex")
        if not _portable(pattern):
            return None
        matches = (f"regexp_matches({column}, {_literal(pattern)})" if dialect == "duckdb"
                   else f"{column} ~ {_literal(pattern)}")
        return f"{column} is not null and not {matches}"
    return None


def candidates_where(conditions: Iterable[str | None]) -> str | None:
    """One condition for a frame judged by several checks: a row any of them could refuse;
    None as soon as one check cannot be narrowed (it needs every row)."""
    parts = list(conditions)
    if not parts or any(c is None for c in parts):
        return None
    return " or ".join(f"({c})" for c in parts)
