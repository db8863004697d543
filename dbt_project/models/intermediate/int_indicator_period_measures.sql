-- The additive measures of int_indicator_monthly per reporting scope and period: each record's
-- contribution goes to every scope that covers its enrolment (int_scope_map: its programme,
-- the programme's ancestors and ALL × its antenna and ALL — once each) and to every period that
-- contains its month (int_period_months, `ytd` included).
select
    sm.scope_programme as programme,
    sm.scope_antenna as antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    m.dimension,
    m.dimension_value,
    sum(m.ent) as ent,
    sum(m.ent_f_num) as ent_f_num,
    sum(m.sor) as sor,
    sum(m.abd_num) as abd_num,
    sum(m.exit_den) as exit_den,
    sum(m.sd_num) as sd_num,
    sum(m.ed_num) as ed_num,
    sum(m.emp_num) as emp_num,
    sum(m.sp_num) as sp_num,
    sum(m.c6_den) as c6_den,
    sum(m.sd6_num) as sd6_num,
    sum(m.suivi6_num) as suivi6_num,
    sum(m.hrs_minutes) as hrs_minutes
from {{ ref('int_indicator_monthly') }} as m
inner join {{ ref('int_scope_map') }} as sm
    on sm.programme = m.programme
   and sm.antenna = m.antenna
inner join {{ ref('int_period_months') }} as pm
    on pm.month_start = m.month_start
group by
    sm.scope_programme, sm.scope_antenna, pm.period_type, pm.period_start, pm.period_end,
    m.dimension, m.dimension_value
