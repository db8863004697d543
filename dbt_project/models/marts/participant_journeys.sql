{{ config(materialized='sea_view') }}
-- One row per counted enrolment (parcours), pseudonymised: who (disaggregation values only),
-- where, when, how it ended and what came after — the facts every enrolment indicator is built
-- from, for drill-down in BI tools. No names, contact details or free text.
-- A view: every column is stored already (int_enrolments_counted, int_enrolment_outcomes,
-- int_activity_hours) but the as-of date and the days in programme, which change every night on
-- every active enrolment; a read joins three tables of 100 000 rows (100 000 participants).
with hours as (
    select
        enrolment_id,
        cast(sum(activities_counted) as bigint) as activities_counted,
        sum(counted_minutes) / 60.0 as hours_counted
    from {{ ref('int_activity_hours') }}
    group by enrolment_id
)

select
    e.enrolment_id,
    e.participant_key,
    e.programme,
    e.antenna,
    e.cohort,
    e.start_date,
    e.end_date,
    {{ quarter_start('e.start_date') }} as entry_quarter_start,
    case when e.is_ended then 'ended' else 'active' end as status,
    cast(coalesce(e.end_date, {{ as_of_date() }}) - e.start_date as integer) as days_in_programme,
    e.exit_reason,
    e.is_dropout,
    e.is_neutral_exit,
    e.is_missing_exit_reason,
    e.age_at_start,
    e.dim_sex as sex,
    e.dim_age_band as age_band,
    e.dim_protection_status as protection_status,
    e.dim_french_level_band as french_level_band,
    e.dim_education_band as education_band,
    e.dim_qpv as qpv,
    e.dim_rqth as rqth,
    e.dim_nationality as nationality,
    coalesce(h.activities_counted, 0) as activities_counted,
    coalesce(h.hours_counted, 0) as hours_counted,
    o.exit_outcome_class,
    o.is_exit_dynamic,
    o.m6_date,
    o.is_mature_6m,
    o.outcome_6m_class,
    o.is_dynamic_6m,
    o.is_known_6m,
    o.known_6m_via,
    o.first_job_date,
    o.days_to_first_job,
    {{ as_of_date() }} as as_of
from {{ ref('int_enrolments_counted') }} as e
inner join {{ ref('int_enrolment_outcomes') }} as o
    on o.enrolment_id = e.enrolment_id
left join hours as h
    on h.enrolment_id = e.enrolment_id
