"""The data-quality gate in front of the quarterly deliverables
(docs/outputs.md#6-the-data-quality-gate).

`evaluate_gate` runs every expectation suite on the warehouse as it is now and sorts the failures:
*blocking* (`error`, not waived for the quarter), *waived* (`error` accepted by a data lead in
`expectations/waivers.yml`) and *warnings* (`warn`). The quarterly reporting run calls it itself —
not trusting the last nightly run — so a report is never built on data the gate has not seen, and
`make report` exits non-zero with the blocking checks named. `GateResult.as_dict()` is what the
reports library renders (warnings and waivers are printed in the report).

Counts only leave this module in logs, Dagster and reports; the offending ids go to the
warehouse (`marts.dq_check_failures`, rewritten at each evaluation) and, through
`annex_checks`, to the data lead's internal annex.

No Dagster here: the reports library and the CLI import it without loading the code location.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from common.quarters import Quarter
from common.settings import Settings
from common.warehouse import connect
from expectations.failures import write_failures
from expectations.outcomes import CheckOutcome, summarise
from expectations.runner import DEFAULT_SAMPLE_SIZE, SuiteRunner
from expectations.suites import Suite, SuiteError, all_checks, default_suites
from expectations.waivers import Waiver, check_quarter, load_waivers, waivers_for

log = logging.getLogger("sea.gate")
RULE_RESULTS = "marts.dq_rule_results"  # the scorecard by rule, antenna and month


@dataclass(frozen=True)
class GateResult:
    """What the gate found for one quarter's reporting run."""

    quarter: str
    as_of: date
    evaluated_at: datetime
    outcomes: tuple[CheckOutcome, ...]
    waivers: tuple[Waiver, ...] = field(default_factory=tuple)  # this quarter's, used or not
    # failing check -> ((antenna, records), ...) from the scorecard, where it mirrors the check
    antennas: dict[str, tuple[tuple[str, int], ...]] = field(default_factory=dict)

    @property
    def blocking(self) -> list[CheckOutcome]:
        """`error` failures no waiver covers: the deliverables must not be produced."""
        return [o for o in self.outcomes if o.blocking]

    @property
    def waived(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if not o.passed and o.waiver is not None]

    @property
    def warnings(self) -> list[CheckOutcome]:
        return [o for o in self.outcomes if not o.passed and o.severity == "warn"]

    @property
    def passed(self) -> bool:
        return not self.blocking

    def summary_fr(self) -> str:
        """The gate's verdict for staff and logs, one check per line."""
        counts = summarise(list(self.outcomes))
        verdict = "franchie" if self.passed else "BLOQUÉE"
        lines = [
            f"Contrôle qualité des données pour {self.quarter} (date d'arrêté {self.as_of}) : "
            f"porte {verdict} — {counts['checks']} contrôles, {len(self.blocking)} bloquant(s), "
            f"{len(self.waived)} avec dérogation, {len(self.warnings)} avertissement(s)."
        ]
        for title, items in (("Contrôles bloquants", self.blocking),
                             ("Contrôles en échec avec dérogation", self.waived),
                             ("Avertissements", self.warnings)):
            if items:
                lines.append(f"{title} :")
                lines += [f"  - [{o.key}] {o.message()}" for o in items]
        for outcome in self.waived:
            lines.append(f"  * {Waiver(**outcome.waiver).message()}")  # type: ignore[arg-type]
        return "\n".join(lines)

    def blocking_message(self) -> str:
        """What `make report` prints when it refuses to produce the deliverables."""
        if self.passed:
            return ""
        names = ", ".join(o.key for o in self.blocking)
        return (f"Rapport {self.quarter} non produit : {len(self.blocking)} contrôle(s) "
                f"bloquant(s) en échec ({names}).\n" + self.summary_fr())

    def quality_summary(self):  # -> reports.quality.QualitySummary (imported lazily)
        """The structure the reports library prints (reports/quality.py), every check included."""
        from reports.quality import QualityCheck, QualitySummary
        from reports.quality import Waiver as ReportWaiver

        checks = [QualityCheck(name=o.key, severity=o.severity,  # type: ignore[arg-type]
                               status="passed" if o.passed else "failed",
                               message_fr=o.message(), failing_rows=o.row_count,
                               table=o.check.table, rule_fr=o.check.rule,
                               antennas=self.antennas.get(o.key, ()))
                  for o in self.outcomes]
        waivers = [ReportWaiver(check=w.check, quarter=w.quarter, reason=w.reason, who=w.who)
                   for w in self.waivers]
        return QualitySummary(checks=checks, waivers=waivers, evaluated_at=self.evaluated_at)

    def annex_checks(self) -> list[dict[str, Any]]:
        """The failing checks with their offending ids: for the data lead's internal annex
        only (`reports/quality_annex.py`), never for logs, Dagster or what is sent."""
        return [{**o.as_dict(), "sample_ids": list(o.sample_ids),
                 "sample_details": list(o.sample_details),
                 "antennas": [list(a) for a in self.antennas.get(o.key, ())]}
                for o in self.outcomes if not o.passed]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready structure for the reports library (data-quality section of the report);
        Dagster stores it as the gate asset's value, so it holds no record id."""
        return {
            "quarter": self.quarter,
            "as_of": self.as_of.isoformat(),
            "evaluated_at": self.evaluated_at.isoformat(timespec="seconds"),
            "passed": self.passed,
            "counts": {**summarise(list(self.outcomes)), "blocking": len(self.blocking),
                       "waived": len(self.waived)},
            "blocking": [o.as_dict() for o in self.blocking],
            "waived": [o.as_dict() for o in self.waived],
            "warnings": [o.as_dict() for o in self.warnings],
            "waivers": [w.as_dict() for w in self.waivers],
            "summary_fr": self.summary_fr(),
        }


def quarter_of_partition(key: str) -> str:
    """A quarterly partition key as `YYYY-Qn`: accepts `2026-Q3` or a date `2026-07-01`."""
    try:
        return Quarter.from_partition_key(key).code
    except ValueError:
        return check_quarter(key)  # the waivers' one-line error


def evaluate_gate(
    settings: Settings,
    quarter: str,
    *,
    suites: tuple[Suite, ...] | None = None,
    waivers_path: Path | None = None,
    sample_size: int = DEFAULT_SAMPLE_SIZE,
) -> GateResult:
    """Run every suite on the current warehouse and judge it for `quarter` (`YYYY-Qn`).

    Raises `SuiteError` (one French line) when a suite or the waivers file is malformed: a gate
    that cannot read its rules must not say "passed".
    """
    quarter = check_quarter(quarter)
    suites = suites if suites is not None else default_suites()
    checks = all_checks(suites)
    waivers = waivers_for(quarter, load_waivers(waivers_path, checks=checks))
    started = datetime.now(UTC).replace(tzinfo=None)
    with connect(settings.warehouse) as wh:
        runner = SuiteRunner(wh, as_of=settings.as_of, pseudonym_key=settings.pseudonym_key,
                             sample_size=sample_size)
        outcomes = runner.run(suites)
        write_failures(wh, outcomes, as_of=settings.as_of, evaluated_at=started)
        antennas = _antennas(wh, [o for o in outcomes if not o.passed and not o.error])
    judged = tuple(
        o.with_waiver(waivers[o.key].as_dict())
        if not o.passed and o.severity == "error" and o.key in waivers else o
        for o in outcomes
    )
    result = GateResult(quarter=quarter, as_of=settings.as_of, evaluated_at=started,
                        outcomes=judged, waivers=tuple(waivers.values()), antennas=antennas)
    _log(result)
    return result


def _antennas(wh, failing: list[CheckOutcome]) -> dict[str, tuple[tuple[str, int], ...]]:
    """Failing checks' records per antenna, from the scorecard's rules that mirror them.

    Only where the scorecard counts exactly the records the gate found: an antenna split that
    does not add up to the reported count would mislead more than it tells.
    """
    return antennas_of(wh, {o.key: o.row_count for o in failing})


def antennas_of(wh, counts: dict[str, int]) -> dict[str, tuple[tuple[str, int], ...]]:
    """`_antennas` for checks known by key and failing count (the alerts of a nightly run,
    orchestration/alerts.py, read them from `marts.dq_check_failures`)."""
    keys = sorted(counts)
    if not keys or not wh.table_exists(RULE_RESULTS):
        return {}
    marks = ", ".join("?" for _ in keys)
    rows = wh.fetchall(
        f"select gate_check, antenna, sum(records_failed) from {RULE_RESULTS} "
        f"where gate_check in ({marks}) and records_failed > 0 "
        "group by gate_check, antenna order by gate_check, antenna", keys)
    found: dict[str, list[tuple[str, int]]] = {}
    for check, antenna, count in rows:
        found.setdefault(check, []).append((str(antenna), int(count)))
    return {k: tuple(v) for k, v in found.items() if sum(n for _, n in v) == counts[k]}


def _log(result: GateResult) -> None:
    for outcome in result.blocking:
        log.error("[%s] %s", outcome.key, outcome.message())
    for outcome in result.waived:
        log.warning("[%s] %s (dérogation : %s)", outcome.key, outcome.message(),
                    outcome.waiver["reason"] if outcome.waiver else "")
    for outcome in result.warnings:
        log.warning("[%s] %s", outcome.key, outcome.message())
    log.info("%s", result.summary_fr().splitlines()[0])


def main(argv: list[str] | None = None) -> int:
    """`python -m orchestration.gate 2026-Q3`: print the verdict; exit 1 when it blocks."""
    from common.settings import SettingsError, load_settings

    parser = argparse.ArgumentParser(prog="sea-gate", description=__doc__.splitlines()[0])
    parser.add_argument("quarter", help="trimestre, par exemple 2026-Q3")
    parser.add_argument("--demo", action="store_true", help="accepter la clé de démonstration")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(demo=args.demo or None)
        result = evaluate_gate(settings, args.quarter)
    except (SettingsError, SuiteError) as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 2
    if result.passed:
        print(result.summary_fr())
        return 0
    print(result.blocking_message(), file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
