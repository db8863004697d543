"""The Dagster code location of `sea`: assets by layer, checks, jobs and schedules.

Layers, as the UI groups them: `raw` (extraction) → `staging` → `intermediate` → `marts`
(dbt) → checks (Great Expectations, on the assets they guard) → `publication` (what BI readers
see, only when no `error` check failed: orchestration/assets/publication.py; then the built-in
dashboard: orchestration/assets/dashboard.py) → `deliverables`.
`dagster dev -m orchestration.definitions` (what `make ui` runs) loads `defs` below; tests and
the headless commands call `build_definitions(settings)` with their own settings. Assets are
defined at module level in `orchestration/assets/` and take the settings and the warehouse as
resources (orchestration/resources.py).
"""

from __future__ import annotations

import os

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    definitions,
)

from common.settings import Settings, export_dotenv, load_settings
from orchestration.alerts import build_alert_sensor, build_digest_job
from orchestration.assets.dashboard import DASHBOARD_HOOKS, dashboard
from orchestration.assets.dbt_models import dbt_resource
from orchestration.assets.pseudonyms import participant_pseudonyms
from orchestration.assets.raw_crm import crm_extract
from orchestration.assets.raw_sheets import sheets_load
from orchestration.assets.reporting import (
    GROUP as DELIVERABLES_GROUP,
)
from orchestration.assets.reporting import (
    build_quality_gate,
    build_quarterly_schedule,
    evidence_packs,
    formation,
    funder_reports,
    plan_sea,
    quarterly_deliverables,
    quarterly_reporting_job,
)
from orchestration.checks import build_quality_checks
from orchestration.freshness import (
    FRESHNESS_SELECTION,
    build_freshness_checks,
    build_freshness_sensor,
)
from orchestration.locked_executor import locked_in_process_executor
from orchestration.resources import SeaSettingsResource, warehouse_resource
from orchestration.sensors import build_sheets_job, build_sheets_sensor

NIGHTLY_JOB = "nightly_refresh"

# Nightly: everything but the quarterly deliverables and the on-demand evidence packs, and
# the freshness checks, which a sensor evaluates without a run (orchestration/freshness.py).
NIGHTLY_SELECTION = (
    AssetSelection.all()
    - AssetSelection.groups(DELIVERABLES_GROUP)
    | AssetSelection.assets(["deliverables", "plan_sea"])
) - FRESHNESS_SELECTION


def build_definitions(settings: Settings) -> Definitions:
    """The code location for `settings`: the module-level assets, with the settings and the
    warehouse as resources; the checks, the gate and the schedules that follow the settings
    (expectation suites, `NIGHTLY_CRON`, `QUARTERLY_DELAY_DAYS`)."""
    # Imported here, not at the top: `@dbt_assets` reads the manifest at import
    # (orchestration/assets/dbt_build.py), and so does the publication's list of marts.
    from orchestration.assets.dbt_build import sea_dbt_models
    from orchestration.assets.publication import published_marts

    warehouse_kind = "postgres" if settings.warehouse_is_postgres else "duckdb"
    assets = [
        crm_extract.map_asset_specs(
            lambda spec: spec.merge_attributes(kinds={warehouse_kind})),
        sheets_load,
        participant_pseudonyms,
        sea_dbt_models,
        # the dashboard's hooks: a publication step that did not publish says the dashboard
        # is unchanged (orchestration/assets/dashboard.py)
        published_marts.map_asset_specs(
            lambda spec: spec.merge_attributes(kinds={warehouse_kind})
        ).with_hooks(DASHBOARD_HOOKS),
        dashboard,
        build_quality_gate(settings),
        quarterly_deliverables,
        funder_reports,
        plan_sea,
        formation,
        evidence_packs,
    ]
    keys = [key for a in assets for key in a.keys]
    checks = [*build_quality_checks(settings, asset_keys=keys),
              build_freshness_checks(settings)]
    nightly = define_asset_job(
        NIGHTLY_JOB,
        selection=NIGHTLY_SELECTION,
        description=("Actualisation nocturne : extraction CRM et tableurs, modèles dbt, "
                     "contrôles qualité, publication pour les lecteurs si aucun contrôle "
                     "« erreur » n'a échoué, Plan SEA."),
    )
    nightly_schedule = ScheduleDefinition(
        name="nightly_refresh_schedule",
        job=nightly,
        cron_schedule=settings.nightly_cron,
        execution_timezone="Europe/Paris",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Chaque nuit (NIGHTLY_CRON, heure de Paris).",
    )
    # the spreadsheets and what depends on them, when the shared folder changes
    # (orchestration/sensors.py)
    sheets = build_sheets_job(NIGHTLY_SELECTION)
    # the weekly digest of `warn` checks per antenna, when antenna contacts are configured
    digest = build_digest_job(settings)
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[nightly, sheets, quarterly_reporting_job, *([digest[0]] if digest else [])],
        schedules=[nightly_schedule, build_quarterly_schedule(settings),
                   *([digest[1]] if digest else [])],
        # alerts for the runs the UI, daemon or schedules launch (orchestration/alerts.py);
        # the shared folder (orchestration/sensors.py); freshness (orchestration/freshness.py)
        sensors=[build_alert_sensor(settings), build_sheets_sensor(settings, sheets),
                 build_freshness_sensor(settings)],
        resources={
            "sea_settings": SeaSettingsResource.from_settings(settings),
            "warehouse": warehouse_resource(settings),
            "dbt": dbt_resource(settings),
        },
        # Every job the UI, daemon or schedules launch runs in one process under the
        # warehouse's run lock: one refresh at a time, reports waiting for a running one.
        executor=locked_in_process_executor(settings),
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by `dagster dev` (the UI's code server and each run's process): the
    settings are read and checked then, `.env` included (exported to the environment so that
    secrets reach the resources by variable name), and dbt's environment is set once for the
    process."""
    export_dotenv()
    settings = load_settings()
    os.environ.update(settings.dbt_env())
    return build_definitions(settings)
