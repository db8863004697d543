-- The costs (docs/indicators.md#12-costs): COUT_PART and COUT_SD, ratios in euros of the
-- spending of the accompaniment axes (AVEC, SOCLE) over a population of the CRM, per enrolment
-- scope and period, in the columns of int_indicator_period_values, which unions them. Generated
-- from the catalogue rows of type `ratio`, whose `numerator` and `denominator` name the sides
-- below (macros/indicator_measures.sql, indicator_cost_sides).
-- - Spending: Σ depense_eur of the budget lines of axes AVEC and SOCLE whose whole period (a
--   quarter, or the year when `trimestre` is blank) lies in P: a yearly line counts in its year,
--   never in a quarter; months have none. A line's scope: its programme, the programme's
--   ancestors and ALL × its antenna and ALL; a TOUS / TOUTES line only in ALL.
-- - active_persons: distinct participants with a counted enrolment of the scope active in P
--   (start <= P.end, no effective end or end >= P.start, as ACT); computed only where there is
--   spending to divide.
-- - sd_num: the numerator of SD_SORTIE for the scope and P.
-- The value is null when the spending or the population is 0; numerator and denominator stay
-- null (a ratio is not a rate), `population` is the population divided by.
-- depends_on: {{ ref('indicator_catalogue') }}
{%- set sides = indicator_cost_sides() %}
{%- set ratios = [] %}
{%- for c in indicator_catalogue_rows() if c.indicator_type == 'ratio' %}
{%- if c.numerator not in sides or c.denominator not in sides %}
{{ exceptions.raise_compiler_error("indicator " ~ c.indicator_code ~ ": a ratio's numerator and denominator are among " ~ (sides.keys() | list | join(', '))) }}
{%- endif %}
{%- do ratios.append(c) %}
{%- endfor %}
with periods as (
    select period_type, period_start, period_end from {{ ref('int_periods') }}
),

lines as (
    select
        programme,
        antenna,
        cast({{ indicator_budget_line_start() }} as date) as line_start,
        cast({{ indicator_budget_line_end() }} as date) as line_end,
        spent_eur
    from {{ ref('stg_sheets__budget') }}
    where axis in ('AVEC', 'SOCLE')
      and spent_eur is not null
),

programme_scopes as (
    select distinct l.programme, coalesce(a.ancestor_programme, l.programme) as scope_programme
    from lines as l
    left join {{ ref('int_programme_ancestry') }} as a
        on a.programme = l.programme
    where l.programme <> 'ALL'
    union
    select distinct programme, 'ALL' as scope_programme
    from lines
),

antenna_scopes as (
    select distinct antenna, antenna as scope_antenna from lines where antenna <> 'ALL'
    union
    select distinct antenna, 'ALL' as scope_antenna from lines
),

spending as (
    select
        ps.scope_programme as programme,
        sa.scope_antenna as antenna,
        p.period_type,
        p.period_start,
        p.period_end,
        sum(l.spent_eur) as amount
    from lines as l
    inner join periods as p
        on l.line_start >= p.period_start
       and l.line_end <= p.period_end
    inner join programme_scopes as ps
        on ps.programme = l.programme
    inner join antenna_scopes as sa
        on sa.antenna = l.antenna
    group by ps.scope_programme, sa.scope_antenna, p.period_type, p.period_start, p.period_end
),

active_persons as (
    select
        s.programme,
        s.antenna,
        s.period_type,
        s.period_start,
        s.period_end,
        cast(count(distinct e.participant_key) as double precision) as amount
    from spending as s
    inner join {{ ref('int_scope_map') }} as sm
        on sm.scope_programme = s.programme
       and sm.scope_antenna = s.antenna
    inner join {{ ref('int_enrolments_counted') }} as e
        on e.programme = sm.programme
       and e.antenna = sm.antenna
       and e.start_date <= s.period_end
       and (e.end_date is null or e.end_date >= s.period_start)
    where s.amount <> 0
    group by s.programme, s.antenna, s.period_type, s.period_start, s.period_end
),

sides as (
    select 'cost_spending' as side, programme, antenna, period_type, period_start, period_end,
           amount
    from spending
    union all
    select 'active_persons' as side, programme, antenna, period_type, period_start, period_end,
           amount
    from active_persons
    union all
    select 'sd_num' as side, programme, antenna, period_type, period_start, period_end,
           cast(sd_num as double precision) as amount
    from {{ ref('int_indicator_period_measures') }}
    where dimension = 'total'
      and period_type <> 'ytd'
      and sd_num > 0
)
{%- if ratios %}
{%- for c in ratios %}
{{ 'select' if loop.first else 'union all\nselect' }}
    '{{ c.indicator_code }}' as indicator_code,
    n.period_type,
    n.period_start,
    n.period_end,
    n.programme,
    n.antenna,
    'total' as dimension,
    'total' as dimension_value,
    cast(null as double precision) as numerator,
    cast(null as double precision) as denominator,
    case when n.amount <> 0 and d.amount > 0 then n.amount / d.amount end as value,
    coalesce(d.amount, 0) as population
from sides as n
left join sides as d
    on d.side = '{{ c.denominator }}'
   and d.programme = n.programme
   and d.antenna = n.antenna
   and d.period_type = n.period_type
   and d.period_start = n.period_start
where n.side = '{{ c.numerator }}'
{%- endfor %}
{%- else %}
select
    cast(null as varchar) as indicator_code, cast(null as varchar) as period_type,
    cast(null as date) as period_start, cast(null as date) as period_end,
    cast(null as varchar) as programme, cast(null as varchar) as antenna,
    cast(null as varchar) as dimension, cast(null as varchar) as dimension_value,
    cast(null as double precision) as numerator, cast(null as double precision) as denominator,
    cast(null as double precision) as value, cast(null as double precision) as population
from sides
where false
{%- endif %}
