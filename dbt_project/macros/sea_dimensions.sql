{#- The disaggregations of docs/indicators.md#8-disaggregations, one at a time. Each is a column
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

{#- FROM-clause fragment: each row of `alias` once for 'total' and once per disaggregation, with
    `dimension` and `dimension_value` (select them with dimension_row_columns()). One grouping
    where a grouping set per dimension would compute an ordered aggregate (the median) once per
    set: DuckDB takes less time on DELAI_EMPLOI this way; for plain sums the grouping sets stay
    faster. -#}
{% macro dimension_rows(alias) -%}
  {{ return(adapter.dispatch('dimension_rows', 'sea')(alias)) }}
{%- endmacro %}

{% macro default__dimension_rows(alias) -%}
  cross join lateral (
    values ('total', 'total')
    {%- for dim in sea_dimensions() %}, ('{{ dim }}', {{ alias }}.dim_{{ dim }}){% endfor %}
  ) as dims (dimension, dimension_value)
{%- endmacro %}

{% macro duckdb__dimension_rows(alias) -%}
  cross join unnest([
    {'dimension': 'total', 'dimension_value': 'total'}
    {%- for dim in sea_dimensions() %},
    {'dimension': '{{ dim }}', 'dimension_value': {{ alias }}.dim_{{ dim }}}
    {%- endfor %}
  ]) as dims (d)
{%- endmacro %}

{% macro dimension_row_columns() -%}
  {{ return(adapter.dispatch('dimension_row_columns', 'sea')()) }}
{%- endmacro %}

{% macro default__dimension_row_columns() -%}
  dims.dimension, dims.dimension_value
{%- endmacro %}

{% macro duckdb__dimension_row_columns() -%}
  dims.d.dimension as dimension, dims.d.dimension_value as dimension_value
{%- endmacro %}
