"""The Dagster code location of `sea`: assets by layer, the nightly job and its schedule.

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

from orchestration.assets.dbt_models import build_dbt_assets, dbt_resource
from orchestration.assets.pseudonyms import build_pseudonyms_asset
from orchestration.assets.raw_crm import build_crm_asset
from orchestration.assets.raw_sheets import build_sheets_asset
from orchestration.settings import Settings, load_settings

NIGHTLY_JOB = "nightly_refresh"


def build_definitions(settings: Settings) -> Definitions:
    assets = [
        build_crm_asset(settings),
        build_sheets_asset(settings),
        build_pseudonyms_asset(settings),
        build_dbt_assets(settings),
    ]
    nightly = define_asset_job(
        NIGHTLY_JOB,
        selection=AssetSelection.all(),
        description="Actualisation nocturne : extraction CRM et tableurs, modèles dbt, contrôles.",
    )
    schedule = ScheduleDefinition(
        name="nightly_refresh_schedule",
        job=nightly,
        cron_schedule=settings.nightly_cron,
        execution_timezone="Europe/Paris",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Chaque nuit (NIGHTLY_CRON, heure de Paris).",
    )
    return Definitions(
        assets=assets,
        jobs=[nightly],
        schedules=[schedule],
        resources={"dbt": dbt_resource(settings)},
    )


@definitions
def defs() -> Definitions:
    """Loaded lazily by `dagster dev`: settings are read (and checked) only then."""
    return build_definitions(load_settings())
