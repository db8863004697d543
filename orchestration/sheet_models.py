"""The dbt models a night may leave as they are: those that read only the spreadsheets.

A night's `dbt build` pays a fixed cost per node (compiling its SQL, running its hooks and
tests), whatever its data. About a fifth of the project's models and tests read nothing but the
spreadsheets and the reference seeds — the association's own records (communication, milestones,
budget, funders, survey answers), the learning log's links — while the CRM and the as-of date `R`
move every night. When the spreadsheets were not read again (connectors/sheets/unchanged.py)
and nothing else those models read changed, rebuilding them would give the same rows.

Which models those are is read from the manifest, not listed by hand: a model is left out when
none of its ancestors is a CRM source (the CRM's raw tables and the pseudonym map) and none of
them, itself included, calls a macro that reads `R` (`as_of_date`, directly or through other
macros). A new model joins or leaves the set by what it reads.

They are left out only when all of this is as at the last build that ran them
(`state_fingerprint`): the count of spreadsheet loads that read files, and the SQL of those
models and of their tests (manifest checksums). The seeds, macros and project file are in the
staging fingerprint, whose change rebuilds everything (orchestration/staging_state.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from common.warehouse import Warehouse
from connectors.sheets.unchanged import loads
from orchestration.dbt_project import manifest_path

STATE_TABLE = "raw.pipeline_state"  # shared with orchestration/staging_state.py
STATE_NAME = "sheet_models_inputs"
CRM_SOURCE = "crm"  # the dbt source holding the CRM's raw tables and the pseudonym map
AS_OF_MACRO = "as_of_date"


@cache
def _manifest(path: Path, mtime_ns: int) -> Mapping[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def current_manifest() -> Mapping[str, Any]:
    """The manifest `make setup` prepared (the one the code location was built from)."""
    path = manifest_path()
    return _manifest(path, path.stat().st_mtime_ns)


def _macros_reading_as_of(manifest: Mapping[str, Any]) -> set[str]:
    macros = manifest["macros"]
    found = {key for key, macro in macros.items() if macro["name"] == AS_OF_MACRO}
    grew = True
    while grew:
        grew = False
        for key, macro in macros.items():
            if key not in found and found.intersection(macro["depends_on"]["macros"]):
                found.add(key)
                grew = True
    return found


def sheet_only_nodes(manifest: Mapping[str, Any]) -> list[str]:
    """The unique ids of the models and tests that read only spreadsheets and seeds."""
    nodes = manifest["nodes"]
    as_of = _macros_reading_as_of(manifest)
    moving: dict[str, bool] = {}

    def moves(unique_id: str) -> bool:
        if unique_id.startswith("source."):
            return manifest["sources"][unique_id]["source_name"] == CRM_SOURCE
        if unique_id not in nodes:
            return False
        if unique_id not in moving:
            node = nodes[unique_id]
            moving[unique_id] = bool(as_of.intersection(node["depends_on"].get("macros", []))) \
                or any(moves(parent) for parent in node["depends_on"].get("nodes", []))
        return moving[unique_id]

    return sorted(key for key, node in nodes.items()
                  if node["resource_type"] in ("model", "test", "snapshot") and not moves(key))


def sheet_only_models(manifest: Mapping[str, Any]) -> list[str]:
    """Their model names, as `dbt build --exclude` takes them (their tests follow: a test is
    run only when all its parents are, `--indirect-selection cautious`)."""
    nodes = manifest["nodes"]
    return [nodes[key]["name"] for key in sheet_only_nodes(manifest)
            if nodes[key]["resource_type"] in ("model", "snapshot")]


def state_fingerprint(wh: Warehouse, manifest: Mapping[str, Any]) -> str:
    """What the sheet-only models' rows depend on besides the seeds and macros."""
    digest = hashlib.sha256(f"loads:{loads(wh)}".encode())
    for key in sheet_only_nodes(manifest):
        digest.update(f"{key}:{manifest['nodes'][key]['checksum']['checksum']}".encode())
    return digest.hexdigest()


def _ensure(wh: Warehouse) -> None:
    wh.ensure_schema("raw")
    wh.execute(f"create table if not exists {STATE_TABLE} (name text, value text)")


def unchanged_since_last_build(wh: Warehouse, fingerprint: str) -> bool:
    _ensure(wh)
    stored = wh.scalar(f"select value from {STATE_TABLE} where name = ?", [STATE_NAME])
    return stored == fingerprint


def kept_sheet_models(wh: Warehouse, fingerprint: str,
                      manifest: Mapping[str, Any]) -> list[str]:
    """The models a whole-project build may leave out now (none when anything they read moved)."""
    return sheet_only_models(manifest) if unchanged_since_last_build(wh, fingerprint) else []


def record_build(wh: Warehouse, fingerprint: str) -> None:
    """After a build that ran them (every model, or all of these): they reflect these inputs."""
    _ensure(wh)
    with wh.transaction():
        wh.execute(f"delete from {STATE_TABLE} where name = ?", [STATE_NAME])
        wh.execute(f"insert into {STATE_TABLE} values (?, ?)", [STATE_NAME, fingerprint])
