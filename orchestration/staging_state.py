"""When the incremental models must be rebuilt from scratch.

Staging only restages records whose raw versions are new; the per-activity models only recompute
participants whose input signature changed (dbt_project/macros/participant_incremental.sql).
That is exact as long as what turns inputs into rows is unchanged: the pseudonym key, the seeds
(code lists, parameters), the macros, the project file, the SQL of those models. When any of
them changes, every incremental row is stale, so the next dbt build runs with `--full-refresh`.
The raw layer counts too: a raw layout step that rewrote rows in place (connectors/crm/
raw_layout.py: versions rehashed or merged, without a new load for staging to notice) changes
its restage marker, which the stored fingerprint includes.
The fingerprint is stored in `raw.pipeline_state`; the key enters it only as a keyed hash of a
constant, so it reveals nothing.
"""

from __future__ import annotations

import hashlib
import hmac

from common.settings import Settings
from common.warehouse import Warehouse
from connectors.crm.raw_layout import restage_marker
from orchestration.dbt_project import DBT_PROJECT_DIR

STATE_TABLE = "raw.pipeline_state"
STATE_NAME = "staging_inputs_fingerprint"
STAGING_INPUTS = (
    "dbt_project.yml",
    "seeds",
    "macros",
    "models/staging/crm",
    # the per-participant incremental models (macros/participant_incremental.sql): their
    # signatures see their inputs' rows, not their own SQL
    "models/intermediate/int_activity_input_signatures.sql",
    "models/intermediate/int_activity_hours.sql",
    "models/intermediate/quality/dq_activity_flags.sql",
)


def staging_fingerprint(settings: Settings) -> str:
    digest = hashlib.sha256()
    digest.update(hmac.new(settings.pseudonym_key.encode("utf-8"), b"sea-staging-inputs",
                           hashlib.sha256).digest())
    for relative in STAGING_INPUTS:
        path = DBT_PROJECT_DIR / relative
        files = sorted(path.rglob("*")) if path.is_dir() else [path]
        for file in files:
            if file.is_file():
                digest.update(str(file.relative_to(DBT_PROJECT_DIR)).encode())
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _ensure(wh: Warehouse) -> None:
    wh.ensure_schema("raw")
    wh.execute(f"create table if not exists {STATE_TABLE} (name text, value text)")


def _with_raw_layout(wh: Warehouse, fingerprint: str) -> str:
    marker = restage_marker(wh)
    return f"{fingerprint}+raw:{marker}" if marker else fingerprint


def needs_full_refresh(wh: Warehouse, fingerprint: str) -> bool:
    """True when staging was built from other inputs (or never built)."""
    _ensure(wh)
    stored = wh.scalar(f"select value from {STATE_TABLE} where name = ?", [STATE_NAME])
    return stored != _with_raw_layout(wh, fingerprint)


def record_fingerprint(wh: Warehouse, fingerprint: str) -> None:
    """After a successful build: staging now reflects these inputs."""
    _ensure(wh)
    with wh.transaction():
        wh.execute(f"delete from {STATE_TABLE} where name = ?", [STATE_NAME])
        wh.execute(f"insert into {STATE_TABLE} values (?, ?)",
                   [STATE_NAME, _with_raw_layout(wh, fingerprint)])
