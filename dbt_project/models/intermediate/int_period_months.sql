-- Which periods each calendar month belongs to. Event-dated indicators are first counted per
-- month, then added up per period through this map (a dated record lies in exactly one month).
-- Besides the reported periods it holds the internal `ytd` periods [1 January, quarter end] on
-- which a quarter's achievement against an annual target is computed
-- (docs/indicators.md#9-targets-and-achievement). The project start is the first day of a month, so
-- `cumulative` is a whole number of months.
with recursive

spine as (
    select period_type, period_start, period_end
    from {{ ref('int_periods') }}
    union all
    select
        'ytd' as period_type,
        {{ year_start('q.period_start') }} as period_start,
        q.period_end
    from {{ ref('int_periods') }} as q
    where q.period_type = 'quarter'
),

bounds as (
    select min(period_start) as first_month, {{ month_start(as_of_date()) }} as last_month
    from spine
),

months as (
    select {{ month_start('b.first_month') }} as month_start
    from bounds as b
    where b.first_month is not null
    union all
    select {{ add_months('m.month_start', 1) }} as month_start
    from months as m
    cross join bounds as b
    where m.month_start < b.last_month
)

select
    months.month_start,
    spine.period_type,
    spine.period_start,
    spine.period_end
from months
inner join spine
    on months.month_start >= spine.period_start
   and months.month_start <= spine.period_end
