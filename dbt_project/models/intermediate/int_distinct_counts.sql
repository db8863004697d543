-- The two distinct counts, computed on the records of each scope and period (never by adding
-- rows): ENT_P — distinct participants with an enrolment starting in the period, per scope of
-- their enrolments; EMP_ENG — distinct staged employers with an engagement event in the period,
-- for programme ALL × (the employer's latest antenna, ALL).
-- A person (employer) counts once in a period however many of their months fall in it: each of
-- their months is placed only in the periods that do not already hold their previous month
-- (periods are intervals), so a plain count gives the distinct count without a distinct over
-- millions of (scope, period, person) rows. Most participants have a single month of entry (one
-- enrolment): they have no previous month in any scope, and skip the window that finds it.
-- Members are counted per (scope, month, previous month) before being placed in periods.
with entries as (
    select distinct
        e.participant_key,
        e.programme,
        e.antenna,
        {{ month_start('e.start_date') }} as month_start
    from {{ ref('int_enrolments_counted') }} as e
),

entry_rows as (
    select participant_key, count(*) as entry_rows
    from entries
    group by participant_key
),

-- a participant with one (programme, antenna, month) of entry is in each of its scopes once
-- (int_scope_map lists each scope of a pair once), with no earlier month
persons_once as (
    select
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        entries.month_start
    from entries
    inner join entry_rows as n
        on n.participant_key = entries.participant_key
       and n.entry_rows = 1
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = entries.programme
       and sm.antenna = entries.antenna
),

persons_with_history as (
    select distinct
        sm.scope_programme as programme,
        sm.scope_antenna as antenna,
        entries.month_start,
        entries.participant_key
    from entries
    inner join entry_rows as n
        on n.participant_key = entries.participant_key
       and n.entry_rows > 1
    inner join {{ ref('int_scope_map') }} as sm
        on sm.programme = entries.programme
       and sm.antenna = entries.antenna
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

-- who may have an earlier month in the same scope, once per (indicator, scope, month)
members_with_history as (
    select 'ENT_P' as indicator_code, programme, antenna, month_start,
           participant_key as member_id
    from persons_with_history
    union all
    select 'EMP_ENG' as indicator_code, programme, antenna, month_start,
           employer_id as member_id
    from employers_scoped
),

member_months as (
    select
        'ENT_P' as indicator_code,
        programme,
        antenna,
        month_start,
        cast(null as date) as previous_month
    from persons_once
    union all
    select
        indicator_code,
        programme,
        antenna,
        month_start,
        lag(month_start) over (
            partition by indicator_code, programme, antenna, member_id order by month_start
        ) as previous_month
    from members_with_history
),

month_counts as (
    select indicator_code, programme, antenna, month_start, previous_month, count(*) as members
    from member_months
    group by indicator_code, programme, antenna, month_start, previous_month
)

select
    m.indicator_code,
    m.programme,
    m.antenna,
    pm.period_type,
    pm.period_start,
    pm.period_end,
    cast(sum(m.members) as bigint) as distinct_count
from month_counts as m
inner join {{ ref('int_period_months') }} as pm
    on pm.month_start = m.month_start
   and (m.previous_month is null or m.previous_month < pm.period_start)
group by m.indicator_code, m.programme, m.antenna, pm.period_type, pm.period_start, pm.period_end
