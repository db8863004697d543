"""The dbt project's models, seeds, snapshots and tests as one Dagster multi-asset.

A module of its own because `@dbt_assets` reads `dbt_project/target/manifest.json` when the
module is imported: `orchestration/definitions.py` imports it when definitions are built, after
`make setup` (or the test session) has parsed the project, and importing the helpers of
`orchestration/assets/dbt_models.py` does not read a manifest that may be out of date.
"""

from collections.abc import Iterable, Iterator, Mapping
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
from orchestration.sheet_models import (
    current_manifest,
    kept_sheet_models,
    record_build,
)
from orchestration.sheet_models import (
    state_fingerprint as sheet_models_fingerprint,
)
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
    manifest = current_manifest()
    with warehouse.get_warehouse() as wh:
        rebuild = needs_full_refresh(wh, fingerprint)
        sheets_state = sheet_models_fingerprint(wh, manifest)
        kept = [] if rebuild or context.is_subset else kept_sheet_models(wh, sheets_state, manifest)
    args = refresh_args(full_refresh=rebuild, whole_project=not context.is_subset,
                        unchanged_models=kept)
    if rebuild:
        context.log.info("Entrées des modèles incrémentaux modifiées (clé, référentiels, "
                         "macros, SQL) ou premier passage : reconstruction complète.")
    elif kept:
        context.log.info(f"Tableurs inchangés : {len(kept)} modèles qui ne lisent qu'eux "
                         "gardés tels quels.")
    # first: Dagster wants a multi-asset's outputs in dependency order, and these come first
    yield from _kept_outputs(context, manifest, kept)
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
        if not context.is_subset:
            record_build(wh, sheets_state)
    keep_partial_parse(invocation.target_path)
    prune_run_folders(invocation.target_path.parent)


def _kept_outputs(context: AssetExecutionContext, manifest: Mapping[str, Any],
                  kept: list[str]) -> Iterator[Output]:
    """The models left as they are still report to the run: their rows are current (nothing
    they read changed), and the assets downstream of them in the run must not be skipped."""
    nodes = {key: node for key, node in manifest["nodes"].items()
             if node["resource_type"] in ("model", "snapshot") and node["name"] in set(kept)}
    for node in _in_dependency_order(nodes):
        key = TRANSLATOR.get_asset_key(node)
        output = context.assets_def.get_output_name_for_asset_key(key)
        if output in context.selected_output_names:
            yield Output(None, output_name=output, metadata={
                "inchangé": "tableurs non modifiés depuis la dernière construction : table "
                            "gardée telle quelle"})


def _in_dependency_order(nodes: Mapping[str, Any]) -> list[Any]:
    """`nodes` (manifest entries by unique id), each after those of them it reads."""
    done: dict[str, Any] = {}

    def visit(key: str) -> None:
        if key in done:
            return
        for parent in nodes[key]["depends_on"].get("nodes", []):
            if parent in nodes:
                visit(parent)
        done[key] = nodes[key]

    for key in sorted(nodes):
        visit(key)
    return list(done.values())


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
