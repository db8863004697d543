"""The data-quality gate in Dagster: the suites as asset checks, and the quarterly gate asset.

- `build_quality_checks` turns every table suite of `expectations/suites/*.yml` into asset checks
  on the asset it guards (`["raw", "crm_enrolments"]`, `["staging", "stg_crm__enrolments"]`,
  `["marts", "indicator_values"]`, …): one check per rule, severity `ERROR` or `WARN`, with the
  table, the rule, the row count and where the offending ids are in the UI and in the logs
  (French) — never an id: Dagster's run history outlives an erasure. The ids go to the
  warehouse's `marts.dq_check_failures` (each op replaces its own checks' rows), which the
  erasure reaches. One op per guarded asset, so a table is queried once and GE runs once per
  table.
  Only mart checks block by default: a quarantined CRM record must not stop the nightly refresh
  (staff need the refreshed scorecard to fix it); it blocks the quarterly reports through the
  gate asset below, which re-evaluates every suite. The UI's label says the same as Dagster's
  `blocking` flag: "[bloquant]" on a blocking check only; an `error` check outside the blocking
  layers says it blocks the quarter's deliverables, not the refresh.
- `build_quality_gate_asset` is the asset the quarterly reporting assets depend on: it runs the
  whole gate for its quarter (waivers honoured) and carries a *blocking* check `gate_passed`, so
  when an `error` check fails the reporting assets do not run and the UI names the checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    MetadataValue,
    Output,
    PartitionsDefinition,
    asset,
    multi_asset_check,
)

from common.quarters import last_complete_quarter
from common.settings import Settings
from common.warehouse import connect
from expectations.failures import write_failures
from expectations.outcomes import FAILURES_TABLE, SEVERITY_FR, CheckOutcome
from expectations.runner import DEFAULT_SAMPLE_SIZE, SuiteRunner
from expectations.suites import Suite, SuiteError, TableSuite, all_checks, default_suites
from expectations.suites import tables_by_asset as group_tables
from expectations.waivers import load_waivers
from orchestration.gate import GateResult, evaluate_gate, quarter_of_partition

GATE_CHECK = "gate_passed"
DEFAULT_GATE_KEY = ("reports", "quality_gate")


# How the UI labels a check: the same word as Dagster's own flag. An `error` check outside the
# blocking layers stops nothing in the nightly run (a bad CRM record must not stop the refresh
# staff need to fix it): it blocks the quarter's deliverables through the gate asset only.
BLOCKING_LABEL = "bloquant"
QUARTERLY_ONLY_LABEL = "erreur : bloque les livrables du trimestre, pas l'actualisation"


def check_label(severity: str, blocking: bool) -> str:
    """The label beside a check in the UI, true to its `blocking` flag."""
    if blocking:
        return BLOCKING_LABEL
    return QUARTERLY_ONLY_LABEL if severity == "error" else SEVERITY_FR[severity]


def _description(table: TableSuite, check_name: str, blocking: bool) -> str:
    check = next(c for c in table.checks if c.name == check_name)
    text = f"[{check_label(check.severity, blocking)}] {check.rule}"
    return f"{text}. {check.why.strip()}" if check.why else text


def _metadata(outcome: CheckOutcome, waived_for: Sequence[str], blocking: bool) -> dict:
    meta: dict = {
        "table": outcome.check.table,
        "règle": outcome.check.rule,
        "sévérité": check_label(outcome.severity, blocking),
        "clé du contrôle": outcome.key,
        "lignes en échec": outcome.row_count,
        "durée (s)": round(outcome.seconds, 3),
    }
    if not outcome.passed and not outcome.error:
        meta["où trouver les identifiants"] = outcome.ids_location
    if outcome.checked_count is not None:
        meta["lignes contrôlées"] = int(outcome.checked_count)
    if outcome.error:
        meta["contrôle impossible"] = outcome.error
    if waived_for:
        meta["dérogations (trimestres)"] = ", ".join(waived_for)
    return meta


def _waived_quarters(suites: Sequence[Suite]) -> dict[str, list[str]]:
    """Quarters each check is waived for, shown beside nightly results (never applied there)."""
    try:
        waivers = load_waivers(checks=all_checks(suites))
    except SuiteError:
        return {}
    found: dict[str, list[str]] = {}
    for waiver in waivers:
        found.setdefault(waiver.check, []).append(waiver.quarter)
    return found


def _op_name(key: tuple[str, ...]) -> str:
    return "quality_" + "__".join(key)


def _build_one(settings: Settings, key: tuple[str, ...], tables: list[TableSuite],
               suites: Sequence[Suite], blocking_layers: frozenset[str], pool: str | None):
    asset_key = AssetKey(list(key))
    specs, seen = [], set()
    for table in tables:
        for check in table.checks:
            if check.name in seen:
                raise SuiteError(f"deux contrôles {check.name} sur l'asset {'/'.join(key)}")
            seen.add(check.name)
            blocking = check.severity == "error" and check.layer in blocking_layers
            specs.append(AssetCheckSpec(
                check.name, asset=asset_key, blocking=blocking,
                description=_description(table, check.name, blocking),
                metadata={"sévérité": check_label(check.severity, blocking), "clé": check.key}))
    blocking_of = {spec.name: spec.blocking for spec in specs}

    @multi_asset_check(
        name=_op_name(key), specs=specs, compute_kind="great_expectations", pool=pool,
        description=f"Contrôles qualité (Great Expectations) de {'.'.join(key)}.")
    def _quality(context) -> Iterator[AssetCheckResult]:  # annotated context is refused here
        waived = _waived_quarters(suites)
        with connect(settings.warehouse) as wh:  # closed before yielding: short DuckDB lock
            runner = SuiteRunner(wh, as_of=settings.as_of, pseudonym_key=settings.pseudonym_key,
                                 sample_size=DEFAULT_SAMPLE_SIZE)
            outcomes = [o for table in tables for o in runner.run_table(table)]
            write_failures(wh, outcomes, as_of=settings.as_of,
                           evaluated_at=datetime.now(UTC).replace(tzinfo=None),
                           checks=[c.key for table in tables for c in table.checks])
        for outcome in outcomes:
            if not outcome.passed:
                level = context.log.error if outcome.severity == "error" else context.log.warning
                label = check_label(outcome.severity, blocking_of[outcome.check.name])
                level(f"[{label}] [{outcome.key}] {outcome.message()}")
            yield AssetCheckResult(
                asset_key=asset_key, check_name=outcome.check.name, passed=outcome.passed,
                severity=AssetCheckSeverity.ERROR if outcome.severity == "error"
                else AssetCheckSeverity.WARN,
                metadata=_metadata(outcome, waived.get(outcome.key, []),
                                   blocking_of[outcome.check.name]),
                description=outcome.message())
        failed = sum(not o.passed for o in outcomes)
        context.log.info(f"{'.'.join(key)} : {len(outcomes)} contrôle(s), {failed} en échec")

    return _quality


def build_quality_checks(
    settings: Settings,
    *,
    asset_keys: Iterable[AssetKey | Sequence[str]] | None = None,
    blocking_layers: Iterable[str] = ("marts",),
    suites: Sequence[Suite] | None = None,
    pool: str | None = None,
) -> list:
    """Asset checks for every guarded asset of the suites.

    `asset_keys`: the assets present in the code location; checks of other assets are left out
    (a suite may guard a model another engineer has not merged yet). `blocking_layers`: error
    checks of these layers block downstream assets in the same run. `pool`: a Dagster
    concurrency pool, to serialise warehouse access on DuckDB.
    """
    suites = tuple(suites) if suites is not None else default_suites()
    present = None
    if asset_keys is not None:
        present = {tuple(k.path) if isinstance(k, AssetKey) else tuple(k) for k in asset_keys}
    layers = frozenset(blocking_layers)
    return [
        _build_one(settings, key, tables, suites, layers, pool)
        for key, tables in group_tables(suites).items()
        if present is None or key in present
    ]


def reporting_quarter(as_of: date) -> str:
    """The last quarter ended before `as_of`: the one a reporting run without partition reports."""
    return last_complete_quarter(as_of).code


def _gate_check_result(result: GateResult) -> AssetCheckResult:
    blocking = result.blocking
    if blocking:
        text = (f"Porte qualité bloquée pour {result.quarter} : "
                + "; ".join(o.key for o in blocking))
    else:
        text = (f"Porte qualité franchie pour {result.quarter} "
                f"({len(result.warnings)} avertissement(s), {len(result.waived)} dérogation(s))")
    return AssetCheckResult(
        check_name=GATE_CHECK, passed=result.passed, severity=AssetCheckSeverity.ERROR,
        description=text,
        metadata={
            "contrôles bloquants": ", ".join(o.key for o in blocking) or "aucun",
            "détail": MetadataValue.md("\n".join(f"- {line}" for line in
                                                  result.summary_fr().splitlines())),
            "dérogations utilisées": ", ".join(o.key for o in result.waived) or "aucune",
            "avertissements": len(result.warnings),
            "où trouver les identifiants": f"{FAILURES_TABLE}, filtré sur check_key",
        })


def build_quality_gate_asset(
    settings: Settings,
    *,
    key: Sequence[str] = DEFAULT_GATE_KEY,
    partitions_def: PartitionsDefinition | None = None,
    deps: Iterable[AssetKey | Sequence[str]] = (),
    group_name: str = "reports",
    pool: str | None = None,
    waivers_path: Path | None = None,
):
    """The asset quarterly reporting assets depend on (as a dep or as an input).

    Its value is `GateResult.as_dict()` (for the report's data-quality section); its blocking
    check `gate_passed` fails with ERROR when an unwaived `error` check fails, so the reporting
    assets downstream are skipped and the UI says which checks blocked them. Partition keys may be
    `2026-Q3` or a quarter's first day; unpartitioned, it judges the last ended quarter.
    `waivers_path` replaces `expectations/waivers.yml` (tests).
    """
    asset_key = AssetKey(list(key))

    @asset(
        key=asset_key, partitions_def=partitions_def, group_name=group_name, pool=pool,
        owners=["team:mel"],  # the owner of every asset (orchestration/assets/raw_crm.py)
        deps=[AssetKey(list(d)) if not isinstance(d, AssetKey) else d for d in deps],
        kinds={"great_expectations"},
        check_specs=[AssetCheckSpec(
            GATE_CHECK, asset=asset_key, blocking=True,
            description=(f"[{BLOCKING_LABEL}] Aucun contrôle de sévérité erreur en échec sans "
                         "dérogation pour ce trimestre."))],
        description=("Porte qualité des livrables trimestriels : toutes les suites d'attentes "
                     "(expectations/) rejouées sur l'entrepôt, dérogations du trimestre "
                     "appliquées (expectations/waivers.yml)."),
    )
    def quality_gate(context):  # AssetExecutionContext (an annotation is refused here)
        quarter = (quarter_of_partition(context.partition_key) if context.has_partition_key
                   else reporting_quarter(settings.as_of))
        result = evaluate_gate(settings, quarter, waivers_path=waivers_path)
        for line in result.summary_fr().splitlines():
            (context.log.info if result.passed else context.log.error)(line)
        yield Output(result.as_dict(), metadata={
            "trimestre": quarter,
            "franchie": result.passed,
            "bloquants": len(result.blocking),
            "avertissements": len(result.warnings),
            "dérogations": len(result.waived),
        })
        yield _gate_check_result(result)

    return quality_gate
