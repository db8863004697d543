"""Which raw version of a CRM record is the latest, as SQL for the quality gate's raw suite.

Staging and the quality models rank versions with the dbt macro `crm_version_rank`
(dbt_project/macros/latest_version.sql); the gate's raw checks run before dbt, on raw alone, and
need the same answer, so this module writes the same rule for them: by `updated_at`, then load
order, page, position in page — except a version dated in the future (quarantined by the
extractor), which is the latest only while no later load brought a version of the record, and
ranks below every other version once one did. Its `updated_at` cannot be trusted to order it:
it would outrank the CRM's fix for ever.
"""

from __future__ import annotations

from connectors.crm.schema import RESOURCES, raw_table
from connectors.crm.validation import FUTURE_TOLERANCE


def future_dated_sql(alias: str) -> str:
    """The extractor's quarantine rule for a future date, on a raw row."""
    seconds = int(FUTURE_TOLERANCE.total_seconds())
    return f"{alias}.updated_at > {alias}._loaded_at + interval '{seconds} seconds'"


def ranked_versions_sql(resource: str) -> str:
    """A subquery of the versions of `resource`'s records that have a quarantined version:
    `id`, `updated_at`, `_payload_hash`, `version_rank` (1 = the latest)."""
    if resource not in RESOURCES:
        raise ValueError(f"ressource CRM inconnue : {resource}")
    return (
        "(select r.id, r.updated_at, r._payload_hash, row_number() over ("
        "partition by r.id order by "
        f"case when not ({future_dated_sql('r')}) then 1 "
        "when r._load_seq >= r.sea_last_load_seq then 2 else 0 end desc, "
        "r.updated_at desc, r._load_seq desc, r._page desc, r._position desc) as version_rank "
        "from (select s.*, max(s._load_seq) over (partition by s.id) as sea_last_load_seq "
        f"from {raw_table(resource)} as s where s.id in (select q.id from raw.crm_quarantine "
        f"as q where q.resource = '{resource}')) as r)"
    )
