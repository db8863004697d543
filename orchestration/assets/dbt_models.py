"""Raw → staging → intermediate → marts: how the dbt project becomes Dagster assets.

One `dbt build` per run (each costs a start-up), inside the run's own process
(orchestration/dbt_in_process.py); the models' tests run inside it and appear as asset checks.
Asset keys are `<schema>/<model>` so the UI reads like the warehouse. The asset itself is
`orchestration/assets/dbt_build.py` (it reads the manifest when imported).
"""


import os
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from dagster import AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource

from common.settings import Settings
from orchestration.assets.model_descriptions import DESCRIPTIONS_FR
from orchestration.dbt_in_process import PARTIAL_PARSE, in_process_dbt
from orchestration.dbt_project import DBT_PROJECT_DIR, sea_dbt_project

OWNERS = ["team:mel"]
ASSETS_NAME = "sea_dbt_models"  # also the prefix of each run's target folder (dagster-dbt)
KEPT_RUN_FOLDERS = 20  # dbt's own record of the last runs (logs, compiled SQL), for inspection

# What a refresh runs: every model, seed, snapshot and data test. dbt unit tests check the SQL's
# logic on fixed rows, not the data: they belong to CI (`make test` runs them on both warehouses,
# tests/test_marts.py) and would add seconds to every night for nothing.
PRODUCTION_BUILD = ["build", "--exclude-resource-type", "unit_test"]


def refresh_args(*, full_refresh: bool, whole_project: bool) -> list[str]:
    """The dbt arguments of a refresh.

    - When what the incremental models cannot see changed (orchestration/staging_state.py) or
      on the first run: everything, `--full-refresh`.
    - Otherwise, on a run of the whole project (the nightly job), without the seeds and the tests
      that read only them: the reference data are versioned files inside that fingerprint, so
      unchanged seeds are already loaded and were tested when they were (45 dbt nodes a night).
      The tests of a model against a seed (its codes must exist in the catalogue) stay: they
      are blocking checks of a model the night rebuilds, and a blocking check that reports
      nothing gates nothing. dbt's default ("eager") exclusion would drop every test with an
      excluded parent; "cautious" drops only those whose parents are all excluded.
    - A run of a few assets chosen in the UI runs what was chosen.
    """
    if full_refresh:
        return [*PRODUCTION_BUILD, "--full-refresh"]
    if whole_project:
        return [*PRODUCTION_BUILD, "--exclude", "resource_type:seed",
                "--indirect-selection", "cautious"]
    return PRODUCTION_BUILD


class SeaDbtTranslator(DagsterDbtTranslator):
    """Groups by layer (the folder under models/, = the schema), keys by schema, owners on
    every asset, descriptions in French."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props.get("config", {}).get("schema") or "main"
            return AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """A model's layer (its folder under models/, which sets its schema); seeds and
        snapshots by their schema, as their keys (`reference/…`, `snapshots/…`)."""
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        if dbt_resource_props["resource_type"] == "snapshot":
            return dbt_resource_props.get("config", {}).get("schema") or "snapshots"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else "marts"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return OWNERS

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The French description the data lead reads (orchestration/assets/
        model_descriptions.py), not dbt's English one followed by the model's SQL; a model
        without a French text keeps dbt's, which tests/test_ui_truth.py refuses."""
        return (DESCRIPTIONS_FR.get(dbt_resource_props["name"])
                or super().get_description(dbt_resource_props))


TRANSLATOR = SeaDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_environment_mismatch(settings: Settings) -> list[str]:
    """The variables of dbt's environment (`Settings.dbt_env`) this process does not hold as
    `settings` needs them. dbt reads the warehouse connection and the as-of date from the
    process environment, which the entry points set once at start-up (`defs()` in
    orchestration/definitions.py, `prepare_dagster_home` for the commands); a run with other
    settings would build another warehouse than its Python assets load."""
    return sorted(name for name, value in settings.dbt_env().items()
                  if os.environ.get(name) != value)


def keep_partial_parse(run_target: Path) -> None:
    """Make this run's parse state the one the next run starts from.

    dagster-dbt gives each run a fresh target folder seeded with `target/partial_parse.msgpack`.
    The one `make setup` wrote was parsed with another warehouse path than the pipeline's, so
    dbt would re-parse the whole project every night (seconds); the state of the last run matches
    the next one. dbt checks the state itself and re-parses when anything differs, so an
    out-of-date copy costs time, never correctness. Replaced atomically: runs may overlap.
    """
    produced = run_target / PARTIAL_PARSE
    if not produced.exists():
        return
    kept = DBT_PROJECT_DIR / "target" / PARTIAL_PARSE
    kept.parent.mkdir(parents=True, exist_ok=True)
    scratch = kept.with_name(f".{PARTIAL_PARSE}.{os.getpid()}")
    shutil.copyfile(produced, scratch)
    os.replace(scratch, kept)


def prune_run_folders(parent: Path, keep: int = KEPT_RUN_FOLDERS) -> None:
    """Delete all but the `keep` newest run folders dagster-dbt left in `parent`.

    Each run writes its own folder (manifest, compiled SQL, run_results.json, dbt.log): useful to
    look into a recent night, a disk that fills up when kept for a year of nights.
    """
    runs = sorted((p for p in parent.glob(f"{ASSETS_NAME}-*") if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in runs[keep:]:
        shutil.rmtree(old, ignore_errors=True)


def dbt_resource(settings: Settings) -> DbtCliResource:
    """dbt for the assets: run in the run's own process (orchestration/dbt_in_process.py)."""
    return in_process_dbt(sea_dbt_project(settings.dbt_target))
