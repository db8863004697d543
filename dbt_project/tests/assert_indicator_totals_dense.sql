-- Total rows are dense (docs/outputs.md#rows): every catalogue indicator × reported period × its
-- scopes.
with expected as (
    select s.indicator_code, p.period_type, p.period_start, s.programme, s.antenna
    from {{ ref('int_indicator_scopes') }} as s
    cross join {{ ref('int_periods') }} as p
),

actual as (
    select indicator_code, period_type, period_start, programme, antenna
    from {{ ref('indicator_values') }}
    where dimension = 'total'
)

select 'missing' as problem, e.* from expected as e
where not exists (
    select 1 from actual as a
    where a.indicator_code = e.indicator_code and a.period_type = e.period_type
      and a.period_start = e.period_start and a.programme = e.programme and a.antenna = e.antenna
)
union all
select 'unexpected' as problem, a.* from actual as a
where not exists (
    select 1 from expected as e
    where a.indicator_code = e.indicator_code and a.period_type = e.period_type
      and a.period_start = e.period_start and a.programme = e.programme and a.antenna = e.antenna
)
