"""What one check found, phrased for staff (French) and structured for the UI and reports.

An outcome carries the offending record ids it found, but only the warehouse's id table
(`expectations/failures.py`) and the data lead's internal annex read them: its French line and
its plain form — what logs, Dagster metadata and reports receive — give the count and where the
ids are, never an id (an id in Dagster's run history would outlive the person's erasure).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from common.code_lists import labels
from expectations.suites import Check

SEVERITY_FR = labels("check_severity")  # the code_lists seed, as every label
EMPTY_ID = "(vide)"
FAILURES_TABLE = "marts.dq_check_failures"  # where the offending ids of failing checks live


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check on the current warehouse.

    `row_count` is the number of offending rows (records); `checked_count` how many rows the
    expectation judged when known (column expectations); `sample_ids` the first offending record
    ids in id order, participants shown by their pseudonym only — kept out of `repr`, `message`
    and `as_dict`, which reach logs and Dagster.
    """

    check: Check
    passed: bool
    row_count: int
    checked_count: int | None = None
    sample_ids: tuple[str, ...] = field(default=(), repr=False)
    sample_details: tuple[str | None, ...] = field(default=(), repr=False)
    error: str | None = None  # the check could not run (table absent, SQL error)
    seconds: float = 0.0
    observed: Any = None  # GE's observed value for aggregate expectations
    waiver: dict[str, str] | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        return self.check.key

    @property
    def severity(self) -> str:
        return self.check.severity

    @property
    def blocking(self) -> bool:
        """An `error` failure that no waiver covers: it stops the quarterly reports."""
        return not self.passed and self.severity == "error" and self.waiver is None

    def with_waiver(self, waiver: dict[str, str]) -> CheckOutcome:
        return CheckOutcome(**{**self.__dict__, "waiver": waiver})

    @property
    def ids_location(self) -> str:
        """Where the data lead reads the offending records: the table and its filter."""
        return f"{FAILURES_TABLE} où check_key = '{self.key}'"

    def message(self) -> str:
        """One French line for logs and Dagster: table, rule, how many rows, where the ids are."""
        head = f"{self.check.table} — {self.check.rule}"
        if self.error is not None:
            return f"{head} : contrôle impossible ({self.error})"
        if self.passed:
            return f"{head} : conforme"
        of = f" sur {self.checked_count}" if self.checked_count is not None else ""
        return (f"{head} : {self.row_count} ligne(s) en échec{of} ; "
                f"identifiants : {self.ids_location}")

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the reports library and Dagster metadata: no record id."""
        return {
            "check": self.key,
            "suite": self.check.suite,
            "table": self.check.table,
            "asset_key": list(self.check.asset_key),
            "name": self.check.name,
            "severity": self.severity,
            "severity_fr": SEVERITY_FR[self.severity],
            "rule": self.check.rule,
            "passed": self.passed,
            "row_count": self.row_count,
            "checked_count": self.checked_count,
            "ids_location": self.ids_location,
            "error": self.error,
            "message": self.message(),
            "waiver": dict(self.waiver) if self.waiver else None,
        }


def summarise(outcomes: list[CheckOutcome]) -> dict[str, int]:
    return {
        "checks": len(outcomes),
        "passed": sum(o.passed for o in outcomes),
        "errors": sum(not o.passed and o.severity == "error" for o in outcomes),
        "warnings": sum(not o.passed and o.severity == "warn" for o in outcomes),
    }

