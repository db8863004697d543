{#- The latest version of each CRM record (docs/crm-api.md#versions-and-idempotence): by updated_at,
    then load order, page, position in page (a version dated in the future ranks apart: see
    `crm_version_rank`). A latest version that is quarantined hides the record until a later version
    fixes it: quarantine is per version.

    The CRM staging models are incremental (a night's cost follows what changed, not the
    history): on an incremental run only the records with a raw version loaded after the last
    one staging saw (`_load_seq` above staging's maximum) are re-ranked — over all their
    versions, so the result is the full rebuild's — and replace their rows (delete+insert on the
    model's key). `crm_staging_prune` (pre-hook) first removes the rows of those records and of
    records that left raw (erasure), so a record whose new latest version is quarantined, or
    that was erased, disappears from staging as it would in a full rebuild.

    `with_first_version` adds `first_updated_at`: the `updated_at` of the first version received
    (arrival order: load, page, position in page), when the CRM first told us about the record.
    It is computed over all the record's versions like the rank, so it costs no second pass over
    raw for the models that need it (recording delays). -#}
{% macro latest_crm_version(resource, with_first_version=false) %}
    select v.*
    from (
        select r.*,
               {%- if with_first_version %}
               first_value(r.updated_at) over (
                   partition by r.id order by r._load_seq, r._page, r._position
               ) as first_updated_at,
               {%- endif %}
               {{ crm_version_rank('r') }} as version_rank
        {%- if is_incremental() %}
        from {{ crm_versions(resource, "select c.id from " ~ source('crm', 'crm_' ~ resource)
                             ~ " as c where c._load_seq > " ~ crm_staging_watermark()) }} as r
        {%- else %}
        from {{ crm_versions(resource) }} as r
        {%- endif %}
    ) as v
    where v.version_rank = 1
      and not exists (
          select 1 from {{ source('crm', 'crm_quarantine') }} as q
          where q.resource = '{{ resource }}' and q.id = v.id
            and q.updated_at = v.updated_at and q._payload_hash = v._payload_hash
      )
{% endmacro %}

{#- The last raw load staging has seen: the largest `_load_seq` of its rows (0 when the table
    predates the column, so the first incremental run restages everything). -#}
{% macro crm_staging_watermark() -%}
  {%- set seen = [] -%}
  {%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(this) -%}
      {%- if column.name | lower == '_load_seq' -%}{%- do seen.append(1) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if seen -%}
    (select coalesce(max(t._load_seq), 0) from {{ this }} as t)
  {%- else -%}
    0
  {%- endif -%}
{%- endmacro %}

{#- Pre-hook of the incremental CRM staging models: delete the rows of records changed since
    the last run (they are restaged, or stay out when their latest version is quarantined) and
    of records no longer in raw (erased). `key` is the model's key column; participants are
    keyed by pseudonym, matched to raw through the pseudonym map. -#}
{% macro crm_staging_prune(resource, key) %}
  {%- if is_incremental() -%}
    {%- set raw = source('crm', 'crm_' ~ resource) -%}
    {#- PostgreSQL cannot turn a `not exists` joined by `or` into an anti-join: it probes raw
        once per staged row (55 s for 1.7 M activities at 100 000 participants). There the two
        conditions are two deletes, a semi-join and an anti-join, each one pass. -#}
    {%- set or_gone = ';\n    delete from ' ~ this ~ '\n    where' if target.type == 'postgres'
                      else 'or' -%}
    {%- if resource == 'participants' -%}
    delete from {{ this }}
    where {{ key }} in (
            select ps.participant_key
            from {{ raw }} as c
            inner join {{ source('crm', 'participant_pseudonyms') }} as ps
                on ps.participant_id = c.id
            where c._load_seq > {{ crm_staging_watermark() }}
        )
       {{ or_gone }} not exists (
            select 1
            from {{ source('crm', 'participant_pseudonyms') }} as ps
            inner join {{ raw }} as c
                on c.id = ps.participant_id
            where ps.participant_key = {{ this.identifier }}.{{ key }}
        )
    {%- else -%}
    delete from {{ this }}
    where {{ key }} in (
            select c.id from {{ raw }} as c
            where c._load_seq > {{ crm_staging_watermark() }}
        )
       {{ or_gone }} not exists (
            select 1 from {{ raw }} as c where c.id = {{ this.identifier }}.{{ key }})
    {%- endif -%}
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{#- Rank 1 = the latest version of a CRM record (docs/crm-api.md#future-dated-records): updated_at
    as a UTC instant, then load order, page, position in page. The one definition of "latest", used
    by staging and by the quality models; `alias` must come from `crm_versions` (it needs
    `sea_last_load_seq`).

    A version dated in the future (`crm_future_dated`: a CRM clock or import error, quarantined
    by the extractor) cannot be ordered by its updated_at, which would outrank every fix for
    ever. While it is the CRM's current version, every extraction receives it again (its date
    is past any watermark), so it stays the record's latest load; once the CRM fixes it, the
    fix arrives in a later load and the future-dated version is never served again. Hence:
    a future-dated version is the latest while no later load brought a version of the record
    (the record stays hidden and flagged, as the quarantine rule wants), and ranks below every
    other version afterwards. A rebuild from empty sees only what the CRM serves now, the
    future-dated version or its fix: the same latest version. -#}
{% macro crm_version_rank(alias) -%}
    row_number() over (
        partition by {{ alias }}.id
        order by case when not ({{ crm_future_dated(alias) }}) then 1
                      when {{ alias }}._load_seq >= {{ alias }}.sea_last_load_seq then 2
                      else 0 end desc,
                 {{ alias }}.updated_at desc, {{ alias }}._load_seq desc, {{ alias }}._page desc,
                 {{ alias }}._position desc
    )
{%- endmacro %}

{#- The raw versions of a CRM resource, with each record's last load (`sea_last_load_seq`) that
    `crm_version_rank` needs; `ids`: SQL selecting the ids to keep (whole records, so the
    window sees every version of each one). -#}
{% macro crm_versions(resource, ids=none) -%}
    (
        select s.*, max(s._load_seq) over (partition by s.id) as sea_last_load_seq
        from {{ source('crm', 'crm_' ~ resource) }} as s
        {%- if ids %}
        where s.id in ({{ ids }})
        {%- endif %}
    )
{%- endmacro %}

{#- A version whose updated_at lies more than 5 minutes past the start of the load that brought
    it (`_loaded_at`): the extractor's rule for quarantining it (FUTURE_TOLERANCE in
    connectors/crm/validation.py — change both together). -#}
{% macro crm_future_dated(alias) -%}
    {{ alias }}.updated_at > {{ alias }}._loaded_at + interval '5 minutes'
{%- endmacro %}
