-- ACT, the active file (docs/indicators.md#7-the-catalogue): enrolments with start <= period end
-- and (no effective end or end >= period start). Since a counted enrolment never ends before it
-- starts, ACT(P) = (entries up to P's end) − (exits before P's start). Periods are whole months
-- (the cumulative one ends at R, after which nothing starts), so both terms are running sums of the
-- monthly entries and exits of int_indicator_monthly per scope and disaggregation. Entries and
-- exits before the first reported period are gathered in the month just before it.
with recursive

bounds as (
    select
        {{ add_months('min(period_start)', -1) }} as first_month,
        {{ month_start(as_of_date()) }} as last_month
    from {{ ref('int_period_months') }}
),

scoped as (
    select
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        greatest(m.month_start, b.first_month) as month_start,
        m.dimension,
        m.dimension_value,
        cast(sum(m.ent) as bigint) as entries,
        cast(sum(m.sor) as bigint) as exits
    from {{ ref('int_indicator_monthly') }} as m
    cross join bounds as b
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = m.programme
       and sm.antenna = m.antenna
    where m.ent > 0 or m.sor > 0
    group by
        sm.scope_programme, sm.scope_antenna, greatest(m.month_start, b.first_month),
        m.dimension, m.dimension_value
),

months as (
    select first_month as month_start from bounds where first_month is not null
    union all
    select {{ add_months('months.month_start', 1) }} as month_start
    from months
    cross join bounds as b
    where months.month_start < b.last_month
),

series_keys as (
    select distinct programme, antenna, dimension, dimension_value from scoped
),

running as (
    select
        k.programme,
        k.antenna,
        k.dimension,
        k.dimension_value,
        months.month_start,
        sum(coalesce(s.entries, 0)) over (
            partition by k.programme, k.antenna, k.dimension, k.dimension_value
            order by months.month_start
            rows between unbounded preceding and current row
        ) as entries_to_date,
        sum(coalesce(s.exits, 0)) over (
            partition by k.programme, k.antenna, k.dimension, k.dimension_value
            order by months.month_start
            rows between unbounded preceding and current row
        ) as exits_to_date
    from series_keys as k
    cross join months
    left join scoped as s
        on s.programme = k.programme
       and s.antenna = k.antenna
       and s.dimension = k.dimension
       and s.dimension_value = k.dimension_value
       and s.month_start = months.month_start
),

periods as (
    select distinct period_type, period_start, period_end
    from {{ ref('int_period_months') }}
)

select
    e.programme,
    e.antenna,
    p.period_type,
    p.period_start,
    p.period_end,
    e.dimension,
    e.dimension_value,
    cast(e.entries_to_date - coalesce(b.exits_to_date, 0) as bigint) as act
from periods as p
inner join running as e
    on e.month_start = {{ month_start('least(p.period_end, ' ~ as_of_date() ~ ')') }}
left join running as b
    on b.programme = e.programme
   and b.antenna = e.antenna
   and b.dimension = e.dimension
   and b.dimension_value = e.dimension_value
   and b.month_start = {{ add_months(month_start('p.period_start'), -1) }}
-- year-to-date periods serve the achievement of annual targets, on total rows only
where p.period_type <> 'ytd' or e.dimension = 'total'
