{{ config(materialized='sea_view') }}
-- The indicator mart (docs/outputs.md#2-the-indicator-mart-martsindicator_values): one row per
-- (indicator, period, scope, disaggregation), the numbers of int_indicator_values with, on every
-- row, the as-of date R and what the catalogue says of the indicator. A view: R changes every
-- night, and stored on each of a million rows it would make the whole table new every night; the
-- numbers are stored once, in int_indicator_values, and a read joins a 15-row catalogue.
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
    v.target,
    v.achievement,
    {{ as_of_date() }} as as_of,
    c.label_fr,
    c.indicator_type,
    c.unit,
    c.direction,
    c.pic,
    {{ period_label('v.period_type', 'v.period_start') }} as period_label,
    v.population,
    v.target_basis,
    v.achievement_value
from {{ ref('int_indicator_values') }} as v
inner join {{ ref('indicator_catalogue') }} as c
    on c.indicator_code = v.indicator_code
