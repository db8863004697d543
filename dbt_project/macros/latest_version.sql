{#- The latest version of each CRM record (crm-api.md): by updated_at, then load order, page,
    position in page. A latest version that is quarantined hides the record until a later
    version fixes it: quarantine is per version. -#}
{% macro latest_crm_version(resource) %}
    select v.*
    from (
        select r.*,
               row_number() over (
                   partition by r.id
                   order by r.updated_at desc, r._load_seq desc, r._page desc, r._position desc
               ) as version_rank
        from {{ source('crm', 'crm_' ~ resource) }} as r
    ) as v
    where v.version_rank = 1
      and not exists (
          select 1 from {{ source('crm', 'crm_quarantine') }} as q
          where q.resource = '{{ resource }}' and q.id = v.id
            and q.updated_at = v.updated_at and q._payload_hash = v._payload_hash
      )
{% endmacro %}
