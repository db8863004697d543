"""Participants' pseudonyms: a keyed hash (HMAC-SHA256) of the CRM id.

Computed in Python, not SQL, so the key never reaches dbt's compiled SQL or logs. The mapping
lives in `raw` (restricted) and is brought up to date at each refresh with every participant id
the raw layer references: ids no longer referenced (an erased person) leave, new ids get their
pseudonym, the others keep theirs — so a night hashes only its new people. A mapping made with
another key (PSEUDONYM_KEY rotated) is rebuilt whole.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from common.warehouse import Warehouse

TABLE = "raw.participant_pseudonyms"


def pseudonym(key: str, participant_id: str) -> str:
    digest = hmac.new(key.encode("utf-8"), participant_id.encode("utf-8"), hashlib.sha256)
    return "p_" + digest.hexdigest()[:24]


def _sources(wh: Warehouse) -> list[str]:
    rows = wh.fetchall(
        "select table_name from information_schema.columns where table_schema = 'raw' "
        "and column_name = 'participant_id' and table_name <> 'participant_pseudonyms' "
        "order by table_name"
    )
    selects = [f"select participant_id as pid from raw.{r[0]}" for r in rows]
    return selects + ["select id as pid from raw.crm_participants"]


def rebuild_pseudonyms(wh: Warehouse, key: str) -> int:
    """Bring the mapping to one row per participant id found in raw; returns the count."""
    union = " union all ".join(_sources(wh))
    with wh.transaction():
        wh.execute(f"create table if not exists {TABLE} "
                   "(participant_id text, participant_key text)")
        if wh.dialect == "postgres":
            # The CRM staging prune looks a staged row's pseudonym up for every staged row
            # (dbt_project/macros/latest_version.sql, `crm_staging_prune`): without an index
            # each lookup scans the whole map, a night's cost growing with the square of the
            # participants (24 s of a night at 20 000, docs/performance.md#postgresql).
            wh.execute("create index if not exists participant_pseudonyms_key "
                       f"on {TABLE} (participant_key)")
        if not _made_with(wh, key):
            wh.execute(f"delete from {TABLE}")
        wh.execute("drop table if exists sea_tmp_referenced_ids")
        wh.execute("create temporary table sea_tmp_referenced_ids as "
                   f"select distinct pid from ({union}) u where pid is not null")
        wh.execute(f"delete from {TABLE} where participant_id not in "
                   "(select pid from sea_tmp_referenced_ids)")
        new_ids = [r[0] for r in wh.fetchall(
            "select pid from sea_tmp_referenced_ids as r where not exists "
            f"(select 1 from {TABLE} as m where m.participant_id = r.pid) order by pid")]
        wh.insert_df(TABLE, pd.DataFrame({
            "participant_id": new_ids,
            "participant_key": [pseudonym(key, i) for i in new_ids]}))
        wh.execute("drop table sea_tmp_referenced_ids")
        if wh.dialect == "postgres":
            wh.execute(f"analyze {TABLE}")  # the plans that join it see its new size
        return int(wh.scalar(f"select count(*) from {TABLE}"))


def _made_with(wh: Warehouse, key: str) -> bool:
    """Whether the existing mapping's pseudonyms come from `key` (true when it is empty)."""
    row = wh.fetchall(f"select participant_id, participant_key from {TABLE} limit 1")
    return not row or pseudonym(key, row[0][0]) == row[0][1]
