-- Per counted enrolment, the outcome facts of
-- docs/indicators.md#4-outcomes-at-exit-and-at-6-months, and the time to employment. Situations are
-- matched to the enrolment by participant and dates only (situations.enrolment_id is ignored). Only
-- ended enrolments (effective end on or before R) have outcomes.
--   at exit: best class of the situations starting in [start, end + 30 days] and not ended
--            before the exit day;
--   M:       end + 6 calendar months (month-end clamped);
--   at 6 months: best class of the situations starting in [start, M] and running on M; status
--            known when such a situation exists or a reached contact is dated in [M − 45, M + 45];
--            mature when M + 45 days <= R (only mature enrolments enter a 6-month cohort);
--   first job: earliest employment or business creation starting in [start, end + 30 days].
-- Only the outcome facts are stored: the enrolment's own columns are in int_enrolments_counted,
-- which every reader joins (storing them twice cost a tenth of a second per build).
with params as (
    select
        {{ sea_param('exit_window_days') }} as exit_window_days,
        {{ sea_param('followup_months') }} as followup_months,
        {{ sea_param('followup_window_days') }} as followup_window_days,
        {{ as_of_date() }} as as_of
),

enrolments as (
    select
        e.enrolment_id,
        e.participant_key,
        e.programme,
        e.antenna,
        e.start_date,
        e.end_date,
        e.is_ended,
        e.is_neutral_exit,
        case when e.is_ended then {{ add_months('e.end_date', 'p.followup_months') }} end as m6_date
    from {{ ref('int_enrolments_counted') }} as e
    cross join params as p
),

situations as (
    select participant_key, start_date, end_date, class_rank, is_employment_kind
    from {{ ref('int_situations_classified') }}
    where exclusion_reason is null
),

at_exit as (
    select e.enrolment_id, max(s.class_rank) as best_rank
    from enrolments as e
    cross join params as p
    inner join situations as s
        on s.participant_key = e.participant_key
       and s.start_date >= e.start_date
       and s.start_date <= e.end_date + p.exit_window_days
       and (s.end_date is null or s.end_date >= e.end_date)
    where e.is_ended
    group by e.enrolment_id
),

first_job as (
    select e.enrolment_id, min(s.start_date) as first_job_date
    from enrolments as e
    cross join params as p
    inner join situations as s
        on s.participant_key = e.participant_key
       and s.is_employment_kind
       and s.start_date >= e.start_date
       and s.start_date <= e.end_date + p.exit_window_days
    where e.is_ended
    group by e.enrolment_id
),

at_six_months as (
    select e.enrolment_id, max(s.class_rank) as best_rank
    from enrolments as e
    inner join situations as s
        on s.participant_key = e.participant_key
       and s.start_date >= e.start_date
       and s.start_date <= e.m6_date
       and (s.end_date is null or s.end_date >= e.m6_date)
    where e.is_ended
    group by e.enrolment_id
),

contact_at_six_months as (
    select distinct e.enrolment_id
    from enrolments as e
    cross join params as p
    inner join {{ ref('int_followup_contacts_counted') }} as c
        on c.participant_key = e.participant_key
       and c.contact_date >= e.m6_date - p.followup_window_days
       and c.contact_date <= e.m6_date + p.followup_window_days
    where e.is_ended
),

classes as (
    select situation_class, class_rank, is_dynamic, is_employment
    from {{ ref('situation_classes') }}
),

facts as (
    select
        e.*,
        e.is_ended and e.m6_date + p.followup_window_days <= p.as_of as is_mature_6m,
        case when e.is_ended then coalesce(x.best_rank, 0) end as exit_rank,
        case when e.is_ended then m.best_rank end as six_month_rank,
        c6.enrolment_id is not null as has_contact_6m,
        j.first_job_date
    from enrolments as e
    cross join params as p
    left join at_exit as x on x.enrolment_id = e.enrolment_id
    left join at_six_months as m on m.enrolment_id = e.enrolment_id
    left join contact_at_six_months as c6 on c6.enrolment_id = e.enrolment_id
    left join first_job as j on j.enrolment_id = e.enrolment_id
)

select
    f.enrolment_id,
    xc.situation_class as exit_outcome_class,
    xc.is_dynamic as is_exit_dynamic,
    xc.is_employment as is_exit_employment,
    f.m6_date,
    f.is_mature_6m,
    case when f.is_mature_6m then coalesce(mc.situation_class, 'none') end as outcome_6m_class,
    case when f.is_mature_6m then coalesce(mc.is_dynamic, false) end as is_dynamic_6m,
    case when f.is_mature_6m then f.six_month_rank is not null or f.has_contact_6m end
        as is_known_6m,
    case
        when not f.is_mature_6m then null
        when f.six_month_rank is not null then 'situation'
        when f.has_contact_6m then 'contact'
        else 'unknown'
    end as known_6m_via,
    f.first_job_date,
    cast(f.first_job_date - f.start_date as integer) as days_to_first_job,
    f.is_ended and not f.is_neutral_exit as is_in_exit_rates,
    f.is_mature_6m and not f.is_neutral_exit as is_in_6m_cohort,
    f.is_ended and not f.is_neutral_exit and f.first_job_date is not null as is_in_delay_population
from facts as f
left join classes as xc on xc.class_rank = f.exit_rank
left join classes as mc on mc.class_rank = f.six_month_rank
