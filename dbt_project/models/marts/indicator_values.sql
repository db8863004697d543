-- The indicator mart (outputs.md § the indicator mart): one row per (indicator, period, scope,
-- disaggregation). Total rows are dense — every catalogue indicator × reported period × scope,
-- 0 for counts and sums, a null value for rates and medians with nothing to compute —
-- and disaggregated rows exist where the count, the denominator or the median's population is
-- above 0. Targets attach to total rows (indicators.md § targets): a quarterly target to its
-- quarter; an annual target to its year and, for counts and sums, to the year's quarters that
-- have no quarterly target, measured on the year-to-date value [1 January, quarter end].
with catalogue as (
    select * from {{ ref('indicator_catalogue') }}
),

periods as (
    select * from {{ ref('int_periods') }}
),

computed as (
    select * from {{ ref('int_indicator_period_values') }}
),

totals as (
    select
        s.indicator_code,
        p.period_type,
        p.period_start,
        p.period_end,
        s.programme,
        s.antenna,
        'total' as dimension,
        'total' as dimension_value,
        case when c.indicator_type = 'rate' then coalesce(v.numerator, 0) end as numerator,
        case when c.indicator_type = 'rate' then coalesce(v.denominator, 0) end as denominator,
        case
            when c.indicator_type in ('count', 'sum') then coalesce(v.value, 0)
            else v.value
        end as value,
        case
            when c.indicator_type = 'sum' then v.population
            else coalesce(v.population, 0)
        end as population
    from {{ ref('int_indicator_scopes') }} as s
    inner join catalogue as c
        on c.indicator_code = s.indicator_code
    cross join periods as p
    left join computed as v
        on v.indicator_code = s.indicator_code
       and v.period_type = p.period_type
       and v.period_start = p.period_start
       and v.period_end = p.period_end
       and v.programme = s.programme
       and v.antenna = s.antenna
       and v.dimension = 'total'
),

disaggregated as (
    select
        v.indicator_code,
        v.period_type,
        v.period_start,
        v.period_end,
        v.programme,
        v.antenna,
        v.dimension,
        v.dimension_value,
        v.numerator,
        v.denominator,
        v.value,
        v.population
    from computed as v
    inner join catalogue as c
        on c.indicator_code = v.indicator_code
       and c.disaggregated
    inner join periods as p
        on p.period_type = v.period_type
       and p.period_start = v.period_start
       and p.period_end = v.period_end
    where v.dimension <> 'total'
      and v.population > 0
),

targets as (
    select * from {{ ref('int_targets') }}
),

with_targets as (
    select
        t.*,
        c.label_fr,
        c.indicator_type,
        c.unit,
        c.direction,
        c.pic,
        pr.period_label,
        coalesce(tq.target_value, ty.target_value, ta.target_value) as target,
        case
            when tq.target_value is not null then 'quarter'
            when ty.target_value is not null then 'year'
            when ta.target_value is not null then 'year_to_date'
        end as target_basis,
        case
            when ta.target_value is not null and tq.target_value is null
                then coalesce(ytd.value, 0)
            else t.value
        end as achievement_value
    from (
        select * from totals
        union all
        select * from disaggregated
    ) as t
    inner join catalogue as c
        on c.indicator_code = t.indicator_code
    inner join periods as pr
        on pr.period_type = t.period_type
       and pr.period_start = t.period_start
       and pr.period_end = t.period_end
    left join targets as tq
        on t.dimension = 'total'
       and t.period_type = 'quarter'
       and tq.target_period = 'quarter'
       and tq.indicator_code = t.indicator_code
       and tq.programme = t.programme
       and tq.antenna = t.antenna
       and tq.target_year = cast(extract(year from t.period_start) as integer)
       and tq.target_quarter = cast((extract(month from t.period_start) + 2) / 3 as integer)
    left join targets as ty
        on t.dimension = 'total'
       and t.period_type = 'year'
       and ty.target_period = 'year'
       and ty.indicator_code = t.indicator_code
       and ty.programme = t.programme
       and ty.antenna = t.antenna
       and ty.target_year = cast(extract(year from t.period_start) as integer)
    left join targets as ta
        on t.dimension = 'total'
       and t.period_type = 'quarter'
       and c.indicator_type in ('count', 'sum')
       and ta.target_period = 'year'
       and ta.indicator_code = t.indicator_code
       and ta.programme = t.programme
       and ta.antenna = t.antenna
       and ta.target_year = cast(extract(year from t.period_start) as integer)
    left join computed as ytd
        on t.dimension = 'total'
       and t.period_type = 'quarter'
       and ytd.period_type = 'ytd'
       and ytd.indicator_code = t.indicator_code
       and ytd.programme = t.programme
       and ytd.antenna = t.antenna
       and ytd.dimension = 'total'
       and ytd.period_end = t.period_end
)

select
    indicator_code,
    period_type,
    period_start,
    period_end,
    programme,
    antenna,
    dimension,
    dimension_value,
    numerator,
    denominator,
    value,
    target,
    case
        when target is null or target = 0 or achievement_value is null then null
        when direction = 'lower' then
            case
                when achievement_value = 0 then null
                when indicator_type = 'rate' then target / (achievement_value * 100)
                else target / achievement_value
            end
        when indicator_type = 'rate' then achievement_value * 100 / target
        else achievement_value / target
    end as achievement,
    {{ as_of_date() }} as as_of,
    label_fr,
    indicator_type,
    unit,
    direction,
    pic,
    period_label,
    population,
    target_basis,
    case when target is not null then achievement_value end as achievement_value
from with_targets
