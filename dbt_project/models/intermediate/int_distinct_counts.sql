-- The two distinct counts, computed on the records of each scope and period (never by adding
-- rows): ENT_P — distinct participants with an enrolment starting in the period, per scope of
-- their enrolments; EMP_ENG — distinct staged employers with an engagement event in the period,
-- for programme ALL × (the employer's latest antenna, ALL).
-- A person (employer) counts once in a period however many of their months fall in it: each of
-- their months is placed only in the periods that do not already hold their previous month
-- (periods are intervals), so a plain count gives the distinct count without a distinct over
-- millions of (scope, period, person) rows.
with entries as (
    select distinct
        e.participant_key,
        e.programme,
        e.antenna,
        {{ month_start('e.start_date') }} as month_start
    from {{ ref('int_enrolments_counted') }} as e
),

persons_scoped as (
    select distinct
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        entries.month_start,
        entries.participant_key
    from entries
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = entries.programme
       and sm.antenna = entries.antenna
),

persons_months as (
    select
        programme,
        antenna,
        month_start,
        participant_key,
        lag(month_start) over (
            partition by programme, antenna, participant_key order by month_start
        ) as previous_month
    from persons_scoped
),

employer_events as (
    select distinct
        employer_id,
        employer_antenna,
        {{ month_start('activity_date') }} as month_start
    from {{ ref('int_employer_engagements') }}
),

employers_scoped as (
    select 'ALL' as programme, employer_antenna as antenna, month_start, employer_id
    from employer_events
    union
    select 'ALL' as programme, 'ALL' as antenna, month_start, employer_id
    from employer_events
),

employers_months as (
    select
        programme,
        antenna,
        month_start,
        employer_id,
        lag(month_start) over (
            partition by programme, antenna, employer_id order by month_start
        ) as previous_month
    from employers_scoped
)

select
    'ENT_P' as indicator_code,
    s.programme,
    s.antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    count(*) as distinct_count
from persons_months as s
inner join {{ ref('int_period_months') }} as pm
    on pm.month_start = s.month_start
   and (s.previous_month is null or s.previous_month < pm.period_start)
group by s.programme, s.antenna, pm.period_type, pm.period_start, pm.period_end

union all

select
    'EMP_ENG' as indicator_code,
    s.programme,
    s.antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    count(*) as distinct_count
from employers_months as s
inner join {{ ref('int_period_months') }} as pm
    on pm.month_start = s.month_start
   and (s.previous_month is null or s.previous_month < pm.period_start)
group by s.programme, s.antenna, pm.period_type, pm.period_start, pm.period_end
