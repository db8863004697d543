-- The baseline of every indicator per scope (docs/indicators.md#7-the-catalogue): the catalogue's
-- baseline value and year when given, otherwise the indicator's value over calendar year 2020
-- (its total row for that year; null when the year is not reported or has nothing to compute).
with catalogue as (
    select indicator_code, baseline_value, baseline_year
    from {{ ref('indicator_catalogue') }}
),

year_2020 as (
    select indicator_code, programme, antenna, value
    from {{ ref('indicator_values') }}
    where period_type = 'year'
      and period_start = cast('2020-01-01' as date)
      and dimension = 'total'
)

select
    s.indicator_code,
    s.programme,
    s.antenna,
    case when c.baseline_value is not null then c.baseline_value else y.value end
        as baseline_value,
    case when c.baseline_value is not null then c.baseline_year else 2020 end as baseline_year,
    case when c.baseline_value is not null then 'catalogue' else 'computed_2020' end
        as baseline_source,
    {{ as_of_date() }} as as_of
from {{ ref('int_indicator_scopes') }} as s
inner join catalogue as c
    on c.indicator_code = s.indicator_code
left join year_2020 as y
    on y.indicator_code = s.indicator_code
   and y.programme = s.programme
   and y.antenna = s.antenna
