-- Kaplan–Meier estimate of the time from entry to a first job, per programme (with its rollups:
-- a parent programme covers its sub-programmes, ALL covers everything; all antennas together),
-- on steps of `km_step_days` days (30 by default). Step k covers
-- days [(k − 1) × 30, k × 30 − 1] after entry. At risk = enrolments still followed and without a
-- job at the start of the step; within a step, jobs are counted before censorings (product-limit
-- on grouped times): survival(k) = survival(k − 1) × (1 − events / at risk).
with recursive

params as (
    select {{ sea_param('km_step_days') }} as step_days
),

records as (
    select
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        s.is_event,
        cast(floor(cast(s.time_days as double precision) / p.step_days) as integer) + 1 as step_no
    from {{ ref('int_employment_survival') }} as s
    cross join params as p
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = s.programme
       and sm.antenna = s.antenna
       and sm.scope_antenna = 'ALL'
    where s.time_days >= 0
),

per_step as (
    select
        programme,
        antenna,
        step_no,
        cast(sum({{ as_int('is_event') }}) as bigint) as events,
        cast(sum({{ as_int('not is_event') }}) as bigint) as censored
    from records
    group by programme, antenna, step_no
),

scope_sizes as (
    select programme, antenna, count(*) as followed, max(step_no) as last_step
    from records
    group by programme, antenna
),

steps as (
    select programme, antenna, 1 as step_no from scope_sizes
    union all
    select s.programme, s.antenna, s.step_no + 1 as step_no
    from steps as s
    inner join scope_sizes as z
        on z.programme = s.programme
       and z.antenna = s.antenna
    where s.step_no < z.last_step
),

life_table as (
    select
        st.programme,
        st.antenna,
        st.step_no,
        z.followed - coalesce(sum(coalesce(ps.events, 0) + coalesce(ps.censored, 0)) over (
            partition by st.programme, st.antenna
            order by st.step_no
            rows between unbounded preceding and 1 preceding
        ), 0) as at_risk,
        coalesce(ps.events, 0) as events,
        coalesce(ps.censored, 0) as censored
    from steps as st
    inner join scope_sizes as z
        on z.programme = st.programme
       and z.antenna = st.antenna
    left join per_step as ps
        on ps.programme = st.programme
       and ps.antenna = st.antenna
       and ps.step_no = st.step_no
),

km as (
    select
        programme,
        antenna,
        step_no,
        case when at_risk > 0
             then 1.0 - cast(events as double precision) / at_risk
             else 1.0 end as survival
    from life_table
    where step_no = 1
    union all
    select
        t.programme,
        t.antenna,
        t.step_no,
        k.survival * case when t.at_risk > 0
                          then 1.0 - cast(t.events as double precision) / t.at_risk
                          else 1.0 end as survival
    from km as k
    inner join life_table as t
        on t.programme = k.programme
       and t.antenna = k.antenna
       and t.step_no = k.step_no + 1
)

select
    t.programme,
    t.step_no,
    (t.step_no - 1) * p.step_days as day_from,
    t.step_no * p.step_days - 1 as day_to,
    t.step_no * p.step_days as day,
    cast(t.at_risk as bigint) as at_risk,
    t.events,
    t.censored,
    cast(k.survival as double precision) as survival,
    cast(1.0 - k.survival as double precision) as employment_probability,
    {{ as_of_date() }} as as_of
from life_table as t
cross join params as p
inner join km as k
    on k.programme = t.programme
   and k.antenna = t.antenna
   and k.step_no = t.step_no
