-- What a funder's annual target of a count or a sum is compared with: the indicator's value from
-- 1 January to the end of each quarter of the target's year, for the target's scope (the same
-- year-to-date rows the indicator mart compares the organisation's annual targets with,
-- docs/indicators.md#9-targets-and-achievement).
select
    t.funder_code,
    t.indicator_code,
    t.programme,
    t.antenna,
    t.target_year,
    v.period_end as quarter_end,
    v.value as year_to_date_value
from {{ ref('int_targets') }} as t
inner join {{ ref('int_indicator_period_values') }} as v
    on v.period_type = 'ytd'
   and v.dimension = 'total'
   and v.indicator_code = t.indicator_code
   and v.programme = t.programme
   and v.antenna = t.antenna
   and cast(extract(year from v.period_end) as integer) = t.target_year
where t.funder_code is not null
  and t.target_period = 'year'
