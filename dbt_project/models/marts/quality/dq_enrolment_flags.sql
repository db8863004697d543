{{ config(schema='intermediate', row_diff=true) }}
{%- set as_of = as_of_date() %}
{%- set timely_days = var('dq_timely_days', 30) %}
-- Data-quality rules of each staged enrolment (parcours), one row per enrolment: `R_applies` /
-- `R_failed` for every rule R, plus the recording delay (timeliness): days between the entry date
-- and the `updated_at` of the first version the warehouse received. Same rules as the gate
-- (expectations/suites/staging.yml), counted per antenna and month of entry.
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

overlapping as (
    select distinct a.enrolment_id
    from spans as a
    join spans as b
      on b.participant_key = a.participant_key and b.programme = a.programme
     and b.enrolment_id <> a.enrolment_id
     and b.start_date <= a.until and a.start_date <= b.until
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
    select e.enrolment_id,
           extract(year from e.start_date) - extract(year from p.birth_date)
           - case when extract(month from e.start_date) * 100 + extract(day from e.start_date)
                       < extract(month from p.birth_date) * 100 + extract(day from p.birth_date)
                  then 1 else 0 end as age_at_entry
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
    case when e.first_updated_at is not null
         then greatest(0, cast(e.first_updated_at as date) - e.start_date) end as recorded_delay_days,
    -- completeness
    coalesce(e.end_date <= {{ as_of }}, false) as exit_reason_when_ended_applies,
    coalesce(e.end_date <= {{ as_of }} and e.exit_reason is null, false)
        as exit_reason_when_ended_failed,
    -- validity
    true as start_not_after_as_of_applies,
    coalesce(e.start_date > {{ as_of }}, false) as start_not_after_as_of_failed,
    a.enrolment_id is not null as plausible_age_at_entry_applies,
    coalesce(a.age_at_entry < 16 or a.age_at_entry > 99, false) as plausible_age_at_entry_failed,
    -- consistency
    true as end_not_before_start_applies,
    coalesce(e.end_date < e.start_date, false) as end_not_before_start_failed,
    true as participant_exists_applies,
    p.participant_key is null as participant_exists_failed,
    true as no_overlap_in_programme_applies,
    o.enrolment_id is not null as no_overlap_in_programme_failed,
    coalesce(e.exit_reason in ('job_found', 'training_found') and e.end_date <= {{ as_of }}, false)
        as found_exit_has_situation_applies,
    w.enrolment_id is not null as found_exit_has_situation_failed,
    -- timeliness
    e.first_updated_at is not null and e.start_date <= {{ as_of }} as recorded_in_time_applies,
    coalesce(e.start_date <= {{ as_of }}
             and cast(e.first_updated_at as date) - e.start_date > {{ timely_days }}, false)
        as recorded_in_time_failed
from enrolments as e
left join participants as p on p.participant_key = e.participant_key
left join overlapping as o on o.enrolment_id = e.enrolment_id
left join found_without_situation as w on w.enrolment_id = e.enrolment_id
left join ages as a on a.enrolment_id = e.enrolment_id
