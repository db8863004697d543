{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook="{{ prune_stale_participants(ref('int_activity_input_signatures')) }}",
    post_hook="{{ record_computed_signatures(ref('int_activity_input_signatures')) }}",
) }}
-- Hours of accompaniment (indicators.md § hours), one row per activity (CRM and attendance
-- sheets) with the enrolment it is attributed to and, when it does not count in HRS, why.
-- Counted: an attended activity of a known participant, of any type but followup_contact,
-- dated on or before R, with a duration in 1..600 minutes (a null duration counts 0 minutes).
-- Attribution: its own enrolment_id when that enrolment counts and belongs to the same
-- participant (even if the date falls outside it); otherwise the participant's counted
-- enrolment with start <= date <= coalesce(end, R), earliest start first, then smallest id as
-- text; none → not attributable.
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

eligible as (
    select
        a.*,
        case
            when not coalesce(a.has_participant, false) or a.participant_key is null
                then 'no_participant'
            when p.participant_key is null then 'orphan_participant'
            when a.activity_date is null then 'missing_date'
            when a.activity_date > pr.as_of then 'after_as_of'
            when a.activity_type = 'followup_contact' then 'followup_contact'
            when not coalesce(a.attended, false) then 'not_attended'
            when a.duration_minutes is not null
                 and (a.duration_minutes < pr.min_minutes or a.duration_minutes > pr.max_minutes)
                then 'duration_out_of_range'
        end as ineligible_reason
    from activities as a
    cross join params as pr
    left join participants as p
        on p.participant_key = a.participant_key
),

-- the enrolment named on an eligible activity, when it counts and is the participant's
-- (enrolment ids are unique, so this join keeps one row per activity)
declared as (
    select
        a.*,
        e.enrolment_id as declared_fit_id,
        e.programme as declared_programme,
        e.antenna as declared_antenna
    from eligible as a
    left join enrolments as e
        on e.enrolment_id = a.enrolment_id
       and e.participant_key = a.participant_key
       and a.ineligible_reason is null
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
        where a.ineligible_reason is null
          and a.declared_fit_id is null
    ) as ranked
    where candidate_rank = 1
),

attributed as (
    select
        a.*,
        coalesce(a.declared_fit_id, b.enrolment_id) as attributed_enrolment_id,
        case
            when a.declared_fit_id is not null then 'declared_enrolment'
            when b.enrolment_id is not null then 'dates'
        end as attribution,
        coalesce(a.declared_programme, b.programme) as attributed_programme,
        coalesce(a.declared_antenna, b.antenna) as attributed_antenna
    from declared as a
    left join by_dates as b
        on b.activity_id = a.activity_id
       and b.source = a.source
)

select
    a.activity_id,
    a.source,
    a.participant_key,
    a.enrolment_id as declared_enrolment_id,
    a.activity_type,
    a.activity_date,
    a.duration_minutes,
    a.attended,
    a.antenna_declared,
    a.attributed_enrolment_id as enrolment_id,
    a.attribution,
    a.attributed_programme as programme,
    a.attributed_antenna as antenna,
    coalesce(
        a.ineligible_reason,
        case when a.attributed_enrolment_id is null then 'not_attributable' end
    ) as exclusion_reason,
    case
        when a.ineligible_reason is null and a.attributed_enrolment_id is not null
            then coalesce(a.duration_minutes, 0)
    end as counted_minutes,
    a.enrolment_id is not null and coalesce(a.attribution, '') <> 'declared_enrolment'
        as is_declared_enrolment_unused,
    a.input_signature as _input_signature
from attributed as a
