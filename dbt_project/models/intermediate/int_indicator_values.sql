{#- DuckDB: a view (below). PostgreSQL: a table, analyzed. PostgreSQL plans the view's unions (a
    branch per indicator in int_indicator_period_values) with estimates far from their rows
    — nested loops, and a cost past the JIT threshold when JIT is on — so each read of the view
    paid seconds at the tests' 160 participants, and the night reads it a dozen times (the
    rules tests, the gate, the publication): computed once and stored, each read is a scan
    (docs/performance.md#postgresql). -#}
{%- if target.type == 'postgres' %}
{{ config(materialized='sea_table', post_hook="{{ sea_analyze() }}") }}
{%- else %}
{{ config(materialized='sea_view') }}
{%- endif %}
-- The numbers of the indicator mart (docs/outputs.md#2-the-indicator-mart-martsindicator_values),
-- one row per (indicator, period, scope, disaggregation): the dense total rows with their targets,
-- stored in int_indicator_totals, and the disaggregated rows — only where the count, the
-- denominator or the median's population is above 0, never with a target — read from the measures
-- they are computed from. A view on DuckDB: at 100 000 participants the disaggregated rows are
-- 1.06 M of the mart's 1.09 M, writing them cost more than the whole query that produces them,
-- and a read filtered on an indicator, a period or a dimension reaches only the measures it
-- needs (a table on PostgreSQL: above).
-- `marts.indicator_values` is this with the as-of date and the catalogue's labels.
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
    achievement,
    population,
    target_basis,
    achievement_value
from {{ ref('int_indicator_totals') }}

union all

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
    cast(null as double precision) as target,
    cast(null as double precision) as achievement,
    v.population,
    cast(null as varchar) as target_basis,
    cast(null as double precision) as achievement_value
from {{ ref('int_indicator_period_values') }} as v
inner join {{ ref('indicator_catalogue') }} as c
    on c.indicator_code = v.indicator_code
   and c.disaggregated
inner join {{ ref('int_periods') }} as p
    on p.period_type = v.period_type
   and p.period_start = v.period_start
   and p.period_end = v.period_end
where v.dimension <> 'total'
  and v.population > 0
