"""The Dagster code location of `sea`: assets by layer, checks, jobs and schedules.

Layers, as the UI groups them: `raw` (extraction) → `staging` → `intermediate` → `marts`
(dbt) → checks (Great Expectations, on the assets they guard) → `deliverables`.
`dagster dev -m orchestration.definitions` (what `make ui` runs) loads `defs` below; tests and
the headless commands call `build_definitions(settings)` with their own settings.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    DefaultScheduleStatus,
    Definitions,
    ScheduleDefinition,
    define_asset_job,
    definitions,
)

from common.settings import Settings, load_settings
from orchestration.assets.dbt_models import build_dbt_assets, dbt_resource
from orchestration.assets.pseudonyms import build_pseudonyms_asset
from orchestration.assets.raw_crm import build_crm_asset
from orchestration.assets.raw_sheets import build_sheets_asset
from orchestration.assets.reporting import (
    GROUP as DELIVERABLES_GROUP,
)
from orchestration.assets.reporting import (
    build_quarterly_schedule,
    build_reporting_assets,
    quarterly_reporting_job,
)
from orchestration.checks import build_quality_checks
from orchestration.locked_executor import locked_in_process_executor

NIGHTLY_JOB = "nightly_refresh"

# Nightly: everything but the quarterly deliverables and the on-demand evidence packs.
NIGHTLY_SELECTION = (
    AssetSelection.all()
    - AssetSelection.groups(DELIVERABLES_GROUP)
    | AssetSelection.assets(["deliverables", "plan_sea"])
)


def build_definitions(settings: Settings) -> Definitions:
    assets = [
        build_crm_asset(settings),
        build_sheets_asset(settings),
        build_pseudonyms_asset(settings),
        build_dbt_assets(settings),
        *build_reporting_assets(settings),
    ]
    keys = [key for a in assets for key in a.keys]
    checks = build_quality_checks(settings, asset_keys=keys)
    nightly = define_asset_job(
        NIGHTLY_JOB,
        selection=NIGHTLY_SELECTION,
        description=("Actualisation nocturne : extraction CRM et tableurs, modèles dbt, "
                     "contrôles qualité, Plan SEA."),
    )
    nightly_schedule = ScheduleDefinition(
        name="nightly_refresh_schedule",
        job=nightly,
        cron_schedule=settings.nightly_cron,
        execution_timezone="Europe/Paris",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Chaque nuit (NIGHTLY_CRON, heure de Paris).",
    )
    return Definitions(
        assets=assets,
        asset_checks=checks,
        jobs=[nightly, quarterly_reporting_job],
        schedules=[nightly_schedule, build_quarterly_schedule(settings)],
        resources={"dbt": dbt_resource(settings)},
        # Every job the UI, daemon or schedules launch runs in one process under the
        # warehouse's run lock: one refresh at a time, reports waiting for a running one.
        executor=locked_in_process_executor(settings),
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by `dagster dev`: settings are read (and checked) only then."""
    return build_definitions(load_settings())
