{{ config(row_diff=true) }}
{%- set as_of = as_of_date() %}
-- Data-quality rules of each staged enrolment (parcours), one row per enrolment: `R_applies` /
-- `R_failed` for every rule R, plus the recording delay (timeliness): days between the entry date
-- and the `updated_at` of the first version the warehouse received. The one place these rules
-- are computed: the gate's checks of stg_crm__enrolments (expectations/suites/staging.yml) read
-- the `_failed` verdicts, the scorecard counts them per antenna and month of entry.
with enrolments as (
    select * from {{ ref('stg_crm__enrolments') }}
),

participants as (
    select participant_key, birth_date from {{ ref('stg_crm__participants') }}
),

spans as (
    select enrolment_id, participant_key, programme, start_date,
           case when end_date is null or end_date > {{ as_of }} then {{ as_of }}
                else end_date end as until
    from enrolments
    where end_date is null or end_date >= start_date
),

overlapping as (  -- with the smallest id of what it overlaps, to show beside a failure
    select a.enrolment_id, min(b.enrolment_id) as overlapping_enrolment_id
    from spans as a
    join spans as b
      on b.participant_key = a.participant_key and b.programme = a.programme
     and b.enrolment_id <> a.enrolment_id
     and b.start_date <= a.until and a.start_date <= b.until
    group by a.enrolment_id
),

found_without_situation as (
    select e.enrolment_id
    from enrolments as e
    where e.exit_reason in ('job_found', 'training_found')
      and e.end_date is not null and e.end_date <= {{ as_of }}
      and not exists (
          select 1 from {{ ref('int_situations_unioned') }} as s
          where s.participant_key = e.participant_key
            and s.start_date >= e.start_date and s.start_date <= e.end_date + 30
            and ((e.exit_reason = 'job_found' and s.kind in ('employment', 'business_creation'))
                 or (e.exit_reason = 'training_found' and s.kind = 'training')))
),

ages as (
    select e.enrolment_id, {{ age_on('p.birth_date', 'e.start_date') }} as age_at_entry
    from enrolments as e
    join participants as p on p.participant_key = e.participant_key
    where p.birth_date is not null and e.start_date is not null
)

select
    e.enrolment_id as record_id,
    e.enrolment_id as related_enrolment_id,
    coalesce(e.antenna, 'SANS_ANTENNE') as antenna,
    cast(date_trunc('month', e.start_date) as date) as month_start,
    e.start_date as event_date,
    {{ dq_recording_delay('e.start_date', 'e.first_updated_at') }} as recorded_delay_days,
    a.age_at_entry,
    o.overlapping_enrolment_id,
    -- completeness
    coalesce(e.end_date <= {{ as_of }}, false) as exit_reason_when_ended_applies,
    coalesce(e.end_date <= {{ as_of }} and e.exit_reason is null, false)
        as exit_reason_when_ended_failed,
    -- validity
    {{ dq_not_after_as_of('start_not_after_as_of', 'e.start_date') }},
    a.enrolment_id is not null as plausible_age_at_entry_applies,
    coalesce(a.age_at_entry < {{ sea_param('age_min') }} or a.age_at_entry > {{ sea_param('age_max') }},
             false) as plausible_age_at_entry_failed,
    -- consistency
    {{ dq_end_not_before_start('e.start_date', 'e.end_date') }},
    {{ dq_participant_exists('p.participant_key') }},
    true as no_overlap_in_programme_applies,
    o.enrolment_id is not null as no_overlap_in_programme_failed,
    coalesce(e.exit_reason in ('job_found', 'training_found') and e.end_date <= {{ as_of }}, false)
        as found_exit_has_situation_applies,
    w.enrolment_id is not null as found_exit_has_situation_failed,
    -- timeliness
    {{ dq_recorded_in_time('e.start_date', 'e.first_updated_at') }}
from enrolments as e
left join participants as p on p.participant_key = e.participant_key
left join overlapping as o on o.enrolment_id = e.enrolment_id
left join found_without_situation as w on w.enrolment_id = e.enrolment_id
left join ages as a on a.enrolment_id = e.enrolment_id
