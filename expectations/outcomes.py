"""What one check found, phrased for staff (French) and structured for the UI and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from expectations.suites import Check

SEVERITY_FR = {"error": "bloquant", "warn": "avertissement"}
EMPTY_ID = "(vide)"


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one check on the current warehouse.

    `row_count` is the number of offending rows (records); `checked_count` how many rows the
    expectation judged when known (column expectations); `sample_ids` the first offending record
    ids in id order, participants shown by their pseudonym only.
    """

    check: Check
    passed: bool
    row_count: int
    checked_count: int | None = None
    sample_ids: tuple[str, ...] = ()
    sample_details: tuple[str | None, ...] = ()
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

    def message(self) -> str:
        """One French line: table, rule, how many rows, sample of ids."""
        head = f"{self.check.table} — {self.check.rule}"
        if self.error is not None:
            return f"{head} : contrôle impossible ({self.error})"
        if self.passed:
            return f"{head} : conforme"
        of = f" sur {self.checked_count}" if self.checked_count is not None else ""
        text = f"{head} : {self.row_count} ligne(s) en échec{of}"
        if self.sample_ids:
            more = " …" if self.row_count > len(self.sample_ids) else ""
            text += f" ; exemples : {', '.join(self.sample_ids)}{more}"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form for the reports library and Dagster metadata."""
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
            "sample_ids": list(self.sample_ids),
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

