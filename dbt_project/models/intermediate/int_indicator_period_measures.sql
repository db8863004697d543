-- The additive measures of int_indicator_monthly per reporting scope and period: each record's
-- contribution goes to every scope that covers its enrolment (int_scope_map: its programme,
-- the programme's ancestors and ALL × its antenna and ALL — once each) and to every period that
-- contains its month (int_period_months). Year-to-date periods only for the total rows: they
-- serve the achievement of annual targets, which attach to total rows only (a fifth of the
-- rows, and the largest fan-out of months to periods, were disaggregated `ytd` rows no one
-- read). The measures are those of dbt_project/macros/indicator_measures.sql.
-- depends_on: {{ ref('indicator_catalogue') }}
select
    sm.scope_programme as programme,
    sm.scope_antenna as antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    m.dimension,
    m.dimension_value,
    {%- for m in indicator_additive_measures() %}
    {%- if m.sums %}
    sum(m.{{ m.name }}) as {{ m.name }}{{ ',' if not loop.last }}
    {%- else %}
    cast(sum(m.{{ m.name }}) as bigint) as {{ m.name }}{{ ',' if not loop.last }}
    {%- endif %}
    {%- endfor %}
from {{ ref('int_indicator_monthly') }} as m
inner join {{ ref('int_scope_map') }} as sm
    on sm.programme = m.programme
   and sm.antenna = m.antenna
inner join {{ ref('int_period_months') }} as pm
    on pm.month_start = m.month_start
   and (pm.period_type <> 'ytd' or m.dimension = 'total')
group by
    sm.scope_programme, sm.scope_antenna, pm.period_type, pm.period_start, pm.period_end,
    m.dimension, m.dimension_value
