"""What the Plan SEA reads: the versioned reference data (logframe, indicator catalogue), the
targets, and the plans kept in the shared spreadsheets (evaluation plan, action plan), through
the warehouse so the document shows exactly what the marts hold.

Every frame is plain data; `fingerprint()` hashes the part of it the document shows, so the
document is rewritten only when the plan changes.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import yaml

from common.quarters import Quarter
from common.warehouse import Warehouse

TOOLS_FILE = Path(__file__).resolve().parent / "learning_tools.yml"
# columns that move with R every day without the plan changing: left out of the fingerprint
_VOLATILE = {"as_of", "days_to_start", "days_to_end", "days_since_status_change", "days_overdue"}


@dataclass
class PlanInputs:
    """Everything the document shows, as read from the warehouse."""

    as_of: date
    logframe: pd.DataFrame
    catalogue: pd.DataFrame
    baselines: pd.DataFrame  # indicator_code, value, numerator, denominator, population
    targets: pd.DataFrame  # indicator_code, programme, antenna, year, quarter (0: annual), target
    evaluations: pd.DataFrame
    criteria: pd.DataFrame
    questions: pd.DataFrame
    evaluation_indicators: pd.DataFrame
    actions: pd.DataFrame
    lessons: pd.DataFrame
    recommendations: pd.DataFrame
    recommendations_by_quarter: pd.DataFrame
    programmes: list[str] = field(default_factory=list)
    tools: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    # indicators with something recorded for the organisation by the as-of date (a non-zero
    # value): an axis none of whose indicators has any says it has no data yet
    recorded: frozenset[str] = frozenset()


def _present_tables(wh: Warehouse) -> set[str]:
    """`schema.table` of every table the plan may read: one catalogue query instead of one
    `table_exists` per table (each costs a few ms on DuckDB)."""
    rows = wh.fetchall("select table_schema, table_name from information_schema.tables "
                       "where table_schema in ('marts', 'reference')")
    return {f"{schema}.{table}" for schema, table in rows}


def _frame(wh: Warehouse, present: set[str], table: str, sql: str | None = None,
           params: list | None = None, missing: list[str] | None = None) -> pd.DataFrame:
    if table not in present:
        if missing is not None:
            missing.append(table)
        return pd.DataFrame()
    return wh.fetch_df(sql or f"select * from {table}", params)


def read_tools(path: Path = TOOLS_FILE) -> list[dict]:
    """The learning tools of the plan, texts trimmed (YAML folded blocks end with a newline)."""
    with path.open(encoding="utf-8") as handle:
        tools = yaml.safe_load(handle).get("tools", [])
    return [{k: v.strip() if isinstance(v, str) else v for k, v in tool.items()}
            for tool in tools]


def read_inputs(wh: Warehouse) -> PlanInputs:
    missing: list[str] = []
    present = _present_tables(wh)

    def frame(table: str, sql: str | None = None, params: list | None = None) -> pd.DataFrame:
        return _frame(wh, present, table, sql, params, missing)

    as_of = None
    for table in ("marts.evaluation_plan", "marts.action_plan", "marts.indicator_values"):
        if table in present:
            as_of = wh.scalar(f"select max(as_of) from {table}")
            if as_of is not None:
                break
    if as_of is None:
        raise LookupError("les marts du plan (marts.evaluation_plan, marts.action_plan) ne sont "
                          "pas construits : lancer une actualisation d'abord")
    as_of = pd.Timestamp(as_of).date()
    baselines = frame("marts.indicator_values", """
        select indicator_code, value, numerator, denominator, population
        from marts.indicator_values
        where period_type = 'year' and period_start = ? and programme = 'ALL'
          and antenna = 'ALL' and dimension = 'total'""", [date(2020, 1, 1)])
    # the targets as the mart carries them (the report reads the same rows): annual targets on
    # year rows, quarterly ones on their quarter rows (not the annual ones the mart also
    # attaches to quarters for their year to date)
    quarterly = "false"
    if "marts.indicator_values" in present and wh.fetchall(
            "select 1 from information_schema.columns where table_schema = 'marts' "
            "and table_name = 'indicator_values' and column_name = 'target_basis'"):
        quarterly = "period_type = 'quarter' and target_basis = 'quarter'"
    targets = frame("marts.indicator_values", f"""
        select indicator_code, programme, antenna, period_type, period_start, target
        from marts.indicator_values
        where dimension = 'total' and target is not null
          and (period_type = 'year' or ({quarterly}))
        order by indicator_code, period_start, programme, antenna""")
    if not targets.empty:
        starts = [pd.Timestamp(d) for d in targets["period_start"]]
        targets["year"] = [d.year for d in starts]
        targets["quarter"] = [Quarter.of(d.date()).number if t == "quarter" else 0
                              for d, t in zip(starts, targets["period_type"], strict=True)]
    return PlanInputs(
        as_of=as_of,
        logframe=frame("reference.logframe",
                       "select * from reference.logframe order by sort_order"),
        catalogue=frame("reference.indicator_catalogue",
                        "select * from reference.indicator_catalogue order by display_order"),
        baselines=baselines, targets=targets,
        evaluations=frame("marts.evaluation_plan", "select * from marts.evaluation_plan "
                          "order by planned_start, evaluation_id"),
        criteria=frame("marts.evaluation_plan_criteria"),
        questions=frame("marts.evaluation_plan_questions", "select * from "
                        "marts.evaluation_plan_questions order by evaluation_id, "
                        "question_number"),
        evaluation_indicators=frame("marts.evaluation_plan_indicators"),
        actions=frame("marts.action_plan", "select * from marts.action_plan "
                      "order by start_date, action_id"),
        lessons=frame("marts.learning_log"),
        recommendations=frame("marts.recommendations"),
        recommendations_by_quarter=frame("marts.recommendations_by_quarter"),
        programmes=[r[0] for r in wh.fetchall(
            "select programme from reference.programme_reference order by programme")]
        if "reference.programme_reference" in present else [],
        tools=read_tools(),
        missing=missing,
        recorded=frozenset(r[0] for r in wh.fetchall(
            "select distinct indicator_code from marts.indicator_values where programme = 'ALL' "
            "and dimension = 'total' and value is not null and value <> 0"))
        if "marts.indicator_values" in present else frozenset(),
    )


# -- the fingerprint ---------------------------------------------------------------------------
def _plain(value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, (pd.Timestamp, date)):
        return str(value)[:10]
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _frame_rows(df: pd.DataFrame) -> list[list[object]]:
    if df.empty:
        return []
    cols = sorted(c for c in df.columns if c not in _VOLATILE)
    rows = [[_plain(v) for v in row] for row in df[cols].itertuples(index=False)]
    return [cols, *sorted(rows, key=lambda r: json.dumps(r, default=str))]


def fingerprint(inputs: PlanInputs, *extra: str,
                shown: Mapping[str, object] | None = None) -> str:
    """SHA-256 of what the document shows (R-dependent counters left out) and of `extra`
    (the templates), so an unchanged plan is not rewritten every night.

    `shown` replaces a frame by what the document prints of it: the baselines are printed
    rounded (a 2020 rate to 0.1 point), and a night that corrects a few 2020 records moves
    the rate in its third decimal without changing a word of the plan.
    """
    shown = shown or {}
    payload = {name: shown[name] if name in shown else _frame_rows(getattr(inputs, name))
               for name in ("logframe", "catalogue", "baselines", "targets", "evaluations",
                            "criteria", "questions", "evaluation_indicators", "actions",
                            "lessons", "recommendations")}
    payload["tools"] = inputs.tools
    payload["programmes"] = inputs.programmes
    payload["extra"] = list(extra)
    text = json.dumps(payload, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
