-- The additive measures of int_indicator_monthly per reporting scope and period: each record's
-- contribution goes to every scope that covers its enrolment (int_scope_map: its programme,
-- the programme's ancestors and ALL × its antenna and ALL — once each) and to every period that
-- contains its month (int_period_months). Year-to-date periods only for the total rows: they
-- serve the achievement of annual targets, which attach to total rows only (a fifth of the
-- rows, and the largest fan-out of months to periods, were disaggregated `ytd` rows no one
-- read).
select
    sm.scope_programme as programme,
    sm.scope_antenna as antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    m.dimension,
    m.dimension_value,
    cast(sum(m.ent) as bigint) as ent,
    cast(sum(m.ent_f_num) as bigint) as ent_f_num,
    cast(sum(m.sor) as bigint) as sor,
    cast(sum(m.abd_num) as bigint) as abd_num,
    cast(sum(m.exit_den) as bigint) as exit_den,
    cast(sum(m.sd_num) as bigint) as sd_num,
    cast(sum(m.ed_num) as bigint) as ed_num,
    cast(sum(m.emp_num) as bigint) as emp_num,
    cast(sum(m.sp_num) as bigint) as sp_num,
    cast(sum(m.c6_den) as bigint) as c6_den,
    cast(sum(m.sd6_num) as bigint) as sd6_num,
    cast(sum(m.suivi6_num) as bigint) as suivi6_num,
    sum(m.hrs_minutes) as hrs_minutes
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
