"""Participants' pseudonyms: a keyed hash (HMAC-SHA256) of the CRM id.

Computed in Python, not SQL, so the key never reaches dbt's compiled SQL or logs. The mapping
lives in `raw` (restricted) and is rebuilt at each refresh from every participant id the raw
layer references, so a new key re-keys everything and an erased person leaves no entry.
"""

from __future__ import annotations

import hashlib
import hmac

import pandas as pd

from connectors.warehouse import Warehouse

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
    """Replace the mapping with one row per participant id found in raw; returns the count."""
    union = " union ".join(_sources(wh))
    ids = [r[0] for r in wh.fetchall(f"select distinct pid from ({union}) u "
                                      "where pid is not null")]
    frame = pd.DataFrame({"participant_id": ids,
                          "participant_key": [pseudonym(key, i) for i in ids]})
    with wh.transaction():
        wh.execute(f"create table if not exists {TABLE} "
                   "(participant_id text, participant_key text)")
        wh.execute(f"delete from {TABLE}")
        wh.insert_df(TABLE, frame)
    return len(frame)
