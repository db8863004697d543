{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_stale_participants(ref('int_activity_input_signatures')) }}",
    post_hook="{{ record_computed_signatures(ref('int_activity_input_signatures')) }}",
) }}
{%- set as_of = as_of_date() %}
{%- set incremental = is_incremental() %}
-- Data-quality rules of each accompaniment event (CRM activities and attendance-sheet rows),
-- one row per event: `R_applies` / `R_failed` for every rule R, plus the recording delay (CRM
-- events only: a sheet row has no CRM version). Attribution follows
-- docs/indicators.md#6-hours-of-accompaniment-hrs: the named enrolment when it is staged, counts
-- and belongs to the participant, else the participant's enrolment running on that date.
-- Incremental by participant (macros/participant_incremental.sql): a night recomputes only the
-- participants whose inputs changed. The one place these rules are computed: the gate's checks
-- of the activities read the verdicts (expectations/suites/staging.yml, intermediate.yml).
with {{ activities_to_compute(incremental) }},

participants as (
    select participant_key, antenna from {{ ref('stg_crm__participants') }}
    {{ only_participants_to_compute('participant_key', incremental) }}
),

counted as (   -- enrolments that count (docs/indicators.md#2-which-records-count)
    select e.enrolment_id, e.participant_key, e.antenna, e.start_date,
           case when e.end_date is null or e.end_date > {{ as_of }} then {{ as_of }}
                else e.end_date end as until
    from {{ ref('stg_crm__enrolments') }} as e
    join participants as p on p.participant_key = e.participant_key
    where e.start_date <= {{ as_of }} and (e.end_date is null or e.end_date >= e.start_date)
),

named as (     -- the enrolment named on the event, when it fits (ids are unique: one row each)
    select a.*, c.enrolment_id as named_enrolment_id, c.antenna as named_antenna
    from activities as a
    left join counted as c
      on c.enrolment_id = a.enrolment_id and c.participant_key = a.participant_key
),

dated as (     -- else the participant's enrolment running that day: earliest start, then id
    select activity_id, enrolment_id, antenna
    from (
        select a.activity_id, c.enrolment_id, c.antenna,
               row_number() over (partition by a.activity_id
                                  order by c.start_date, {{ text_sort_key('c.enrolment_id') }})
                   as attribution_rank
        from named as a
        join counted as c
          on c.participant_key = a.participant_key
         and c.start_date <= a.activity_date and a.activity_date <= c.until
        where a.named_enrolment_id is null
    ) as candidates
    where attribution_rank = 1
),

employers as (
    select employer_id, antenna from {{ ref('stg_crm__employers') }}
)

select
    a.activity_id as record_id,
    a.source,
    a.participant_key,
    coalesce(a.named_enrolment_id, d.enrolment_id, a.enrolment_id) as related_enrolment_id,
    coalesce(a.named_antenna, d.antenna, p.antenna, m.antenna, upper(trim(a.antenna_declared)),
             'SANS_ANTENNE') as antenna,
    cast(date_trunc('month', a.activity_date) as date) as month_start,
    a.activity_date as event_date,
    {{ dq_recording_delay('a.activity_date', 'a.first_updated_at') }} as recorded_delay_days,
    -- completeness
    coalesce(a.attended and a.has_participant, false) as duration_filled_applies,
    coalesce(a.attended and a.has_participant and a.duration_minutes is null, false)
        as duration_filled_failed,
    -- validity
    a.duration_minutes is not null as duration_in_range_applies,
    coalesce(a.duration_minutes < 1 or a.duration_minutes > 600, false)
        as duration_in_range_failed,
    {{ dq_not_after_as_of('date_not_after_as_of', 'a.activity_date') }},
    -- consistency
    {{ dq_participant_exists('p.participant_key', applies='coalesce(a.has_participant, false)') }},
    a.enrolment_id is not null as enrolment_id_fits_applies,
    a.enrolment_id is not null and a.named_enrolment_id is null as enrolment_id_fits_failed,
    coalesce(p.participant_key is not null and a.attended
             and a.activity_type <> 'followup_contact' and a.activity_date <= {{ as_of }}, false)
        as attributable_to_enrolment_applies,
    coalesce(p.participant_key is not null and a.attended
             and a.activity_type <> 'followup_contact' and a.activity_date <= {{ as_of }}, false)
        and a.named_enrolment_id is null and d.activity_id is null
        as attributable_to_enrolment_failed,
    -- timeliness
    {{ dq_recorded_in_time('a.activity_date', 'a.first_updated_at') }}
from named as a
left join participants as p on p.participant_key = a.participant_key
left join dated as d on d.activity_id = a.activity_id
left join employers as m on m.employer_id = a.employer_id
