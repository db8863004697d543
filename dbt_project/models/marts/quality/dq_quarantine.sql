{%- set as_of = as_of_date() %}
{%- set resources = {
    'participants': {'antenna': 'r.antenna', 'date': none, 'participant': 'r.id'},
    'enrolments': {'antenna': 'r.antenna', 'date': 'r.start_date', 'participant': 'r.participant_id'},
    'activities': {'antenna': none, 'date': 'r.date', 'participant': 'r.participant_id'},
    'situations': {'antenna': none, 'date': 'r.start_date', 'participant': 'r.participant_id'},
    'employers': {'antenna': 'r.antenna', 'date': none, 'participant': none},
} %}
-- Data-quality scorecard, what could not be loaded, per antenna and month:
-- - `crm_quarantined_records`: CRM records whose latest version is quarantined (absent from
--   every indicator until a corrected version arrives), in the month of their event date (else
--   of their last change), at the antenna the version names (else the participant's);
-- - `sheet_quarantined_rows`, `stale_files`, `rejected_files`: the current state of the shared
--   spreadsheets, in the as-of month, at the antenna of the file (the antenna most of its
--   attendance rows name, else one named in the file path, else SANS_ANTENNE).
with participant_antennas as (
    select ps.participant_id, p.antenna
    from {{ source('crm', 'participant_pseudonyms') }} as ps
    join {{ ref('stg_crm__participants') }} as p on p.participant_key = ps.participant_key
),

latest as (
{%- for resource, spec in resources.items() %}
    select '{{ resource }}' as table_name, v.id, v.updated_at, v._payload_hash,
           v.version_antenna, v.event_date, v.participant_id
    from (
        select r.id, r.updated_at, r._payload_hash,
               {% if spec.antenna %}case when {{ regex_full_match(open_code(spec.antenna), '[A-Z][A-Z0-9_]*') }}
                    then {{ open_code(spec.antenna) }} end{% else %}cast(null as varchar){% endif %}
                   as version_antenna,
               {% if spec.date %}{{ to_date(spec.date) }}{% else %}cast(null as date){% endif %}
                   as event_date,
               {% if spec.participant %}{{ spec.participant }}{% else %}cast(null as varchar){% endif %}
                   as participant_id,
               {{ crm_version_rank('r') }} as version_rank
        -- only records with a quarantined version can have a quarantined latest version
        from {{ crm_versions(resource, "select q.id from " ~ source('crm', 'crm_quarantine')
                             ~ " as q where q.resource = '" ~ resource ~ "'") }} as r
    ) as v
    where v.version_rank = 1
    {% if not loop.last %}union all{% endif %}
{%- endfor %}
),

crm as (
    select coalesce(l.version_antenna, pa.antenna, 'SANS_ANTENNE') as antenna,
           cast(date_trunc('month', coalesce(l.event_date, cast(l.updated_at as date))) as date)
               as month_start,
           'crm' as source,
           l.table_name,
           'crm_quarantined_records' as measure
    from latest as l
    left join participant_antennas as pa on pa.participant_id = l.participant_id
    where exists (
        select 1 from {{ source('crm', 'crm_quarantine') }} as q
        where q.resource = l.table_name and q.id = l.id
          and q.updated_at = l.updated_at and q._payload_hash = l._payload_hash
    )
),

known_antennas as (
    select antenna from {{ ref('stg_crm__enrolments') }} where antenna is not null
    union
    select antenna from {{ ref('stg_crm__participants') }} where antenna is not null
),

file_rows as (
    select source_file, upper(trim(antenne)) as antenna, count(*) as row_count
    from {{ source('sheets', 'sheet_emargements') }}
    where antenne is not null
    group by source_file, upper(trim(antenne))
),

file_majority as (
    select source_file, antenna
    from (
        select source_file, antenna,
               row_number() over (partition by source_file order by row_count desc, antenna)
                   as antenna_rank
        from file_rows
    ) as ranked
    where antenna_rank = 1
),

file_named as (
    select f.source_file, min(a.antenna) as antenna
    from {{ source('sheets', 'sheet_files') }} as f
    join known_antennas as a on upper(f.source_file) like '%' || a.antenna || '%'
    group by f.source_file
),

files as (
    select f.source_file, f.kind, f.status,
           coalesce(m.antenna, n.antenna, 'SANS_ANTENNE') as antenna
    from {{ source('sheets', 'sheet_files') }} as f
    left join file_majority as m on m.source_file = f.source_file
    left join file_named as n on n.source_file = f.source_file
),

sheet_rows as (
    select distinct q.kind, q.source_file, q.source_sheet, q.source_row
    from {{ source('sheets', 'sheet_quarantine') }} as q
),

sheets as (
    select coalesce(f.antenna, 'SANS_ANTENNE') as antenna,
           cast(date_trunc('month', {{ as_of }}) as date) as month_start,
           'tableurs' as source,
           'sheet_' || q.kind as table_name,
           'sheet_quarantined_rows' as measure
    from sheet_rows as q
    left join files as f on f.source_file = q.source_file
    union all
    select antenna,
           cast(date_trunc('month', {{ as_of }}) as date) as month_start,
           'tableurs' as source,
           'sheet_' || kind as table_name,
           case status when 'stale' then 'stale_files' else 'rejected_files' end as measure
    from files
    where status in ('stale', 'rejected')
),

everything as (
    select * from crm
    union all
    select * from sheets
)

select
    antenna,
    month_start,
    source,
    table_name,
    measure,
    cast(count(*) as bigint) as item_count,
    {{ as_of }} as as_of
from everything
group by antenna, month_start, source, table_name, measure
