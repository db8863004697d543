{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_stale_participants(ref('int_activity_input_signatures')) }}",
    post_hook="{{ record_computed_signatures(ref('int_activity_input_signatures')) }}",
) }}
-- Hours of accompaniment (indicators.md § hours) per enrolment and calendar month: the counted
-- activities (CRM and attendance sheets) attributed to each counted enrolment, added up in the
-- month of their own date. Only what HRS and the journeys read is kept: writing one row per
-- activity (1.7 M at 100 000 participants) cost more than attributing them; why a given activity
-- does not count is in dq_activity_flags.
-- Counted: an attended activity of a known participant, of any type but followup_contact,
-- dated on or before R, with a duration in 1..600 minutes (a null duration counts 0 minutes).
-- Attribution: its own enrolment_id when that enrolment counts and belongs to the same
-- participant (even if the date falls outside it); otherwise the participant's counted
-- enrolment with start <= date <= coalesce(end, R), earliest start first, then smallest id as
-- text; none → counted nowhere.
-- Incremental by participant (macros/participant_incremental.sql): a night recomputes only the
-- participants whose inputs changed.
{%- set incremental = is_incremental() %}
with params as (
    select
        {{ sea_param('hrs_min_minutes') }} as min_minutes,
        {{ sea_param('hrs_max_minutes') }} as max_minutes,
        {{ as_of_date() }} as as_of
),

{{ activities_to_compute(incremental) }},

participants as (
    select participant_key from {{ ref('stg_crm__participants') }}
    {{ only_participants_to_compute('participant_key', incremental) }}
),

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
    inner join participants as p
        on p.participant_key = a.participant_key
    where coalesce(a.has_participant, false)
      and a.activity_date <= pr.as_of
      and coalesce(a.activity_type <> 'followup_contact', true)
      and coalesce(a.attended, false)
      and (a.duration_minutes is null
           or a.duration_minutes between pr.min_minutes and pr.max_minutes)
),

-- the enrolment named on the activity, when it counts and is the participant's (enrolment ids
-- are unique, so this join keeps one row per activity)
declared as (
    select
        a.*,
        e.enrolment_id as declared_fit_id,
        e.programme as declared_programme,
        e.antenna as declared_antenna
    from counted as a
    left join enrolments as e
        on e.enrolment_id = a.enrolment_id
       and e.participant_key = a.participant_key
),

-- otherwise the participant's enrolment running on that date: earliest start, then id as text
by_dates as (
    select activity_id, source, enrolment_id, programme, antenna
    from (
        select
            a.activity_id,
            a.source,
            e.enrolment_id,
            e.programme,
            e.antenna,
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
        a.participant_key,
        coalesce(a.declared_fit_id, b.enrolment_id) as enrolment_id,
        coalesce(a.declared_programme, b.programme) as programme,
        coalesce(a.declared_antenna, b.antenna) as antenna,
        {{ month_start('a.activity_date') }} as month_start,
        a.minutes
    from declared as a
    left join by_dates as b
        on b.activity_id = a.activity_id
       and b.source = a.source
)

select
    participant_key,
    enrolment_id,
    programme,
    antenna,
    month_start,
    count(*) as activities_counted,
    sum(minutes) as counted_minutes
from attributed
where enrolment_id is not null
group by participant_key, enrolment_id, programme, antenna, month_start
