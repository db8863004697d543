"""Marts → checks → deliverables: quarterly partitions behind the data-quality gate, and the
learning documents (Plan SEA, evidence packs)."""

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
    TimeWindowPartitionsDefinition,
    asset,
    define_asset_job,
    schedule,
)

from common.quarters import Quarter
from common.settings import Settings
from orchestration.assets.raw_crm import OWNERS
from orchestration.checks import build_quality_gate_asset
from orchestration.gate import quarter_of_partition
from orchestration.reporting import (
    GateBlocked,
    delivery_metadata,
    file_links,
    run_funder_reports,
    run_quarterly_report,
)
from orchestration.resources import SeaSettingsResource
from reports.evidence.build import build_evidence_pack, due_evaluations
from reports.guide.training import build_training
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
    return Quarter.parse(quarter).partition_key


def build_quality_gate(settings: Settings):
    """The quality gate of the deliverables (orchestration/checks.py builds it from settings)."""
    return build_quality_gate_asset(settings, key=GATE_KEY.path, partitions_def=QUARTERS,
                                    deps=MART_DEPS, group_name=GROUP)


@asset(key=DELIVERABLES_KEY, partitions_def=QUARTERS, group_name=GROUP, owners=OWNERS,
       deps=[GATE_KEY, *MART_DEPS], kinds={"python", "pdf", "excel"},
       description=(
           "Livrables du trimestre : export collecteur (.xlsx) pour le ministère et rapport "
           "de redevabilité (HTML + PDF), avec contrôle de divulgation (DISCLOSURE_K). "
           "Bloqués tant qu'un contrôle qualité « erreur » échoue sans dérogation ; une "
           "livraison existante n'est jamais écrasée (nouvelle version + écarts)."))
def quarterly_deliverables(context: AssetExecutionContext,
                           sea_settings: SeaSettingsResource) -> MaterializeResult:
    quarter = quarter_of_partition(context.partition_key)
    try:
        run = run_quarterly_report(sea_settings.settings, quarter, record=False)
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
def plan_sea(context: AssetExecutionContext,
             sea_settings: SeaSettingsResource) -> MaterializeResult:
    settings = sea_settings.settings
    plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                          k=settings.disclosure_k)
    return MaterializeResult(metadata={
        "modifié": plan.changed, "empreinte": plan.fingerprint[:10],
        "pdf": MetadataValue.path(str(plan.pdf or plan.html)),
        "ouvrir": MetadataValue.url((plan.pdf or plan.html).resolve().as_uri())})


@asset(key=["deliverables", "formation"], group_name=GROUP, owners=OWNERS,
       deps=[AssetKey(["deliverables", "plan_sea"]), AssetKey(["publication", "published_marts"])],
       kinds={"python", "pdf"},
       description=("Le guide de l'équipe et la présentation de formation au Plan SEA (HTML et "
                    "PDF, dossier interne « formation »), avec les chiffres publiés du moment : "
                    "à relancer après le Plan SEA ; la démonstration le fait d'elle-même."))
def formation(context: AssetExecutionContext,
              sea_settings: SeaSettingsResource) -> MaterializeResult:
    # on demand, not nightly: ~10 s of PDF rendering a night would not change (docs/guide/)
    settings = sea_settings.settings
    built = build_training(settings.warehouse, settings.published, settings.internal_dir,
                           k=settings.disclosure_k)
    return MaterializeResult(metadata={
        "guide": MetadataValue.path(str(built.guide.pdf or built.guide.html)),
        "présentation": MetadataValue.path(str(built.deck.pdf or built.deck.html)),
        "pages du guide": built.guide.pages, "diapositives": built.deck.slides,
        "trimestre présenté": built.deck.quarter.code})


@asset(key=["deliverables", "evidence_packs"], group_name=GROUP, owners=OWNERS,
       deps=[*LEARNING_DEPS, AssetKey(["marts", "published_testimonies"])],
       kinds={"python", "pdf"},
       description=("Dossiers de preuves des évaluations en cours ou à échéance sous 90 "
                    "jours (xlsx + HTML/PDF, contrôle de divulgation), pour les "
                    "évaluateurs ; `make evidence EVALUATION=<id>` pour une seule."))
def evidence_packs(context: AssetExecutionContext,
                   sea_settings: SeaSettingsResource) -> MaterializeResult:
    settings = sea_settings.settings
    built = []
    for evaluation_id in due_evaluations(settings.warehouse):
        pack = build_evidence_pack(settings.warehouse, evaluation_id, as_of=settings.as_of,
                                   output_dir=settings.output_dir / "evidence",
                                   k=settings.disclosure_k)
        built.append(f"- {evaluation_id} : {pack.pdf or pack.html}")
    return MaterializeResult(metadata={
        "dossiers": len(built), "liste": MetadataValue.md("\n".join(built) or "aucun")})


FUNDER_REPORTS_KEY = AssetKey(["deliverables", "funder_reports"])
FUNDER_DEPS = [AssetKey(["marts", name]) for name in (
    "funder_grants", "funder_targets", "funder_year_to_date", "budget_lines",
    "indicator_values")]


@asset(key=FUNDER_REPORTS_KEY, partitions_def=QUARTERS, group_name=GROUP, owners=OWNERS,
       deps=[GATE_KEY, *FUNDER_DEPS], kinds={"python", "pdf", "excel"},
       description=(
           "Rapports aux financeurs dus à la fin du trimestre (selon la fréquence de chaque "
           "convention : trimestre, semestre ou année) : périmètre, indicateurs et objectifs "
           "du financeur, exécution budgétaire et coûts de sa convention (HTML + PDF + xlsx), "
           "derrière la même porte qualité et le même secret statistique que les livrables "
           "trimestriels ; `make report FUNDER=<code> PERIOD=2026-S2` pour un seul."))
def funder_reports(context: AssetExecutionContext,
                   sea_settings: SeaSettingsResource) -> MaterializeResult:
    quarter = quarter_of_partition(context.partition_key)
    try:
        _gate, reports = run_funder_reports(sea_settings.settings, quarter)
    except GateBlocked as exc:
        raise Failure(description=str(exc).splitlines()[0]) from None
    lines = [f"- {r.message}" for r in reports]
    for line in lines:
        context.log.info(line[2:])
    links = {}
    for report in reports:  # « FONDATION_AVENIR 2026-S2 — rapport (PDF) »: one link per file
        links.update(file_links(report, prefix=f"{report.directory.parent.parent.name} "
                                                f"{report.quarter} — "))
    return MaterializeResult(metadata={
        "rapports": len(reports),
        "nouvelles versions": sum(1 for r in reports if not r.unchanged),
        "liste": MetadataValue.md("\n".join(lines) or "aucun rapport dû ce trimestre"),
        **links})


REPORTING_SELECTION = AssetSelection.assets(GATE_KEY, DELIVERABLES_KEY, FUNDER_REPORTS_KEY)

quarterly_reporting_job = define_asset_job(
    "quarterly_reporting", selection=REPORTING_SELECTION,
    description=("Livrables trimestriels (porte qualité puis export collecteur, rapport et "
                 "rapports aux financeurs dus) ; "
                 "relançable pour tout trimestre passé (backfill)."))

QUARTERLY_SCHEDULE_HOUR = 6  # Paris time, on the reporting day


def quarterly_cron(delay_days: int) -> str:
    """The reporting day of every quarter as one cron: the `delay_days`-th day after a
    quarter's last day is day `delay_days` of the next quarter's first month (1 ≤ delay ≤ 28,
    as common/settings.py accepts, so that every month has that day)."""
    return f"0 {QUARTERLY_SCHEDULE_HOUR} {delay_days} 1,4,7,10 *"


def build_quarterly_schedule(settings: Settings):
    """Fires only on reporting days (a plain quarterly cron, `quarterly_cron`), for the quarter
    that ended before: the partition key is its first day, as `QUARTERS` names partitions."""
    delay = settings.quarterly_delay_days

    @schedule(name="quarterly_reporting_schedule", job=quarterly_reporting_job,
              cron_schedule=quarterly_cron(delay), execution_timezone="Europe/Paris",
              default_status=DefaultScheduleStatus.RUNNING,
              description=(f"Le {delay}e jour après la fin de chaque trimestre "
                           "(QUARTERLY_DELAY_DAYS), livrables du trimestre écoulé."))
    def quarterly_reporting_schedule(context: ScheduleEvaluationContext) -> RunRequest:
        key = Quarter.of(context.scheduled_execution_time.date()).previous().partition_key
        return RunRequest(partition_key=key, run_key=f"quarter-{key}")

    return quarterly_reporting_schedule
