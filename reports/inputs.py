"""Reading what the quarterly deliverables need from the warehouse, tolerating what is not built.

The marts are written by other parts of the pipeline, some later than this package: the
Kaplan-Meier and cohort marts or the programme reference may be missing, and the report then says
so instead of failing. The indicator mart and the catalogue are required.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from common.quarters import Quarter
from common.warehouse import Warehouse, connect
from reports.catalogue import Catalogue

log = logging.getLogger(__name__)

INDICATOR_COLUMNS = [
    "indicator_code", "period_type", "period_start", "period_end", "programme", "antenna",
    "dimension", "dimension_value", "numerator", "denominator", "value", "target",
    "achievement", "as_of",
]
KM_COLUMNS = ["programme", "day", "at_risk", "events", "censored", "survival"]
_PARENT_COLUMNS = ("parent_code", "parent_programme", "parent", "programme_parent", "parent_id")
_CODE_COLUMNS = ("programme_code", "programme", "code")


@dataclass
class ReportInputs:
    """Everything read from the warehouse for one quarter's deliverables."""

    indicators: pd.DataFrame
    catalogue: Catalogue
    km: pd.DataFrame | None = None
    cohorts: pd.DataFrame | None = None
    programme_parents: dict[str, str | None] | None = None
    mart_as_of: date | None = None
    notes: list[str] = field(default_factory=list)
    # annual targets of the years covered (year rows): a rate's or a median's annual target
    # applies to each quarter of its year (reports.targets)
    year_targets: pd.DataFrame | None = None


def _optional(wh: Warehouse, table: str, columns: Sequence[str] | None = None
              ) -> pd.DataFrame | None:
    if not wh.table_exists(table):
        return None
    df = wh.fetch_df(f"select * from {table}")
    if columns and not set(columns) <= set(df.columns):
        missing = sorted(set(columns) - set(df.columns))
        log.warning("%s lacks columns %s: ignored", table, missing)
        return None
    return df


def _programme_parents(wh: Warehouse) -> dict[str, str | None] | None:
    """The programme tree from whichever reference table carries a parent column.

    Named by column rather than table because the reference seed is versioned data whose name
    may change; None when no such table exists (the report then says nesting was not checked).
    """
    rows = wh.fetchall(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'reference'"
    )
    by_table: dict[str, set[str]] = {}
    for table, column in rows:
        by_table.setdefault(table, set()).add(column)
    for table, cols in sorted(by_table.items()):
        parent = next((c for c in _PARENT_COLUMNS if c in cols), None)
        code = next((c for c in _CODE_COLUMNS if c in cols), None)
        if parent and code and "programme" in table:
            df = wh.fetch_df(f"select {code} as code, {parent} as parent from reference.{table}")
            out: dict[str, str | None] = {}
            for c, p in zip(df["code"], df["parent"], strict=True):
                if c is None or pd.isna(c):
                    continue
                key = str(c).strip().upper()
                out[key] = None if p is None or pd.isna(p) or not str(p).strip() \
                    else str(p).strip().upper()
            return out
    return None


def load_inputs(target: str, quarters: Sequence[Quarter]) -> ReportInputs:
    """Read the quarter rows of the indicator mart over `quarters`, the catalogue and the
    optional marts."""
    first, last = min(quarters), max(quarters)
    with connect(target, read_only=True) as wh:
        for required in ("marts.indicator_values", "reference.indicator_catalogue"):
            if not wh.table_exists(required):
                raise LookupError(f"{required} is missing from the warehouse: build the marts "
                                  "(dbt) before the quarterly deliverables")
        ind = wh.fetch_df(
            "select * from marts.indicator_values where period_type = 'quarter' "
            "and period_start >= ? and period_end <= ?",
            [first.start, last.end],
        )
        catalogue = Catalogue.from_frame(wh.fetch_df("select * from reference.indicator_catalogue"))
        year_targets = wh.fetch_df(
            "select indicator_code, programme, antenna, period_start, target "
            "from marts.indicator_values where period_type = 'year' and dimension = 'total' "
            "and target is not null and period_start >= ? and period_start <= ?",
            [first.year_start(), last.year_start()])
        year_targets["year"] = [pd.Timestamp(d).year for d in year_targets["period_start"]]
        notes: list[str] = []
        km = _optional(wh, "marts.time_to_employment", KM_COLUMNS)
        if km is None:
            notes.append("La table des délais d'accès à l'emploi (Kaplan-Meier) n'est pas "
                         "disponible : la section correspondante est omise.")
        cohorts = _optional(wh, "marts.cohorts")
        parents = _programme_parents(wh)
    missing = sorted(set(INDICATOR_COLUMNS) - set(ind.columns))
    if missing:
        raise LookupError(f"marts.indicator_values lacks columns {missing}")
    ind = normalise_indicators(ind)
    mart_as_of = max(ind["as_of"]) if len(ind) and ind["as_of"].notna().any() else None
    return ReportInputs(ind, catalogue, km, cohorts, parents, mart_as_of, notes, year_targets)


def _as_date(value: object) -> date | None:
    if value is None or (not isinstance(value, date) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def normalise_indicators(df: pd.DataFrame) -> pd.DataFrame:
    """Dates as `date`, codes trimmed, missing dimensions as 'total' (both engines agree)."""
    df = df.copy()
    for col in ("period_start", "period_end", "as_of"):
        df[col] = [_as_date(v) for v in df[col]]
    for col in ("indicator_code", "programme", "antenna"):
        df[col] = df[col].astype(str).str.strip().str.upper()
    df["dimension"] = df["dimension"].fillna("total").astype(str).str.strip()
    df["dimension_value"] = df["dimension_value"].fillna("unknown").astype(str).str.strip()
    for col in ("numerator", "denominator", "value", "target", "achievement",
                "achievement_value"):
        if col not in df.columns:  # achievement_value: older marts lack it
            continue
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float)
    df["quarter"] = [Quarter.of(d).code for d in df["period_start"]]
    return df
