"""The dbt project's models, seeds, snapshots and tests as one Dagster multi-asset.

A module of its own because `@dbt_assets` reads `dbt_project/target/manifest.json` when the
module is imported: `orchestration/definitions.py` imports it when definitions are built, after
`make setup` (or the test session) has parsed the project, and importing the helpers of
`orchestration/assets/dbt_models.py` does not read a manifest that may be out of date.
"""

from collections.abc import Iterable, Iterator
from typing import Any

from dagster import AssetExecutionContext, AssetMaterialization, Failure, Output, ResourceParam
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.assets.dbt_models import (
    ASSETS_NAME,
    TRANSLATOR,
    dbt_environment_mismatch,
    keep_partial_parse,
    prune_run_folders,
    refresh_args,
)
from orchestration.assets.table_metadata import table_metadata
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
    # The models' materialisations wait for dbt to finish, then carry rows, period and preview
    # (orchestration/assets/table_metadata.py): the warehouse is read once dbt has let it go.
    # Nothing downstream starts before this step ends anyway.
    events: list[Any] = []
    try:
        events.extend(invocation.stream())
    except BaseException:
        yield from events  # what dbt did report before failing, as it reported it
        raise
    yield from _with_table_metadata(context, warehouse, events)
    with warehouse.get_warehouse() as wh:
        record_fingerprint(wh, fingerprint)
    keep_partial_parse(invocation.target_path)
    prune_run_folders(invocation.target_path.parent)


def _with_table_metadata(context: AssetExecutionContext, warehouse: WarehouseResource,
                         events: Iterable[Any]) -> Iterator[Any]:
    """The events of the dbt build, each model's materialisation with what the data lead reads
    of its table; unchanged if the warehouse cannot say (a refresh never fails for metadata)."""
    events = list(events)
    try:
        with warehouse.get_warehouse() as wh:
            enriched = []
            for event in events:
                if isinstance(event, Output):
                    key = context.asset_key_for_output(event.output_name)
                elif isinstance(event, AssetMaterialization):
                    key = event.asset_key
                else:
                    enriched.append(event)
                    continue
                extra = table_metadata(wh, *key.path) if len(key.path) == 2 else {}
                enriched.append(event.with_metadata({**event.metadata, **extra}))
    except Exception as exc:  # noqa: BLE001 — metadata only: the build's events go out as they are
        context.log.warning(f"Métadonnées des tables non calculées : {exc}")
        enriched = events
    yield from enriched
