{{ config(severity='warn') }}
-- Targets of the `objectifs` spreadsheet that attach to no row of the indicator mart: a scope
-- no counted enrolment carries (or an employer antenna unknown for EMP_ENG), or a year outside
-- the reported periods. Reported so staff can fix the spreadsheet; the mart ignores them.
select t.*
from {{ ref('int_targets') }} as t
where not exists (
    select 1 from {{ ref('int_indicator_scopes') }} as s
    where s.indicator_code = t.indicator_code
      and s.programme = t.programme
      and s.antenna = t.antenna
)
or not exists (
    select 1 from {{ ref('int_periods') }} as p
    where p.period_type = 'year'
      and cast(extract(year from p.period_start) as integer) = t.target_year
)
