"""Raw → staging → intermediate → marts: the dbt project as Dagster assets.

One `dbt build` per run (each dbt start costs seconds); tests of the models run inside it and
appear as asset checks. Asset keys are `<schema>/<model>` so the UI reads like the warehouse.
"""


import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from connectors.warehouse import connect
from orchestration.dbt_project import manifest_path, sea_dbt_project
from orchestration.settings import Settings
from orchestration.staging_state import (
    needs_full_refresh,
    record_fingerprint,
    staging_fingerprint,
)

OWNERS = ["team:mel"]


class SeaDbtTranslator(DagsterDbtTranslator):
    """Groups by layer (the folder under models/), keys by schema, owners on every asset."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or "main"
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS


TRANSLATOR = SeaDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def build_dbt_assets(settings: Settings):
    project = sea_dbt_project(settings.dbt_target)

    @dbt_assets(manifest=manifest_path(), project=project, dagster_dbt_translator=TRANSLATOR,
                name="sea_dbt_models")
    def sea_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
        # dbt reads the warehouse connection and the as-of date from its environment.
        os.environ.update(settings.dbt_env())
        fingerprint = staging_fingerprint(settings)
        with connect(settings.warehouse) as wh:
            rebuild = needs_full_refresh(wh, fingerprint)
        args = ["build", "--full-refresh"] if rebuild else ["build"]
        if rebuild:
            context.log.info("Entrées du staging modifiées (clé, listes, SQL) ou premier "
                             "passage : reconstruction complète du staging.")
        yield from dbt.cli(args, context=context).stream()
        with connect(settings.warehouse) as wh:
            record_fingerprint(wh, fingerprint)

    return sea_dbt_models


def dbt_resource(settings: Settings) -> DbtCliResource:
    # The dbt of this virtualenv, whether or not the venv is on PATH.
    executable = Path(sys.executable).parent / "dbt"
    return DbtCliResource(project_dir=sea_dbt_project(settings.dbt_target),
                          dbt_executable=str(executable) if executable.exists() else "dbt")
