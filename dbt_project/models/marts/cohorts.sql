-- Entry cohorts: the enrolments that started in the same calendar quarter, per scope
-- (programme with its rollups × antenna and ALL, as in the indicator mart), followed to date:
-- how many are still active, how they exited, their outcomes at exit and at 6 months, and the
-- median time to a first job. Rates are fractions over the stated denominators, with the
-- same rules as the indicators (neutral exits left out of outcome rates).
with journeys as (
    select
        e.enrolment_id,
        e.participant_key,
        e.programme,
        e.antenna,
        {{ quarter_start('e.start_date') }} as cohort_quarter_start,
        e.is_ended,
        e.is_dropout,
        o.is_in_exit_rates,
        coalesce(o.is_exit_dynamic, false) as is_exit_dynamic,
        coalesce(o.exit_outcome_class = 'durable', false) as is_exit_durable,
        coalesce(o.is_exit_employment, false) as is_exit_employment,
        o.is_in_6m_cohort,
        coalesce(o.is_dynamic_6m, false) as is_dynamic_6m,
        coalesce(o.is_known_6m, false) as is_known_6m,
        o.is_in_delay_population,
        o.days_to_first_job
    from {{ ref('int_enrolments_counted') }} as e
    inner join {{ ref('int_enrolment_outcomes') }} as o
        on o.enrolment_id = e.enrolment_id
),

scoped as (
    select
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        j.participant_key,
        j.cohort_quarter_start,
        j.is_ended,
        j.is_dropout,
        j.is_in_exit_rates,
        j.is_exit_dynamic,
        j.is_exit_durable,
        j.is_exit_employment,
        j.is_in_6m_cohort,
        j.is_dynamic_6m,
        j.is_known_6m,
        j.is_in_delay_population,
        j.days_to_first_job
    from journeys as j
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = j.programme
       and sm.antenna = j.antenna
),

counts as (
    select
        programme,
        antenna,
        cohort_quarter_start,
        count(*) as entrants,
        count(distinct participant_key) as persons,
        cast(sum({{ as_int('not is_ended') }}) as bigint) as still_active,
        cast(sum({{ as_int('is_ended') }}) as bigint) as exited,
        cast(sum({{ as_int('is_dropout') }}) as bigint) as dropouts,
        cast(sum({{ as_int('is_in_exit_rates') }}) as bigint) as exits_in_outcome_rates,
        cast(sum({{ as_int('is_in_exit_rates and is_exit_dynamic') }}) as bigint) as dynamic_at_exit,
        cast(sum({{ as_int('is_in_exit_rates and is_exit_durable') }}) as bigint) as durable_at_exit,
        cast(sum({{ as_int('is_in_exit_rates and is_exit_employment') }}) as bigint) as employment_at_exit,
        cast(sum({{ as_int('is_in_6m_cohort') }}) as bigint) as mature_at_6_months,
        cast(sum({{ as_int('is_in_6m_cohort and is_dynamic_6m') }}) as bigint) as dynamic_at_6_months,
        cast(sum({{ as_int('is_in_6m_cohort and is_known_6m') }}) as bigint) as known_at_6_months
    from scoped
    group by programme, antenna, cohort_quarter_start
),

delays as (
    select
        programme,
        antenna,
        cohort_quarter_start,
        count(*) as delay_population,
        percentile_cont(0.5) within group (order by days_to_first_job) as median_days_to_first_job
    from scoped
    where is_in_delay_population
    group by programme, antenna, cohort_quarter_start
)

select
    c.programme,
    c.antenna,
    c.cohort_quarter_start,
    {{ add_months('c.cohort_quarter_start', 3) }} - 1 as cohort_quarter_end,
    cast(cast(extract(year from c.cohort_quarter_start) as integer) as varchar) || '-T'
        || cast(cast((extract(month from c.cohort_quarter_start) + 2) / 3 as integer) as varchar)
        as cohort_label,
    c.entrants,
    c.persons,
    c.still_active,
    c.exited,
    c.dropouts,
    {{ ratio('c.dropouts', 'c.exited') }} as dropout_rate,
    c.exits_in_outcome_rates,
    c.dynamic_at_exit,
    c.durable_at_exit,
    c.employment_at_exit,
    {{ ratio('c.dynamic_at_exit', 'c.exits_in_outcome_rates') }} as dynamic_at_exit_rate,
    {{ ratio('c.durable_at_exit', 'c.exits_in_outcome_rates') }} as durable_at_exit_rate,
    c.mature_at_6_months,
    c.dynamic_at_6_months,
    c.known_at_6_months,
    {{ ratio('c.dynamic_at_6_months', 'c.mature_at_6_months') }} as dynamic_at_6_months_rate,
    {{ ratio('c.known_at_6_months', 'c.mature_at_6_months') }} as known_at_6_months_rate,
    coalesce(d.delay_population, 0) as delay_population,
    d.median_days_to_first_job,
    {{ as_of_date() }} as as_of
from counts as c
left join delays as d
    on d.programme = c.programme
   and d.antenna = c.antenna
   and d.cohort_quarter_start = c.cohort_quarter_start
