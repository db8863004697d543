{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_stale_participants(ref('int_activity_input_signatures')) }}",
    post_hook="{{ record_computed_signatures(ref('int_activity_input_signatures')) }}",
) }}
-- Hours of accompaniment (docs/indicators.md#6-hours-of-accompaniment-hrs) per enrolment and
-- calendar month: the counted activities (CRM and attendance sheets) attributed to each counted
-- enrolment, added up in the month of their own date. Only what HRS and the journeys read is kept:
-- writing one row per activity (1.7 M at 100 000 participants) cost more than attributing them; why
-- a given activity does not count is in dq_activity_flags. Counted: an attended activity of a known
-- participant, of any type but followup_contact, dated on or before R, with a duration in 1..600
-- minutes (a null duration counts 0 minutes). Attribution: its own enrolment_id when that enrolment
-- counts and belongs to the same participant (even if the date falls outside it); otherwise the
-- participant's counted enrolment with start <= date <= coalesce(end, R), earliest start first,
-- then smallest id as text; none → counted nowhere. Incremental by participant
-- (macros/participant_incremental.sql): a night recomputes only the participants whose inputs
-- changed.
{%- set incremental = is_incremental() %}
with params as (
    select
        {{ sea_param('hrs_min_minutes') }} as min_minutes,
        {{ sea_param('hrs_max_minutes') }} as max_minutes,
        {{ as_of_date() }} as as_of
),

{{ activities_to_compute(incremental) }},

-- (no join with the participants: an activity counts only through a counted enrolment of its
-- own participant, and counted enrolments are those of known participants)
enrolments as (
    select enrolment_id, participant_key, programme, antenna, start_date, end_date
    from {{ ref('int_enrolments_counted') }}
    {{ only_participants_to_compute('participant_key', incremental) }}
),

counted as (
    select
        a.activity_id,
        a.source,
        a.participant_key,
        a.enrolment_id,
        a.activity_date,
        coalesce(a.duration_minutes, 0) as minutes
    from activities as a
    cross join params as pr
    where coalesce(a.has_participant, false)
      and a.activity_date <= pr.as_of
      and coalesce(a.activity_type <> 'followup_contact', true)
      and coalesce(a.attended, false)
      and (a.duration_minutes is null
           or a.duration_minutes between pr.min_minutes and pr.max_minutes)
),

-- the enrolment named on the activity, when it counts and is the participant's: a semi-join
-- written as each engine runs it best (macros/sea_semijoin.sql)
declared as (
    {{ with_declared_enrolment('counted', 'enrolments') }}
),

-- otherwise the participant's enrolment running on that date: earliest start, then id as text
by_dates as (
    select activity_id, source, enrolment_id
    from (
        select
            a.activity_id,
            a.source,
            e.enrolment_id,
            row_number() over (
                partition by a.activity_id, a.source
                order by e.start_date, {{ text_sort_key('e.enrolment_id') }}
            ) as candidate_rank
        from declared as a
        cross join params as pr
        inner join enrolments as e
            on e.participant_key = a.participant_key
           and e.start_date <= a.activity_date
           and a.activity_date <= coalesce(e.end_date, pr.as_of)
        where a.declared_fit_id is null
    ) as ranked
    where candidate_rank = 1
),

attributed as (
    select
        coalesce(a.declared_fit_id, b.enrolment_id) as enrolment_id,
        {{ month_start('a.activity_date') }} as month_start,
        a.minutes
    from declared as a
    left join by_dates as b
        on b.activity_id = a.activity_id
       and b.source = a.source
),

-- added up per enrolment and month; the enrolment's participant, programme and antenna joined
-- after (grouping on two keys rather than five)
monthly as (
    select
        enrolment_id,
        month_start,
        count(*) as activities_counted,
        sum(minutes) as counted_minutes
    from attributed
    where enrolment_id is not null
    group by enrolment_id, month_start
)

select
    e.participant_key,
    m.enrolment_id,
    e.programme,
    e.antenna,
    m.month_start,
    m.activities_counted,
    m.counted_minutes
from monthly as m
inner join enrolments as e
    on e.enrolment_id = m.enrolment_id
