-- Record contributions to the additive indicators, per (programme, antenna) of the enrolment,
-- calendar month and disaggregation (one grouping set per dimension plus the 'total' row).
-- Each record contributes in the month of its own date: entries by start date, exits by
-- effective end date, the 6-month cohort (mature, not neutral) by M, hours ('total' row only) by
-- the activity date. The measures and what each counts are listed once, in
-- dbt_project/macros/indicator_measures.sql (base measures, plus the filtered numerators the
-- catalogue asks for); one CTE per kind of record computes its own and 0 for the others.
-- Months before the first reported period are kept: the active file (ACT) needs them.
-- depends_on: {{ ref('indicator_catalogue') }}
{%- set events = indicator_record_events() %}
{%- set measures = indicator_additive_measures() %}
with enrolments as (
    select
        e.enrolment_id,
        e.programme,
        e.antenna,
        {{ month_start('e.start_date') }} as start_month,
        {{ month_start('e.end_date') }} as end_month,
        {{ month_start('o.m6_date') }} as m6_month,
        e.is_ended,
        e.exit_reason,
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
{#- Per kind of record, its select list: its own measures, 0 for the others. #}
{%- set columns = {} %}
{%- for event in events %}
{%- set cols = [] %}
{%- for m in measures %}
{%- if m.event != event %}
{%- do cols.append(('cast(0 as double precision)' if m.sums else '0') ~ ' as ' ~ m.name) %}
{%- elif m.sums %}
{%- do cols.append('sum(cast(' ~ m.sums ~ ' as double precision)) as ' ~ m.name) %}
{%- elif m.counts is none %}
{%- do cols.append('count(*) as ' ~ m.name) %}
{%- else %}
{%- do cols.append('sum(' ~ as_int(m.counts) ~ ') as ' ~ m.name) %}
{%- endif %}
{%- endfor %}
{%- do columns.update({event: cols}) %}
{%- endfor %}
{%- for event, e in events.items() if event != 'hours' %}

{{ event }} as (
    select
        programme,
        antenna,
        {{ e.month }} as month_start,
        {{ dimension_columns() }},
        {{ columns[event] | join(',\n        ') }}
    from enrolments
    {%- if e.where %}
    where {{ e.where }}
    {%- endif %}
    group by {{ dimension_grouping_sets(['programme', 'antenna', e.month]) }}
),
{%- endfor %}

hours as (
    select
        programme,
        antenna,
        month_start,
        'total' as dimension,
        'total' as dimension_value,
        {{ columns['hours'] | join(',\n        ') }}
    from {{ ref('int_activity_hours') }}
    group by programme, antenna, month_start
),

contributions as (
    {%- for event in events %}
    select * from {{ event }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select
    programme,
    antenna,
    month_start,
    dimension,
    dimension_value,
    {%- for m in measures %}
    {%- if m.sums %}
    sum({{ m.name }}) as {{ m.name }}{{ ',' if not loop.last }}
    {%- else %}
    cast(sum({{ m.name }}) as bigint) as {{ m.name }}{{ ',' if not loop.last }}
    {%- endif %}
    {%- endfor %}
from contributions
group by programme, antenna, month_start, dimension, dimension_value
