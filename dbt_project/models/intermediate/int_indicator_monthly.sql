-- Record contributions to the additive indicators, per (programme, antenna) of the enrolment,
-- calendar month and disaggregation (one grouping set per dimension plus the 'total' row).
-- Each record contributes in the month of its own date:
--   entries (start date):      ent, ent_f_num (sex F)
--   exits (effective end date): sor, abd_num (dropout); the exit-rate denominator
--                               exit_den (without neutral exits) and its numerators
--                               sd_num / ed_num / emp_num / sp_num (outcome at exit)
--   6-month cohort (date M, mature, not neutral): c6_den, sd6_num (dynamic), suivi6_num (known)
--   hours (activity date):      hrs_minutes ('total' row only)
-- Months before the first reported period are kept: the active file (ACT) needs them.
with enrolments as (
    select
        e.enrolment_id,
        e.programme,
        e.antenna,
        {{ month_start('e.start_date') }} as start_month,
        {{ month_start('e.end_date') }} as end_month,
        {{ month_start('o.m6_date') }} as m6_month,
        e.is_ended,
        e.is_dropout,
        o.is_in_exit_rates,
        o.is_in_6m_cohort,
        coalesce(o.is_exit_dynamic, false) as is_exit_dynamic,
        coalesce(o.exit_outcome_class = 'durable', false) as is_exit_durable,
        coalesce(o.is_exit_employment, false) as is_exit_employment,
        coalesce(o.exit_outcome_class = 'positive', false) as is_exit_positive,
        coalesce(o.is_dynamic_6m, false) as is_dynamic_6m,
        coalesce(o.is_known_6m, false) as is_known_6m,
        {{ dimension_select('e') }}
    from {{ ref('int_enrolments_counted') }} as e
    inner join {{ ref('int_enrolment_outcomes') }} as o
        on o.enrolment_id = e.enrolment_id
),

entries as (
    select
        programme,
        antenna,
        start_month as month_start,
        {{ dimension_columns() }},
        count(*) as ent,
        sum({{ as_int("dim_sex = 'F'") }}) as ent_f_num,
        0 as sor, 0 as abd_num, 0 as exit_den, 0 as sd_num, 0 as ed_num, 0 as emp_num,
        0 as sp_num, 0 as c6_den, 0 as sd6_num, 0 as suivi6_num,
        cast(0 as double precision) as hrs_minutes
    from enrolments
    group by {{ dimension_grouping_sets(['programme', 'antenna', 'start_month']) }}
),

exits as (
    select
        programme,
        antenna,
        end_month as month_start,
        {{ dimension_columns() }},
        0 as ent, 0 as ent_f_num,
        count(*) as sor,
        sum({{ as_int('is_dropout') }}) as abd_num,
        sum({{ as_int('is_in_exit_rates') }}) as exit_den,
        sum({{ as_int('is_in_exit_rates and is_exit_dynamic') }}) as sd_num,
        sum({{ as_int('is_in_exit_rates and is_exit_durable') }}) as ed_num,
        sum({{ as_int('is_in_exit_rates and is_exit_employment') }}) as emp_num,
        sum({{ as_int('is_in_exit_rates and is_exit_positive') }}) as sp_num,
        0 as c6_den, 0 as sd6_num, 0 as suivi6_num,
        cast(0 as double precision) as hrs_minutes
    from enrolments
    where is_ended
    group by {{ dimension_grouping_sets(['programme', 'antenna', 'end_month']) }}
),

six_months as (
    select
        programme,
        antenna,
        m6_month as month_start,
        {{ dimension_columns() }},
        0 as ent, 0 as ent_f_num, 0 as sor, 0 as abd_num, 0 as exit_den, 0 as sd_num,
        0 as ed_num, 0 as emp_num, 0 as sp_num,
        count(*) as c6_den,
        sum({{ as_int('is_dynamic_6m') }}) as sd6_num,
        sum({{ as_int('is_known_6m') }}) as suivi6_num,
        cast(0 as double precision) as hrs_minutes
    from enrolments
    where is_in_6m_cohort
    group by {{ dimension_grouping_sets(['programme', 'antenna', 'm6_month']) }}
),

hours as (
    select
        programme,
        antenna,
        month_start,
        'total' as dimension,
        'total' as dimension_value,
        0 as ent, 0 as ent_f_num, 0 as sor, 0 as abd_num, 0 as exit_den, 0 as sd_num,
        0 as ed_num, 0 as emp_num, 0 as sp_num, 0 as c6_den, 0 as sd6_num, 0 as suivi6_num,
        sum(cast(counted_minutes as double precision)) as hrs_minutes
    from {{ ref('int_activity_hours') }}
    group by programme, antenna, month_start
),

contributions as (
    select * from entries
    union all
    select * from exits
    union all
    select * from six_months
    union all
    select * from hours
)

select
    programme,
    antenna,
    month_start,
    dimension,
    dimension_value,
    cast(sum(ent) as bigint) as ent,
    cast(sum(ent_f_num) as bigint) as ent_f_num,
    cast(sum(sor) as bigint) as sor,
    cast(sum(abd_num) as bigint) as abd_num,
    cast(sum(exit_den) as bigint) as exit_den,
    cast(sum(sd_num) as bigint) as sd_num,
    cast(sum(ed_num) as bigint) as ed_num,
    cast(sum(emp_num) as bigint) as emp_num,
    cast(sum(sp_num) as bigint) as sp_num,
    cast(sum(c6_den) as bigint) as c6_den,
    cast(sum(sd6_num) as bigint) as sd6_num,
    cast(sum(suivi6_num) as bigint) as suivi6_num,
    sum(hrs_minutes) as hrs_minutes
from contributions
group by programme, antenna, month_start, dimension, dimension_value
