-- DELAI_EMPLOI (docs/indicators.md#7-the-catalogue): over the exits of the period (neutral exits
-- left out) that have an employment or business creation starting in [start, end + 30 days], the
-- median number of days from entry to the earliest such start (mean of the two middle values for an
-- even count). Computed on the records of each scope, period and disaggregation.
with population as (
    select
        e.programme,
        e.antenna,
        {{ month_start('e.end_date') }} as end_month,
        o.days_to_first_job,
        {{ dimension_select('e') }}
    from {{ ref('int_enrolment_outcomes') }} as o
    inner join {{ ref('int_enrolments_counted') }} as e
        on e.enrolment_id = o.enrolment_id
    where o.is_in_delay_population
),

-- each exit once in 'total' and once in each disaggregation
by_dimension as (
    select
        p.programme,
        p.antenna,
        p.end_month,
        p.days_to_first_job,
        {{ dimension_row_columns() }}
    from population as p
    {{ dimension_rows('p') }}
),

placed as (
    select
        sm.scope_programme,
        sm.scope_antenna,
        pm.period_type,
        pm.period_start,
        pm.period_end,
        d.dimension,
        d.dimension_value,
        d.days_to_first_job
    from by_dimension as d
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = d.programme
       and sm.antenna = d.antenna
    inner join {{ ref('int_period_months') }} as pm
        on pm.month_start = d.end_month
       and pm.period_type <> 'ytd'
)

select
    scope_programme as programme,
    scope_antenna as antenna,
    period_type,
    period_start,
    period_end,
    dimension,
    dimension_value,
    count(*) as population,
    percentile_cont(0.5) within group (order by days_to_first_job) as median_days
from placed
group by
    scope_programme, scope_antenna, period_type, period_start, period_end, dimension,
    dimension_value
