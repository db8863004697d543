"""Running the suites with Great Expectations 1.x on the warehouse.

GE's SQL data sources do not work on DuckDB, so every check is a query into a pandas DataFrame
that GE then validates (pandas data source, one ephemeral context per runner). To stay fast on a
large warehouse, SQL narrows what reaches pandas: a column expectation fetches only the record id
and the columns it judges (one query per table and `where`) and, where the warehouse can tell
which rows it could refuse (`expectations/narrowing.py`), only those rows; an offending-rows
check fetches only the offending rows. Sample ids are sorted, so two runs on the same data show
the same sample; CRM participant ids are replaced by their pseudonym before they leave this
module. The ids go to the warehouse's id table and the data lead's annex only (see
`expectations/outcomes.py`), so a sample can be large: the data lead works from it.

Each offending-rows query runs on its own (a query that fails is that check's outcome and no
other's), but GE judges them all in one validation: one frame holds a row per offending row,
tagged with the check it offends, and each check's `expect_table_row_count_to_equal: 0` counts
only its own rows (a row condition on the tag). A GE validation has a fixed cost far above what
counting a check's rows costs, and a nightly gate runs some fifty offending-rows checks.
"""

from __future__ import annotations

import logging
import os
import queue
import re
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from common.warehouse import Warehouse
from connectors.crm.schema import code_lists
from connectors.crm.versions import ranked_versions_sql
from connectors.pseudonyms import pseudonym
from expectations.narrowing import candidate_condition, candidates_where
from expectations.outcomes import EMPTY_ID, CheckOutcome
from expectations.suites import Check, Suite, TableSuite

log = logging.getLogger("sea.expectations")

# Offending ids kept per failing check (the count is always exact): what the id table in the
# warehouse and the data lead's annex list. Never logged, so it can be generous.
DEFAULT_SAMPLE_SIZE = 1000
_CODE_LIST = re.compile(r"\{code_list:([a-z_]+)\}")
_CRM_RANKED = re.compile(r"\{crm_ranked_versions:([a-z_]+)\}")
_TAG = "check"  # column of the offending-rows frame: which check (its position) a row offends


class _GE:
    """One ephemeral GE context with a pandas data source, shared by the runs of a process.

    A validation runs the suite on the data frame with the validator that
    `ValidationDefinition.run` uses (`great_expectations.validator.v1_validator`, GE pinned in
    pyproject.toml), without registering a suite and a validation definition in the context
    first and without keeping the result in the context's store: nothing accumulates over a
    long-lived Dagster process, and a validation costs less. (`Batch.validate` would build the
    batch twice, hashing the frame twice.)
    """

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.row_conditions import Column
        from great_expectations.validator.v1_validator import Validator

        self.gx, self.gxe = gx, gxe
        self._column, self._validator = Column, Validator
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("sea_warehouse")
        frames = source.add_dataframe_asset("query_result")
        self.batch = frames.add_batch_definition_whole_dataframe("whole")

    def expectation(self, check: Check, kwargs: dict[str, Any], **meta: Any) -> Any:
        name = "".join(part.capitalize() for part in check.expectation.split("_"))
        cls = getattr(self.gxe, name, None)
        if cls is None:
            raise ValueError(f"attente Great Expectations inconnue : {check.expectation}")
        return cls(**kwargs, meta={"check": check.key, "severity": check.severity, **meta})

    def rows_tagged(self, tag: int) -> Any:
        """Row condition: the rows of the offending-rows frame that offend check number `tag`."""
        return self._column(_TAG) == tag

    def validate(self, frame: pd.DataFrame, expectations: Sequence[Any],
                 result_format: dict[str, Any]) -> Any:
        """Validate `frame` against `expectations` (an unregistered suite) in one GE run."""
        suite = self.gx.ExpectationSuite(name="sea", expectations=list(expectations))
        validator = self._validator(batch_definition=self.batch,
                                    batch_parameters={"dataframe": frame},
                                    result_format=result_format)
        return validator.validate_expectation_suite(suite)


@cache
def _shared_ge() -> _GE:
    return _GE()


def expectation_problems(suites: Iterable[Suite]) -> list[str]:
    """Checks whose expectation GE does not know or whose kwargs it refuses (for tests and CI)."""
    ge, problems = _shared_ge(), []
    for suite in suites:
        for check in suite.checks:
            try:
                ge.expectation(check, _resolve_kwargs(dict(check.kwargs)))
            except Exception as exc:  # noqa: BLE001 - every problem is listed
                problems.append(f"{check.key}: {_first_line(exc)}")
    return problems


def render_sql(sql: str, as_of: date) -> str:
    """Fill the placeholders of suite SQL: `{as_of}`, `{code_list:NAME}` and
    `{crm_ranked_versions:RESOURCE}` (raw versions ranked as staging ranks them).

    The values come from settings and the versioned code lists, never from data, so plain
    literals are safe and keep the SQL portable (DuckDB and PostgreSQL).
    """
    lists = code_lists()

    def codes(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in lists:
            raise ValueError(f"liste de codes inconnue : {name}")
        return "(" + ", ".join("'" + c.replace("'", "''") + "'" for c in sorted(lists[name])) + ")"

    sql = sql.replace("{as_of}", f"cast('{as_of.isoformat()}' as date)")
    sql = _CRM_RANKED.sub(lambda match: ranked_versions_sql(match.group(1)), sql)
    return _CODE_LIST.sub(codes, sql)


def _resolve_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """`value_set: {code_list: sex}` becomes the codes of that list (one list, many readers)."""
    resolved = dict(kwargs)
    value_set = resolved.get("value_set")
    if isinstance(value_set, dict) and set(value_set) == {"code_list"}:
        resolved["value_set"] = sorted(code_lists()[value_set["code_list"]])
    return resolved


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


@dataclass(frozen=True)
class _Fetched:
    """An offending-rows query that ran: what its outcome needs once GE has judged it."""

    table: TableSuite
    check: Check
    count: int  # offending rows
    head: pd.DataFrame  # the first `sample_size` of them, in record id order
    seconds: float  # spent on the query


class SuiteRunner:
    """Runs table suites on one warehouse connection for one as-of date."""

    def __init__(self, wh: Warehouse, *, as_of: date, pseudonym_key: str,
                 sample_size: int = DEFAULT_SAMPLE_SIZE, narrow: bool = True) -> None:
        self.wh, self.as_of, self.sample_size = wh, as_of, sample_size
        self._key = pseudonym_key
        self._ge = _shared_ge()
        self._narrow = narrow  # False: GE receives every row (tests compare both)

    # -- public ------------------------------------------------------------------------------
    def run(self, suites: Iterable[Suite]) -> list[CheckOutcome]:
        return self.run_tables([t for s in suites for t in s.tables])

    def run_table(self, table: TableSuite) -> list[CheckOutcome]:
        """Every check of one table; a check that cannot run is a failed outcome, never a crash."""
        return self.run_tables([table])

    def run_tables(self, tables: Sequence[TableSuite]) -> list[CheckOutcome]:
        """Every check of the tables, in order; the offending-rows checks in one GE validation.

        The offending-rows queries run in a second thread on their own connection while this
        one has Great Expectations validate the column frames, then this thread takes its share
        of the queries still waiting: the database works while GE's Python does, and neither
        core waits for the other's work.
        """
        outcomes: dict[tuple[int, str], CheckOutcome] = {}
        queries: queue.SimpleQueue = queue.SimpleQueue()
        columns: list[tuple[int, TableSuite, str | None, list[Check]]] = []
        for index, table in enumerate(tables):
            if not self.wh.table_exists(table.table):
                for c in table.checks:
                    outcomes[index, c.name] = CheckOutcome(
                        check=c, passed=False, row_count=0, error=f"table absente : {table.table}")
                continue
            groups: dict[str | None, list[Check]] = {}
            for check in table.checks:
                if check.offending is None:
                    groups.setdefault(check.where, []).append(check)
                else:
                    queries.put(((index, check.name), table, check))
            columns.extend((index, table, where, checks) for where, checks in groups.items())
        found: dict[tuple[int, str], _Fetched | CheckOutcome] = {}
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(self._fetch_offending_queued, queries, None)
            types: dict[str, dict[str, str]] = {}  # column types, read once per table
            for index, table, where, checks in columns:
                for outcome in self._run_columns(table, where, checks, types):
                    outcomes[index, outcome.check.name] = outcome
            found.update(self._fetch_offending_queued(queries, self.wh))
            found.update(pending.result())
        fetched: list[tuple[tuple[int, str], _Fetched]] = []
        for index, table in enumerate(tables):  # back in the suites' order
            for check in table.checks:
                item = found.get((index, check.name))
                if isinstance(item, CheckOutcome):
                    outcomes[index, check.name] = item
                elif item is not None:
                    fetched.append(((index, check.name), item))
        judged = self._judge_offending([f for _, f in fetched])
        outcomes.update(zip([place for place, _ in fetched], judged, strict=True))
        return [outcomes[index, c.name] for index, t in enumerate(tables) for c in t.checks]

    def _fetch_offending_queued(self, queries: queue.SimpleQueue, wh: Warehouse | None,
                                ) -> dict[tuple[int, str], _Fetched | CheckOutcome]:
        """Offending-rows queries taken from `queries` until none is left, on `wh` or (None)
        on a connection of this thread's own."""
        done: dict[tuple[int, str], _Fetched | CheckOutcome] = {}
        if queries.empty():
            return done
        own = self.wh.reopen() if wh is None else None
        try:
            while True:
                try:
                    place, table, check = queries.get_nowait()
                except queue.Empty:
                    return done
                done[place] = self._fetch_offending(table, check, own or wh)
        finally:
            if own is not None:
                own.close()

    # -- column expectations ----------------------------------------------------------------
    def _run_columns(self, table: TableSuite, where: str | None, checks: list[Check],
                     types: dict[str, dict[str, str]]) -> list[CheckOutcome]:
        """The column checks of one table sharing one `where`: those the warehouse can narrow
        (`expectations/narrowing.py`) judged on the rows they could refuse, the others on
        every row. `types` caches each table's column types over a run."""
        where_sql = render_sql(where, self.as_of) if where else None
        conditions: dict[str, str | None] = {c.key: None for c in checks}
        if self._narrow:
            if table.table not in types:
                try:
                    types[table.table] = self.wh.column_types(table.table)
                except Exception:  # noqa: BLE001 - no narrowing; the checks' own query reports
                    types[table.table] = {}
            conditions = {c.key: candidate_condition(
                c, _resolve_kwargs(dict(c.kwargs)), table.table, where_sql, types[table.table],
                self.wh.dialect) for c in checks}
        narrowed = [c for c in checks if conditions[c.key] is not None]
        whole = [c for c in checks if conditions[c.key] is None]
        outcomes = {o.check.key: o for o in (
            *(self._judge_columns(table, where_sql, narrowed,
                                  candidates_where(conditions[c.key] for c in narrowed))
              if narrowed else ()),
            *(self._judge_columns(table, where_sql, whole, None) if whole else ()))}
        return [outcomes[c.key] for c in checks]

    def _judge_columns(self, table: TableSuite, where_sql: str | None, checks: list[Check],
                       candidates: str | None) -> list[CheckOutcome]:
        """GE validates one frame for `checks`: the rows meeting `candidates` (the number of
        rows checked then counted by SQL) or, None, every row of the table (and `where`)."""
        started = time.perf_counter()
        columns = list(dict.fromkeys(c for check in checks for c in check.columns))
        if table.record_id in columns:  # the record id is a judged column: fetched once
            id_column = table.record_id
            select = ", ".join([id_column, *(c for c in columns if c != id_column)])
        else:
            id_column = "record_id"
            select = ", ".join([f"{table.record_id} as record_id", *columns])
        sql = f"select {select} from {table.table}"
        conditions = [f"({c})" for c in (where_sql, candidates) if c]
        if conditions:
            sql += " where " + " and ".join(conditions)
        sql += " order by 1"
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": self.sample_size,
                         "unexpected_index_column_names": [id_column],
                         # a pandas filter string of every offending index: never read here
                         "return_unexpected_index_query": False}
        try:
            checked = None
            if candidates is not None:
                count_sql = f"select count(*) from {table.table}"
                if where_sql:
                    count_sql += f" where {where_sql}"
                checked = int(self.wh.scalar(count_sql))
            frame = self.wh.fetch_df(sql)
            expectations = [self._ge.expectation(c, _resolve_kwargs(dict(c.kwargs)))
                            for c in checks]
            result = self._ge.validate(frame, expectations, result_format)
        except Exception as exc:  # noqa: BLE001 - reported as the checks' outcome
            return [CheckOutcome(check=c, passed=False, row_count=0, error=_first_line(exc))
                    for c in checks]
        seconds = (time.perf_counter() - started) / len(checks)
        by_key = {r.expectation_config.meta.get("check"): r for r in result.results}
        return [self._column_outcome(table, c, by_key[c.key], id_column, seconds, checked)
                for c in checks]

    def _column_outcome(self, table: TableSuite, check: Check, result: Any, id_column: str,
                        seconds: float, checked: int | None = None) -> CheckOutcome:
        info = result.exception_info or {}
        if info.get("raised_exception"):
            message = str(info.get("exception_message") or "erreur Great Expectations")
            return CheckOutcome(check=check, passed=False, row_count=0,
                                error=message.splitlines()[0][:300], seconds=seconds)
        found = result.result or {}
        ids = [row.get(id_column) for row in found.get("partial_unexpected_index_list") or []]
        count = found.get("unexpected_count")
        if count is None:  # aggregate expectation: the table as a whole passes or not
            count = 0 if result.success else 1
        return CheckOutcome(
            check=check, passed=bool(result.success), row_count=int(count),
            checked_count=checked if checked is not None else found.get("element_count"),
            sample_ids=self._sample(table, ids),
            seconds=seconds, observed=found.get("observed_value"))

    # -- offending-rows queries -------------------------------------------------------------
    def _fetch_offending(self, table: TableSuite, check: Check,
                         wh: Warehouse) -> _Fetched | CheckOutcome:
        """Run one check's query; a query that fails is that check's failed outcome."""
        started = time.perf_counter()
        try:
            sql = render_sql(check.offending or "", self.as_of).strip().rstrip(";")
            frame = wh.fetch_df(f"select * from ({sql}) offending order by 1")
            if "record_id" not in frame.columns:
                raise ValueError("la requête « offending » doit renvoyer une colonne record_id")
        except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
            return CheckOutcome(check=check, passed=False, row_count=0, error=_first_line(exc),
                                seconds=time.perf_counter() - started)
        return _Fetched(table=table, check=check, count=len(frame),
                        head=frame.head(self.sample_size),
                        seconds=time.perf_counter() - started)

    def _judge_offending(self, fetched: list[_Fetched]) -> list[CheckOutcome]:
        """GE judges every fetched check in one validation; outcomes in the order given.

        The frame has one row per offending row, its `check` column the position of its check
        in `fetched`; each check's expectation is its own (the row count equals 0) restricted
        to its rows, so GE sees and counts exactly what it would on the check's rows alone.
        """
        if not fetched:
            return []
        started = time.perf_counter()
        expectations: dict[int, Any] = {}
        failed: dict[int, str] = {}
        for tag, item in enumerate(fetched):
            kwargs = {**dict(item.check.kwargs), "row_condition": self._ge.rows_tagged(tag)}
            try:
                expectations[tag] = self._ge.expectation(item.check, kwargs, tag=tag)
            except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
                failed[tag] = _first_line(exc)
        results: dict[int, Any] = {}
        if expectations:
            tags = np.repeat(np.arange(len(fetched), dtype="int64"),
                             [item.count for item in fetched])
            frame = pd.DataFrame({_TAG: tags})
            result_format = {"result_format": "SUMMARY",
                             "partial_unexpected_count": self.sample_size}
            try:
                validated = self._ge.validate(frame, list(expectations.values()), result_format)
            except Exception as exc:  # noqa: BLE001 - reported as each check's outcome
                failed.update({tag: _first_line(exc) for tag in expectations})
            else:
                results = {r.expectation_config.meta.get("tag"): r for r in validated.results}
        share = (time.perf_counter() - started) / len(fetched)
        outcomes = []
        for tag, item in enumerate(fetched):
            seconds = item.seconds + share
            if tag in failed:
                outcomes.append(CheckOutcome(check=item.check, passed=False, row_count=0,
                                             error=failed[tag], seconds=seconds))
                continue
            result = results[tag]
            details: tuple[str | None, ...] = ()
            if "detail" in item.head.columns:
                details = tuple(None if pd.isna(d) else str(d) for d in item.head["detail"])
            outcomes.append(CheckOutcome(
                check=item.check, passed=bool(result.success), row_count=item.count,
                sample_ids=self._sample(item.table, list(item.head["record_id"]),
                                        keep_order=True),
                sample_details=details, seconds=seconds,
                observed=(result.result or {}).get("observed_value")))
        return outcomes

    # -- samples -----------------------------------------------------------------------------
    def _sample(self, table: TableSuite, ids: list[Any], keep_order: bool = False
                ) -> tuple[str, ...]:
        shown = [EMPTY_ID if i is None or (isinstance(i, float) and pd.isna(i)) else str(i)
                 for i in ids]
        if table.pseudonymise:
            shown = [i if i == EMPTY_ID else pseudonym(self._key, i) for i in shown]
        shown = list(dict.fromkeys(shown)) if keep_order else sorted(set(shown))
        return tuple(shown[: self.sample_size])
