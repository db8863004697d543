"""Marts → checks → deliverables: quarterly partitions behind the data-quality gate, and the
learning documents (Plan SEA, evidence packs)."""

from datetime import date, timedelta

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    Failure,
    MaterializeResult,
    MetadataValue,
    RunRequest,
    ScheduleEvaluationContext,
    SkipReason,
    TimeWindowPartitionsDefinition,
    asset,
    define_asset_job,
    schedule,
)

from common.settings import Settings
from orchestration.assets.raw_crm import OWNERS
from orchestration.checks import build_quality_gate_asset
from orchestration.gate import quarter_of_partition
from orchestration.reporting import GateBlocked, delivery_metadata, run_quarterly_report
from reports.evidence.build import build_evidence_pack, due_evaluations
from reports.plan_sea.build import build_plan_sea

GROUP = "deliverables"
GATE_KEY = AssetKey(["deliverables", "quality_gate"])
DELIVERABLES_KEY = AssetKey(["deliverables", "quarterly_deliverables"])
MART_DEPS = [AssetKey(["marts", name]) for name in (
    "indicator_values", "time_to_employment", "cohorts", "learning_log", "recommendations",
    "evaluation_plan")]
LEARNING_DEPS = [AssetKey(["marts", name]) for name in (
    "evaluation_plan", "action_plan", "recommendations", "learning_log", "indicator_values")]

# One partition per calendar quarter, keyed by its first day (2026-07-01 = 2026-Q3); a quarter
# becomes a partition once it has ended.
QUARTERS = TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,4,7,10 *", start="2019-04-01", fmt="%Y-%m-%d",
    timezone="Europe/Paris")


def partition_key_of(quarter: str) -> str:
    """`2026-Q3` → `2026-07-01`, the partition key of that quarter."""
    year, q = quarter.split("-Q")
    return date(int(year), 3 * int(q) - 2, 1).isoformat()


def build_reporting_assets(settings: Settings) -> list:
    gate = build_quality_gate_asset(settings, key=GATE_KEY.path, partitions_def=QUARTERS,
                                    deps=MART_DEPS, group_name=GROUP)

    @asset(key=DELIVERABLES_KEY, partitions_def=QUARTERS, group_name=GROUP, owners=OWNERS,
           deps=[GATE_KEY, *MART_DEPS], kinds={"python", "pdf", "excel"},
           description=(
               "Livrables du trimestre : export collecteur (.xlsx) pour le ministère et rapport "
               "de redevabilité (HTML + PDF), avec contrôle de divulgation (DISCLOSURE_K). "
               "Bloqués tant qu'un contrôle qualité « erreur » échoue sans dérogation ; une "
               "livraison existante n'est jamais écrasée (nouvelle version + écarts)."))
    def quarterly_deliverables(context: AssetExecutionContext) -> MaterializeResult:
        quarter = quarter_of_partition(context.partition_key)
        try:
            run = run_quarterly_report(settings, quarter, record=False)
        except GateBlocked as exc:
            raise Failure(description=str(exc).splitlines()[0],
                          metadata={"détail": MetadataValue.md(
                              "\n".join(f"- {line}" for line in str(exc).splitlines()))}
                          ) from None
        context.log.info(run.delivery.message)
        # the same metadata as a delivery recorded by `make report` (orchestration/reporting.py)
        return MaterializeResult(metadata=delivery_metadata(run))

    @asset(key=["deliverables", "plan_sea"], group_name=GROUP, owners=OWNERS, deps=LEARNING_DEPS,
           kinds={"python", "pdf"},
           description=("Le Plan SEA (plan de suivi-évaluation-apprentissage) en HTML et PDF, "
                        "régénéré dès que le cadre logique, le catalogue, le plan d'évaluation "
                        "ou le plan d'action changent."))
    def plan_sea(context: AssetExecutionContext) -> MaterializeResult:
        plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                              k=settings.disclosure_k)
        return MaterializeResult(metadata={
            "modifié": plan.changed, "empreinte": plan.fingerprint[:10],
            "pdf": MetadataValue.path(str(plan.pdf or plan.html))})

    @asset(key=["deliverables", "evidence_packs"], group_name=GROUP, owners=OWNERS,
           deps=LEARNING_DEPS, kinds={"python", "pdf"},
           description=("Dossiers de preuves des évaluations en cours ou à échéance sous 90 "
                        "jours (xlsx + HTML/PDF, contrôle de divulgation), pour les "
                        "évaluateurs ; `make evidence EVALUATION=<id>` pour une seule."))
    def evidence_packs(context: AssetExecutionContext) -> MaterializeResult:
        built = []
        for evaluation_id in due_evaluations(settings.warehouse):
            pack = build_evidence_pack(settings.warehouse, evaluation_id, as_of=settings.as_of,
                                       output_dir=settings.output_dir / "evidence",
                                       k=settings.disclosure_k)
            built.append(f"- {evaluation_id} : {pack.pdf or pack.html}")
        return MaterializeResult(metadata={
            "dossiers": len(built), "liste": MetadataValue.md("\n".join(built) or "aucun")})

    return [gate, quarterly_deliverables, plan_sea, evidence_packs]


REPORTING_SELECTION = AssetSelection.assets(GATE_KEY, DELIVERABLES_KEY)

quarterly_reporting_job = define_asset_job(
    "quarterly_reporting", selection=REPORTING_SELECTION,
    description=("Livrables trimestriels (porte qualité puis export collecteur et rapport) ; "
                 "relançable pour tout trimestre passé (backfill)."))


def build_quarterly_schedule(settings: Settings):
    delay = settings.quarterly_delay_days

    @schedule(name="quarterly_reporting_schedule", job=quarterly_reporting_job,
              cron_schedule="0 6 * * *", execution_timezone="Europe/Paris",
              default_status=DefaultScheduleStatus.RUNNING,
              description=(f"Le {delay}e jour après la fin de chaque trimestre "
                           "(QUARTERLY_DELAY_DAYS), livrables du trimestre écoulé."))
    def quarterly_reporting_schedule(context: ScheduleEvaluationContext):
        today = context.scheduled_execution_time.date()
        quarter_end = _last_quarter_end(today - timedelta(days=delay))
        if quarter_end + timedelta(days=delay) != today:
            return SkipReason(f"pas de livrable aujourd'hui ({today})")
        start = date(quarter_end.year, quarter_end.month - 2, 1)
        return RunRequest(partition_key=start.isoformat(), run_key=f"quarter-{start}")

    return quarterly_reporting_schedule


def _last_quarter_end(day: date) -> date:
    """The last day of the last quarter that ended on or before `day`."""
    after = day + timedelta(days=1)
    quarter_start = date(after.year, 3 * ((after.month - 1) // 3) + 1, 1)
    return quarter_start - timedelta(days=1)
