-- Time to employment of each counted enrolment, for the Kaplan–Meier table (marts.time_to_employment).
-- Clock: from the entry date. Event: the earliest employment or business creation starting on or
-- after entry and by the end of observation. Observation ends at exit + 30 days (the window of
-- the outcome at exit) or at R for an enrolment still active; an enrolment without a job by then
-- is censored there. Neutral exits are left out, as in DELAI_EMPLOI.
with params as (
    select {{ sea_param('exit_window_days') }} as exit_window_days, {{ as_of_date() }} as as_of
),

enrolments as (
    select
        e.enrolment_id,
        e.participant_key,
        e.programme,
        e.antenna,
        e.start_date,
        case
            when e.end_date is null then p.as_of
            else least(e.end_date + p.exit_window_days, p.as_of)
        end as observation_end
    from {{ ref('int_enrolments_counted') }} as e
    cross join params as p
    where not e.is_neutral_exit
),

first_jobs as (
    select e.enrolment_id, min(s.start_date) as first_job_date
    from enrolments as e
    inner join {{ ref('int_situations_classified') }} as s
        on s.participant_key = e.participant_key
       and s.exclusion_reason is null
       and s.is_employment_kind
       and s.start_date >= e.start_date
       and s.start_date <= e.observation_end
    group by e.enrolment_id
)

select
    e.enrolment_id,
    e.programme,
    e.antenna,
    e.start_date,
    e.observation_end,
    j.first_job_date,
    j.first_job_date is not null as is_event,
    cast(coalesce(j.first_job_date, e.observation_end) - e.start_date as integer) as time_days
from enrolments as e
left join first_jobs as j
    on j.enrolment_id = e.enrolment_id
