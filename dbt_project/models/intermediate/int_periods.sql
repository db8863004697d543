-- The reporting periods (docs/indicators.md#periods): calendar months, quarters and years, from
-- the one containing the project start to the one containing the as-of date R, never truncated,
-- plus the single `cumulative` period [project start, R].
with recursive

params as (
    select
        {{ sea_param('project_start', 'date') }} as project_start,
        {{ as_of_date() }} as as_of
),

months as (
    select {{ year_start('p.project_start') }} as month_start
    from params as p
    where {{ year_start('p.project_start') }} <= {{ month_start('p.as_of') }}
    union all
    select {{ add_months('m.month_start', 1) }} as month_start
    from months as m
    cross join params as p
    where m.month_start < {{ month_start('p.as_of') }}
),

periods as (
    select distinct
        'month' as period_type,
        m.month_start as period_start,
        {{ add_months('m.month_start', 1) }} - 1 as period_end
    from months as m
    cross join params as p
    where m.month_start >= {{ month_start('p.project_start') }}

    union all

    select distinct
        'quarter' as period_type,
        {{ quarter_start('m.month_start') }} as period_start,
        {{ add_months(quarter_start('m.month_start'), 3) }} - 1 as period_end
    from months as m
    cross join params as p
    where {{ quarter_start('m.month_start') }} >= {{ quarter_start('p.project_start') }}

    union all

    select distinct
        'year' as period_type,
        {{ year_start('m.month_start') }} as period_start,
        {{ add_months(year_start('m.month_start'), 12) }} - 1 as period_end
    from months as m

    union all

    select
        'cumulative' as period_type,
        p.project_start as period_start,
        p.as_of as period_end
    from params as p
    where p.project_start <= p.as_of
)

select
    periods.period_type,
    periods.period_start,
    periods.period_end,
    {{ period_label('periods.period_type', 'periods.period_start') }} as period_label,
    periods.period_end <= params.as_of as is_complete
from periods
cross join params
