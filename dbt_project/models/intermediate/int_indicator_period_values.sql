-- Every computed indicator value, one row per (indicator, period, scope, disaggregation) that has
-- records behind it, periods `ytd` included (used for achievement only). Rates carry numerator
-- and denominator (value null when the denominator is 0); `population` is what the value is
-- computed over: the count itself, the rate's denominator, the median's population (null for
-- HRS). The mart makes the total rows dense and attaches targets.
with measures as (
    select * from {{ ref('int_indicator_period_measures') }}
),

{%- set counts = [('ENT', 'ent'), ('SOR', 'sor')] %}
{%- set rates = [
    ('ENT_F', 'ent_f_num', 'ent'),
    ('ABD', 'abd_num', 'sor'),
    ('SD_SORTIE', 'sd_num', 'exit_den'),
    ('ED_SORTIE', 'ed_num', 'exit_den'),
    ('EMP_SORTIE', 'emp_num', 'exit_den'),
    ('SP_SORTIE', 'sp_num', 'exit_den'),
    ('SD_6M', 'sd6_num', 'c6_den'),
    ('SUIVI_6M', 'suivi6_num', 'c6_den'),
] %}

unpivoted as (
    {%- for code, col in counts %}
    select
        '{{ code }}' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        cast({{ col }} as double precision) as value,
        cast({{ col }} as double precision) as population
    from measures
    where {{ col }} > 0
    union all
    {%- endfor %}
    {%- for code, num, den in rates %}
    select
        '{{ code }}' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast({{ num }} as double precision) as numerator,
        cast({{ den }} as double precision) as denominator,
        cast({{ num }} as double precision) / {{ den }} as value,
        cast({{ den }} as double precision) as population
    from measures
    where {{ den }} > 0
    union all
    {%- endfor %}
    select
        'HRS' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        hrs_minutes / 60.0 as value,
        cast(null as double precision) as population
    from measures
    where dimension = 'total' and hrs_minutes > 0
    union all
    select
        'ACT' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        cast(act as double precision) as value,
        cast(act as double precision) as population
    from {{ ref('int_active_enrolments') }}
    where act > 0
    union all
    select
        indicator_code, period_type, period_start, period_end, programme, antenna,
        'total' as dimension, 'total' as dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        cast(distinct_count as double precision) as value,
        cast(distinct_count as double precision) as population
    from {{ ref('int_distinct_counts') }}
    where distinct_count > 0
    union all
    select
        'DELAI_EMPLOI' as indicator_code, period_type, period_start, period_end, programme, antenna,
        dimension, dimension_value,
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        cast(median_days as double precision) as value,
        cast(population as double precision) as population
    from {{ ref('int_employment_delays') }}
    where population > 0
)

select * from unpivoted
