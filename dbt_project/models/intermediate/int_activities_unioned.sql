{#- A view: a pass-through union of 1.7 M rows per 100 000 participants that would cost a second
    of writing per refresh for nothing; its readers prune what they do not need. -#}
{{ config(materialized="sea_view") }}
-- Every accompaniment event, CRM and attendance sheets together
-- (docs/spreadsheets.md#emargements--attendance-sheets-many-files): an attendance row is dropped
-- when the participant has a CRM `workshop` activity on the same date (the CRM record wins whole).
-- Not filtered by the as-of date: the marts apply the rules.
with crm as (
    select
        activity_id,
        'crm' as source,
        participant_key,
        has_participant,
        enrolment_id,
        employer_id,
        activity_type,
        activity_date,
        cast(duration_minutes as double precision) as duration_minutes,
        attended,
        reached,
        cast(null as varchar) as antenna_declared,
        first_updated_at,
        _row_hash
    from {{ ref('stg_crm__activities') }}
),

sheet as (
    select
        e.attendance_id as activity_id,
        'emargement' as source,
        e.participant_key,
        true as has_participant,
        cast(null as varchar) as enrolment_id,
        cast(null as varchar) as employer_id,
        'workshop' as activity_type,
        e.session_date as activity_date,
        e.duration_minutes,
        e.attended,
        cast(null as boolean) as reached,
        e.antenna_declared,
        cast(null as timestamp) as first_updated_at,
        {{ row_hash([
            'e.attendance_id', 'e.participant_key', 'e.session_date', 'e.duration_minutes',
            'e.attended', 'e.antenna_declared']) }} as _row_hash
    from {{ ref('stg_sheets__emargements') }} as e
    -- (read from staging, not from the `crm` CTE: a CTE read twice is materialized whole)
    where not exists (
        select 1 from {{ ref('stg_crm__activities') }} as c
        where c.activity_type = 'workshop'
          and c.participant_key = e.participant_key
          and c.activity_date = e.session_date
    )
)

select * from crm
union all
select * from sheet
