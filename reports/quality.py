"""The data-quality summary a quarterly report prints
(docs/outputs.md#6-the-data-quality-gate).

The gate itself (Great Expectations suites as Dagster asset checks, the waivers file) is built
elsewhere; it hands the report this plain structure, so the report does not depend on how the
checks were run. A failing `error` check without a waiver for the quarter means the gate did not
pass: building the deliverables then refuses, as the gate would.

What a sent document shows of a check is its rule in French, its severity, its count and the
antennas concerned (`public_rule`, `antennas_fr`): never the check's key, table or records —
technical names and record ids are for the data lead's internal annex.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Severity = Literal["error", "warn"]
CheckStatus = Literal["passed", "failed"]


@dataclass(frozen=True)
class QualityCheck:
    """One check of the gate. `message_fr` is the internal line (names the table); `rule_fr`
    the rule alone, in French, which is what a sent report prints."""

    name: str
    severity: Severity
    status: CheckStatus
    message_fr: str
    failing_rows: int = 0
    table: str | None = None
    rule_fr: str | None = None
    antennas: tuple[tuple[str, int], ...] = ()  # (antenna code, records), where known

    @property
    def failed(self) -> bool:
        return self.status == "failed"

    @property
    def public_rule(self) -> str:
        """The rule as a sent document states it (the internal line when no rule is given)."""
        return self.rule_fr or self.message_fr


@dataclass(frozen=True)
class Waiver:
    """A reviewed entry of the waivers file: one failing `error` check accepted for a quarter."""

    check: str
    quarter: str
    reason: str
    who: str


@dataclass(frozen=True)
class QualitySummary:
    """The gate's outcome for the data a quarter's deliverables read."""

    checks: Sequence[QualityCheck]
    waivers: Sequence[Waiver] = field(default_factory=tuple)
    evaluated_at: datetime | None = None

    def waivers_for(self, quarter: str) -> list[Waiver]:
        return [w for w in self.waivers if w.quarter == quarter]

    def waived(self, quarter: str) -> list[tuple[QualityCheck, Waiver]]:
        """Failing error checks accepted by a waiver of this quarter (printed in the report)."""
        by_check = {w.check: w for w in self.waivers_for(quarter)}
        return [(c, by_check[c.name]) for c in self.checks
                if c.failed and c.severity == "error" and c.name in by_check]

    def blocking(self, quarter: str) -> list[QualityCheck]:
        """Failing error checks without a waiver: the gate does not pass."""
        waived = {w.check for w in self.waivers_for(quarter)}
        return [c for c in self.checks
                if c.failed and c.severity == "error" and c.name not in waived]

    def warnings(self) -> list[QualityCheck]:
        return [c for c in self.checks if c.failed and c.severity == "warn"]

    def passed(self) -> list[QualityCheck]:
        return [c for c in self.checks if not c.failed]

    def fingerprint(self, quarter: str) -> dict:
        """What the report shows of it, for deciding whether a re-run changed anything."""
        return {
            "checks": sorted([c.public_rule, c.severity, c.status, c.failing_rows,
                              [list(a) for a in c.antennas]] for c in self.checks),
            "waivers": sorted([w.reason, w.who] for w in self.waivers_for(quarter)),
        }

    def counts(self, quarter: str) -> dict[str, int]:
        """The verdict in numbers, for the manifest of a delivery (no rule, no name)."""
        return {"controles": len(self.checks), "satisfaits": len(self.passed()),
                "avertissements": len(self.warnings()),
                "derogations": len(self.waived(quarter)),
                "bloquants": len(self.blocking(quarter))}


class QualityGateError(RuntimeError):
    """The deliverables of a quarter are not built past failing, unwaived `error` checks."""

    def __init__(self, quarter: str, checks: Sequence[QualityCheck]) -> None:
        self.checks = list(checks)
        names = ", ".join(f"{c.name} ({c.failing_rows} lignes)" for c in checks)
        super().__init__(f"quality gate failed for {quarter}: {names}")
