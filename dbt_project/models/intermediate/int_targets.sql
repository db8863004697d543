-- Targets of the `objectifs` spreadsheet, normalised
-- (docs/indicators.md#9-targets-and-achievement): codes trimmed and upper-cased, TOUS/TOUTES read
-- as ALL; a rate target strictly below 1, or typed in a cell formatted as %, is a fraction and is
-- read as % (0.55 → 55). A key given twice with different values is dropped (both rows
-- quarantined); targets of indicators outside the catalogue are dropped too. `funder_code` is null
-- for the organisation's targets (the indicator mart's) and names the funder of a funder report's.
with raw_targets as (
    select
        upper(trim(o.indicator_code)) as indicator_code,
        case when upper(trim(o.programme)) in ('TOUS', 'TOUTES') then 'ALL'
             else upper(trim(o.programme)) end as programme,
        case when upper(trim(o.antenna)) in ('TOUS', 'TOUTES') then 'ALL'
             else upper(trim(o.antenna)) end as antenna,
        cast(o.target_year as integer) as target_year,
        cast(o.target_quarter as integer) as target_quarter,
        cast(o.target_value_raw as double precision) as target_value_raw,
        coalesce(o.target_is_percent_cell, false) as target_is_percent_cell,
        o.funder_code
    from {{ ref('stg_sheets__objectifs') }} as o
    where o.target_value_raw is not null
      and o.target_year is not null
),

typed as (
    select
        t.*,
        c.indicator_type,
        case
            when c.indicator_type = 'rate'
                 and (t.target_value_raw < 1 or t.target_is_percent_cell)
                then {{ round_double('t.target_value_raw * 100', 9) }}
            else t.target_value_raw
        end as target_value
    from raw_targets as t
    inner join {{ ref('indicator_catalogue') }} as c
        on c.indicator_code = t.indicator_code
),

keyed as (
    select
        funder_code,
        indicator_code,
        programme,
        antenna,
        target_year,
        target_quarter,
        min(target_value) as target_value,
        count(distinct target_value) as distinct_values
    from typed
    group by funder_code, indicator_code, programme, antenna, target_year, target_quarter
)

select
    funder_code,
    indicator_code,
    programme,
    antenna,
    target_year,
    target_quarter,
    case when target_quarter is null then 'year' else 'quarter' end as target_period,
    target_value
from keyed
where distinct_values = 1
