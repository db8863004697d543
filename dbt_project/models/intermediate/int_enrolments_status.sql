-- Every staged enrolment and whether it counts (docs/indicators.md#2-which-records-count), with the
-- reason when it does not. An enrolment whose end date is after R is treated as still active:
-- its effective end date is null until R reaches it.
with enrolments as (
    select * from {{ ref('stg_crm__enrolments') }}
),

participants as (
    select participant_key from {{ ref('stg_crm__participants') }}
)

select
    e.enrolment_id,
    e.participant_key,
    e.programme,
    e.antenna,
    e.cohort,
    e.start_date,
    e.end_date as recorded_end_date,
    case when e.end_date <= {{ as_of_date() }} then e.end_date end as end_date,
    e.exit_reason,
    case
        when e.participant_key is null or p.participant_key is null then 'orphan_participant'
        when e.start_date is null then 'missing_start_date'
        when e.end_date < e.start_date then 'end_before_start'
        when e.start_date > {{ as_of_date() }} then 'starts_after_as_of'
    end as exclusion_reason,
    coalesce(e.end_date > {{ as_of_date() }}, false) as is_end_after_as_of,
    coalesce(e.end_date <= {{ as_of_date() }} and e.exit_reason is null, false)
        as is_missing_exit_reason
from enrolments as e
left join participants as p
    on p.participant_key = e.participant_key
