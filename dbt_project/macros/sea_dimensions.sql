{#- The disaggregations of indicators.md § disaggregations, one at a time. Each is a column
    `dim_<name>` of int_enrolments_counted holding a listed code or 'unknown' (never null). -#}

{% macro sea_dimensions() -%}
  {{ return(['sex', 'age_band', 'protection_status', 'french_level_band', 'education_band',
             'qpv', 'rqth', 'nationality']) }}
{%- endmacro %}

{#- `group by` clause: the keys alone (the 'total' row) then the keys with each dimension. -#}
{% macro dimension_grouping_sets(keys) -%}
  grouping sets (
    ({{ keys | join(', ') }})
    {%- for dim in sea_dimensions() %},
    ({{ keys | join(', ') }}, dim_{{ dim }})
    {%- endfor %}
  )
{%- endmacro %}

{#- Select list naming the grouping set of each output row: dimension, dimension_value. -#}
{% macro dimension_columns() -%}
  case
    {%- for dim in sea_dimensions() %}
    when grouping(dim_{{ dim }}) = 0 then '{{ dim }}'
    {%- endfor %}
    else 'total'
  end as dimension,
  case
    {%- for dim in sea_dimensions() %}
    when grouping(dim_{{ dim }}) = 0 then dim_{{ dim }}
    {%- endfor %}
    else 'total'
  end as dimension_value
{%- endmacro %}

{#- The dimension columns of a relation alias, for select lists. -#}
{% macro dimension_select(alias) -%}
  {%- for dim in sea_dimensions() %}{{ alias }}.dim_{{ dim }}{% if not loop.last %}, {% endif %}{% endfor -%}
{%- endmacro %}
