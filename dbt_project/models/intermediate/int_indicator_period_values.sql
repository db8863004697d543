-- Every computed indicator value, one row per (indicator, period, scope, disaggregation) that has
-- records behind it, periods `ytd` included (used for achievement only). Rates carry numerator
-- and denominator (value null when the denominator is 0); `population` is what the value is
-- computed over: the count itself, the rate's denominator, the median's population (null for
-- sums: HRS). The mart makes the total rows dense and attaches targets.
-- One branch per catalogue indicator, from the measures its catalogue row names
-- (dbt_project/macros/indicator_measures.sql): the additive ones of
-- int_indicator_period_measures, or the model that computes a non-additive one; the whole
-- association's indicators, read from the spreadsheets, come computed from
-- int_indicator_association, the costs (type `ratio`) from int_indicator_costs.
-- depends_on: {{ ref('indicator_catalogue') }}
-- depends_on: {{ ref('int_active_enrolments') }}
-- depends_on: {{ ref('int_distinct_counts') }}
-- depends_on: {{ ref('int_employment_delays') }}
{%- set sources = indicator_sources() %}
with measures as (
    select * from {{ ref('int_indicator_period_measures') }}
),

unpivoted as (
    {%- for s in sources %}
    {%- if s.kind == 'rate' %}
    select
        '{{ s.code }}' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast({{ s.numerator }} as double precision) as numerator,
        cast({{ s.denominator }} as double precision) as denominator,
        cast({{ s.numerator }} as double precision) / {{ s.denominator }} as value,
        cast({{ s.denominator }} as double precision) as population
    from measures
    where {{ s.denominator }} > 0
    {%- elif s.kind == 'additive' %}
    {%- set m = s.measure %}
    select
        '{{ s.code }}' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        {%- if m.sums %}
        {{ m.value or m.name }} as value,
        cast(null as double precision) as population
        {%- else %}
        cast({{ m.name }} as double precision) as value,
        cast({{ m.name }} as double precision) as population
        {%- endif %}
    from measures
    where {{ "dimension = 'total' and " if m.total_only }}{{ m.name }} > 0
    {%- else %}
    {%- set m = s.measure %}
    select
        '{{ s.code }}' as indicator_code, period_type, period_start, period_end, programme, antenna,
        {%- if m.total_only %}
        'total' as dimension, 'total' as dimension_value,
        {%- else %}
        dimension, dimension_value,
        {%- endif %}
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        cast({{ m.value }} as double precision) as value,
        cast({{ m.population }} as double precision) as population
    from {{ ref(m.model) }}
    where {{ m.population }} > 0
    {%- if m.where %}
      and {{ m.where }}
    {%- endif %}
    {%- endif %}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from unpivoted
union all
select
    indicator_code, period_type, period_start, period_end, programme, antenna,
    dimension, dimension_value, numerator, denominator, value, population
from {{ ref('int_indicator_association') }}
union all
select
    indicator_code, period_type, period_start, period_end, programme, antenna,
    dimension, dimension_value, numerator, denominator, value, population
from {{ ref('int_indicator_costs') }}
