"""The dbt project as Dagster sees it: built once, manifest prepared by `make setup`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from common.settings import PROJECT_ROOT

DBT_PROJECT_DIR: Path = PROJECT_ROOT / "dbt_project"


@cache
def sea_dbt_project(target: str = "duckdb") -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR, target=target)


def manifest_path() -> Path:
    return DBT_PROJECT_DIR / "target" / "manifest.json"
