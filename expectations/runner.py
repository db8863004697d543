"""Running the suites with Great Expectations 1.x on the warehouse.

GE's SQL data sources do not work on DuckDB, so every check is a query into a pandas DataFrame
that GE then validates (pandas data source, one ephemeral context per runner). To stay fast on a
large warehouse, SQL narrows what reaches pandas: a column expectation fetches only the record id
and the columns it judges (one query per table and `where`), an offending-rows check fetches only
the offending rows. Sample ids are sorted, so two runs on the same data show the same sample;
CRM participant ids are replaced by their pseudonym before they leave this module.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Sequence
from datetime import date
from functools import cache
from typing import Any

import pandas as pd

from connectors.crm.schema import code_lists
from connectors.pseudonyms import pseudonym
from connectors.warehouse import Warehouse
from expectations.outcomes import EMPTY_ID, CheckOutcome
from expectations.suites import Check, Suite, TableSuite

log = logging.getLogger("sea.expectations")

DEFAULT_SAMPLE_SIZE = 10
_CODE_LIST = re.compile(r"\{code_list:([a-z_]+)\}")


class _GE:
    """One ephemeral GE context with a pandas data source, shared by the runs of a process.

    Suites and validation definitions are registered per validation and deleted after it, so
    the context does not grow over a long-lived Dagster process.
    """

    def __init__(self) -> None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
        import great_expectations as gx
        import great_expectations.expectations as gxe
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self.gx, self.gxe = gx, gxe
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("sea_warehouse")
        frames = source.add_dataframe_asset("query_result")
        self.batch = frames.add_batch_definition_whole_dataframe("whole")
        self._count = 0

    def expectation(self, check: Check, kwargs: dict[str, Any]) -> Any:
        name = "".join(part.capitalize() for part in check.expectation.split("_"))
        cls = getattr(self.gxe, name, None)
        if cls is None:
            raise ValueError(f"attente Great Expectations inconnue : {check.expectation}")
        return cls(**kwargs, meta={"check": check.key, "severity": check.severity})

    def validate(self, frame: pd.DataFrame, expectations: Sequence[Any], sample_size: int,
                 index_column: str | None) -> Any:
        """Validate `frame` against `expectations` with a registered ValidationDefinition."""
        self._count += 1
        name = f"sea_{self._count}"
        result_format: dict[str, Any] = {"result_format": "SUMMARY",
                                         "partial_unexpected_count": sample_size}
        if index_column is not None:
            result_format["unexpected_index_column_names"] = [index_column]
        suite = self.context.suites.add(
            self.gx.ExpectationSuite(name=name, expectations=list(expectations)))
        try:
            definition = self.context.validation_definitions.add(
                self.gx.ValidationDefinition(name=name, data=self.batch, suite=suite))
            try:
                return definition.run(batch_parameters={"dataframe": frame},
                                      result_format=result_format)
            finally:
                self.context.validation_definitions.delete(name)
        finally:
            self.context.suites.delete(name)


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
    """Fill the placeholders of suite SQL: `{as_of}` and `{code_list:NAME}`.

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


class SuiteRunner:
    """Runs table suites on one warehouse connection for one as-of date."""

    def __init__(self, wh: Warehouse, *, as_of: date, pseudonym_key: str,
                 sample_size: int = DEFAULT_SAMPLE_SIZE) -> None:
        self.wh, self.as_of, self.sample_size = wh, as_of, sample_size
        self._key = pseudonym_key
        self._ge = _shared_ge()

    # -- public ------------------------------------------------------------------------------
    def run(self, suites: Iterable[Suite]) -> list[CheckOutcome]:
        return [o for s in suites for t in s.tables for o in self.run_table(t)]

    def run_table(self, table: TableSuite) -> list[CheckOutcome]:
        """Every check of one table; a check that cannot run is a failed outcome, never a crash."""
        if not self.wh.table_exists(table.table):
            return [CheckOutcome(check=c, passed=False, row_count=0,
                                 error=f"table absente : {table.table}") for c in table.checks]
        outcomes: dict[str, CheckOutcome] = {}
        groups: dict[str | None, list[Check]] = {}
        for check in table.checks:
            if check.offending is None:
                groups.setdefault(check.where, []).append(check)
            else:
                outcomes[check.name] = self._run_offending(table, check)
        for where, checks in groups.items():
            for outcome in self._run_columns(table, where, checks):
                outcomes[outcome.check.name] = outcome
        return [outcomes[c.name] for c in table.checks]

    # -- column expectations ----------------------------------------------------------------
    def _run_columns(self, table: TableSuite, where: str | None,
                     checks: list[Check]) -> list[CheckOutcome]:
        started = time.perf_counter()
        columns = list(dict.fromkeys(c for check in checks for c in check.columns))
        select = ", ".join([f"{table.record_id} as record_id", *columns])
        sql = f"select {select} from {table.table}"
        if where:
            sql += f" where {render_sql(where, self.as_of)}"
        sql += " order by 1"
        try:
            frame = self.wh.fetch_df(sql)
            expectations = [self._ge.expectation(c, _resolve_kwargs(dict(c.kwargs)))
                            for c in checks]
            result = self._ge.validate(frame, expectations, self.sample_size, "record_id")
        except Exception as exc:  # noqa: BLE001 - reported as the checks' outcome
            return [CheckOutcome(check=c, passed=False, row_count=0, error=_first_line(exc))
                    for c in checks]
        seconds = (time.perf_counter() - started) / len(checks)
        by_key = {r.expectation_config.meta.get("check"): r for r in result.results}
        return [self._column_outcome(table, c, by_key[c.key], seconds) for c in checks]

    def _column_outcome(self, table: TableSuite, check: Check, result: Any,
                        seconds: float) -> CheckOutcome:
        info = result.exception_info or {}
        if info.get("raised_exception"):
            message = str(info.get("exception_message") or "erreur Great Expectations")
            return CheckOutcome(check=check, passed=False, row_count=0,
                                error=message.splitlines()[0][:300], seconds=seconds)
        found = result.result or {}
        ids = [row.get("record_id") for row in found.get("partial_unexpected_index_list") or []]
        count = found.get("unexpected_count")
        if count is None:  # aggregate expectation: the table as a whole passes or not
            count = 0 if result.success else 1
        return CheckOutcome(
            check=check, passed=bool(result.success), row_count=int(count),
            checked_count=found.get("element_count"), sample_ids=self._sample(table, ids),
            seconds=seconds, observed=found.get("observed_value"))

    # -- offending-rows queries -------------------------------------------------------------
    def _run_offending(self, table: TableSuite, check: Check) -> CheckOutcome:
        started = time.perf_counter()
        try:
            sql = render_sql(check.offending or "", self.as_of).strip().rstrip(";")
            frame = self.wh.fetch_df(f"select * from ({sql}) offending order by 1")
            if "record_id" not in frame.columns:
                raise ValueError("la requête « offending » doit renvoyer une colonne record_id")
            expectation = self._ge.expectation(check, dict(check.kwargs))
            result = self._ge.validate(frame, [expectation], self.sample_size, None).results[0]
        except Exception as exc:  # noqa: BLE001 - reported as the check's outcome
            return CheckOutcome(check=check, passed=False, row_count=0, error=_first_line(exc),
                                seconds=time.perf_counter() - started)
        head = frame.head(self.sample_size)
        details: tuple[str | None, ...] = ()
        if "detail" in frame.columns:
            details = tuple(None if pd.isna(d) else str(d) for d in head["detail"])
        return CheckOutcome(
            check=check, passed=bool(result.success), row_count=len(frame),
            sample_ids=self._sample(table, list(head["record_id"]), keep_order=True),
            sample_details=details, seconds=time.perf_counter() - started,
            observed=(result.result or {}).get("observed_value"))

    # -- samples -----------------------------------------------------------------------------
    def _sample(self, table: TableSuite, ids: list[Any], keep_order: bool = False
                ) -> tuple[str, ...]:
        shown = [EMPTY_ID if i is None or (isinstance(i, float) and pd.isna(i)) else str(i)
                 for i in ids]
        if table.pseudonymise:
            shown = [i if i == EMPTY_ID else pseudonym(self._key, i) for i in shown]
        shown = list(dict.fromkeys(shown)) if keep_order else sorted(set(shown))
        return tuple(shown[: self.sample_size])
