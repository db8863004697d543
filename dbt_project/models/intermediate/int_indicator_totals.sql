-- The total rows of the indicator mart
-- (docs/outputs.md#2-the-indicator-mart-martsindicator_values), dense — every catalogue indicator ×
-- reported period × scope, 0 for counts and sums, a null value for rates and medians with nothing
-- to compute — with their targets (docs/indicators.md#9-targets-and-achievement): a quarterly
-- target to its quarter; an annual target to its year and, for counts and sums, to the year's
-- quarters that have no quarterly target, measured on the year-to-date value [1 January, quarter
-- end]. Stored without the as-of date (R moves every night, and a column that changes on every row
-- would make the whole table new every night) and without the disaggregated rows:
-- int_indicator_values adds those on reading, from the measures.
with catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

totals as (
    select
        s.indicator_code,
        p.period_type,
        p.period_start,
        p.period_end,
        s.programme,
        s.antenna,
        c.indicator_type,
        c.direction,
        case when c.indicator_type = 'rate' then coalesce(v.numerator, 0) end as numerator,
        case when c.indicator_type = 'rate' then coalesce(v.denominator, 0) end as denominator,
        case
            when c.indicator_type in ('count', 'sum', 'rank') then coalesce(v.value, 0)
            else v.value
        end as value,
        case
            when c.indicator_type = 'sum' then v.population
            else coalesce(v.population, 0)
        end as population,
        cast(extract(year from p.period_start) as integer) as period_year,
        case when p.period_type = 'quarter'
             then cast((extract(month from p.period_start) + 2) / 3 as integer) end as period_quarter
    from {{ ref('int_indicator_scopes') }} as s
    inner join catalogue as c
        on c.indicator_code = s.indicator_code
    cross join {{ ref('int_periods') }} as p
    left join {{ ref('int_indicator_period_values') }} as v
        on v.indicator_code = s.indicator_code
       and v.period_type = p.period_type
       and v.period_start = p.period_start
       and v.period_end = p.period_end
       and v.programme = s.programme
       and v.antenna = s.antenna
       and v.dimension = 'total'
),

year_to_date as (
    select indicator_code, programme, antenna, period_end, value
    from {{ ref('int_indicator_period_values') }}
    where period_type = 'ytd'
      and dimension = 'total'
),

targets as (  -- the organisation's; a funder's targets are for its report only
    select * from {{ ref('int_targets') }}
    where funder_code is null
),

total_rows as (
    select
        t.indicator_code,
        t.period_type,
        t.period_start,
        t.period_end,
        t.programme,
        t.antenna,
        'total' as dimension,
        'total' as dimension_value,
        t.numerator,
        t.denominator,
        t.value,
        t.population,
        t.indicator_type,
        t.direction,
        coalesce(tq.target_value, ty.target_value, ta.target_value) as target,
        case
            when tq.target_value is not null then 'quarter'
            when ty.target_value is not null then 'year'
            when ta.target_value is not null then 'year_to_date'
        end as target_basis,
        case
            when tq.target_value is null and ta.target_value is not null
                then coalesce(ytd.value, 0)
            else t.value
        end as achievement_value
    from totals as t
    left join targets as tq
        on t.period_type = 'quarter'
       and tq.target_period = 'quarter'
       and tq.indicator_code = t.indicator_code
       and tq.programme = t.programme
       and tq.antenna = t.antenna
       and tq.target_year = t.period_year
       and tq.target_quarter = t.period_quarter
    left join targets as ty
        on t.period_type = 'year'
       and ty.target_period = 'year'
       and ty.indicator_code = t.indicator_code
       and ty.programme = t.programme
       and ty.antenna = t.antenna
       and ty.target_year = t.period_year
    left join targets as ta
        on t.period_type = 'quarter'
       and t.indicator_type in ('count', 'sum')
       and ta.target_period = 'year'
       and ta.indicator_code = t.indicator_code
       and ta.programme = t.programme
       and ta.antenna = t.antenna
       and ta.target_year = t.period_year
    left join year_to_date as ytd
        on t.period_type = 'quarter'
       and ytd.indicator_code = t.indicator_code
       and ytd.programme = t.programme
       and ytd.antenna = t.antenna
       and ytd.period_end = t.period_end
)

select
    r.indicator_code,
    r.period_type,
    r.period_start,
    r.period_end,
    r.programme,
    r.antenna,
    r.dimension,
    r.dimension_value,
    r.numerator,
    r.denominator,
    r.value,
    r.target,
    case
        when r.target is null or r.target = 0 or r.achievement_value is null then null
        when r.direction = 'lower' then
            case
                when r.achievement_value = 0 then null
                when r.indicator_type = 'rate' then r.target / (r.achievement_value * 100)
                else r.target / r.achievement_value
            end
        when r.indicator_type = 'rate' then r.achievement_value * 100 / r.target
        else r.achievement_value / r.target
    end as achievement,
    r.population,
    r.target_basis,
    case when r.target is not null then r.achievement_value end as achievement_value
from total_rows as r
