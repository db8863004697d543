-- The whole association's indicators per scope and period
-- (docs/indicators.md#11-the-whole-associations-indicators), in the shape of
-- int_indicator_period_values, which unions them: one row per (indicator, period, scope,
-- disaggregation) with records behind it, `ytd` periods on total rows (achievement of annual
-- targets). A record counts in every period its dates reach (int_indicator_association_records
-- says how each indicator dates its records) and in every scope that covers it: its programme, the
-- programme's ancestors and ALL × its antenna and ALL (no ALL antenna where the indicator has
-- none); a record typed TOUS / TOUTES only in the ALL scope of that dimension. Rollups are
-- recomputed from the records, never added up.
with records as (
    select * from {{ ref('int_indicator_association_records') }}
),

periods as (
    select period_type, period_start, period_end
    from {{ ref('int_periods') }}
    union all
    select distinct period_type, period_start, period_end
    from {{ ref('int_period_months') }}
    where period_type = 'ytd'
),

programme_scopes as (
    {{ programme_scopes('records') }}
),

dated as (
    select r.*, p.period_type, p.period_start, p.period_end
    from records as r
    inner join periods as p
        on (p.period_type <> 'ytd' or r.dimension = 'total')
       and case
               when r.is_contained
                   then r.date_from >= p.period_start and r.date_to <= p.period_end
               else r.date_from <= p.period_end and r.date_to >= p.period_start
           end
),

scoped as (
    select d.*, ps.scope_programme, d.antenna as scope_antenna
    from dated as d
    inner join programme_scopes as ps
        on ps.programme = d.programme
    where d.antenna <> 'ALL'
    union all
    select d.*, ps.scope_programme, 'ALL' as scope_antenna
    from dated as d
    inner join programme_scopes as ps
        on ps.programme = d.programme
    where d.antenna_rollup
),

measured as (
    select
        indicator_code,
        aggregate,
        period_type,
        period_start,
        period_end,
        scope_programme as programme,
        scope_antenna as antenna,
        dimension,
        dimension_value,
        sum(numerator) as numerator,
        sum(denominator) as denominator,
        sum(amount) as amount,
        count(amount) as known_amounts,
        count(distinct member) as members,
        max(stage_rank) as stage_rank
    from scoped
    group by
        indicator_code, aggregate, period_type, period_start, period_end, scope_programme,
        scope_antenna, dimension, dimension_value
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
    case when aggregate = 'rate' then coalesce(numerator, 0) end as numerator,
    case when aggregate = 'rate' then coalesce(denominator, 0) end as denominator,
    case aggregate
        when 'rate' then coalesce(numerator, 0) / nullif(coalesce(denominator, 0), 0)
        when 'count' then coalesce(amount, 0)
        when 'sum' then coalesce(amount, 0)
        when 'distinct' then cast(members as double precision)
        when 'max' then cast(coalesce(stage_rank, 0) as double precision)
    end as value,
    case aggregate
        when 'rate' then coalesce(denominator, 0)
        when 'count' then coalesce(amount, 0)
        when 'sum' then cast(known_amounts as double precision)
        when 'distinct' then cast(members as double precision)
        when 'max' then cast(coalesce(stage_rank, 0) as double precision)
    end as population
from measured
