"""The dbt project's models, seeds, snapshots and tests as one Dagster multi-asset.

A module of its own because `@dbt_assets` reads `dbt_project/target/manifest.json` when the
module is imported: `orchestration/definitions.py` imports it when definitions are built, after
`make setup` (or the test session) has parsed the project, and importing the helpers of
`orchestration/assets/dbt_models.py` does not read a manifest that may be out of date.
"""

from dagster import AssetExecutionContext, Failure, ResourceParam
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.dbt_models import (
    ASSETS_NAME,
    TRANSLATOR,
    dbt_environment_mismatch,
    keep_partial_parse,
    prune_run_folders,
    refresh_args,
)
from orchestration.dbt_project import manifest_path, sea_dbt_project
from orchestration.resources import SeaSettingsResource, WarehouseResource
from orchestration.staging_state import (
    needs_full_refresh,
    record_fingerprint,
    staging_fingerprint,
)


# The project gives the manifest and the project folder; the dbt target (DuckDB or PostgreSQL)
# is the `dbt` resource's (orchestration/assets/dbt_models.py, `dbt_resource`).
@dbt_assets(manifest=manifest_path(), project=sea_dbt_project(),
            dagster_dbt_translator=TRANSLATOR, name=ASSETS_NAME)
def sea_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource,
                   sea_settings: SeaSettingsResource,
                   warehouse: ResourceParam[WarehouseResource]):
    settings = sea_settings.settings
    if missing := dbt_environment_mismatch(settings):
        raise Failure(description=(
            "Environnement de dbt non préparé pour cet entrepôt (" + ", ".join(missing) + ") : "
            "lancer par `make refresh` ou `make ui`, qui le préparent au démarrage."))
    fingerprint = staging_fingerprint(settings)
    with warehouse.get_warehouse() as wh:
        rebuild = needs_full_refresh(wh, fingerprint)
    args = refresh_args(full_refresh=rebuild, whole_project=not context.is_subset)
    if rebuild:
        context.log.info("Entrées des modèles incrémentaux modifiées (clé, référentiels, "
                         "macros, SQL) ou premier passage : reconstruction complète.")
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    with warehouse.get_warehouse() as wh:
        record_fingerprint(wh, fingerprint)
    keep_partial_parse(invocation.target_path)
    prune_run_folders(invocation.target_path.parent)
