{#- Dates and parameters of the indicator rules (docs/indicators.md#1-conventions). Portable SQL:
    the same text runs on DuckDB and PostgreSQL. -#}

{#- The run's as-of date R, as a date literal. R is run data, not configuration: it is read from
    SEA_AS_OF (set by the pipeline) only when dbt executes. Were it a project var or an env var
    read while parsing, every new date — every night — would make dbt re-parse the whole project
    (seconds). Unit tests set it with `overrides: {vars: {as_of: …}}`. While parsing, a
    placeholder. -#}
{% macro as_of_date() -%}
  {%- set pinned = var('as_of', none) -%}
  cast('
  {%- if pinned -%}{{ pinned }}
  {%- elif execute -%}{{ env_var('SEA_AS_OF') }}
  {%- else -%}1900-01-01
  {%- endif -%}
  ' as date)
{%- endmacro %}

{#- One value of the `sea_parameters` seed, cast to `type` (a scalar subquery). -#}
{% macro sea_param(name, type='integer') -%}
  (select cast(sp.value as {{ type }}) from {{ ref('sea_parameters') }} as sp
   where sp.parameter = '{{ name }}')
{%- endmacro %}

{#- `d` + n calendar months, clamped to the month's last day (2026-08-31 + 6 → 2027-02-28). -#}
{% macro add_months(date_expr, months_expr) -%}
  cast({{ date_expr }} + ({{ months_expr }}) * interval '1 month' as date)
{%- endmacro %}

{% macro month_start(date_expr) -%}
  cast(date_trunc('month', {{ date_expr }}) as date)
{%- endmacro %}

{% macro quarter_start(date_expr) -%}
  cast(date_trunc('quarter', {{ date_expr }}) as date)
{%- endmacro %}

{% macro year_start(date_expr) -%}
  cast(date_trunc('year', {{ date_expr }}) as date)
{%- endmacro %}

{#- The readable label of a period: `2026-03`, `2026-T1`, `2026`, `cumul`. -#}
{% macro period_label(type_expr, start_expr) -%}
  case {{ type_expr }}
      when 'month' then cast(cast(extract(year from {{ start_expr }}) as integer) as varchar)
          || '-' || lpad(cast(cast(extract(month from {{ start_expr }}) as integer) as varchar), 2, '0')
      when 'quarter' then cast(cast(extract(year from {{ start_expr }}) as integer) as varchar)
          || '-T' || cast(cast((extract(month from {{ start_expr }}) + 2) / 3 as integer) as varchar)
      when 'year' then cast(cast(extract(year from {{ start_expr }}) as integer) as varchar)
      else 'cumul'
  end
{%- endmacro %}

{#- Whole years between a birth date and a day: year difference, minus 1 when the day's
    (month, day) comes before the birthday's (docs/indicators.md#5-age-and-bands). -#}
{% macro age_on(birth_expr, day_expr) -%}
  (cast(extract(year from {{ day_expr }}) as integer) - cast(extract(year from {{ birth_expr }}) as integer)
   - case when cast(extract(month from {{ day_expr }}) as integer) * 100 + cast(extract(day from {{ day_expr }}) as integer)
             < cast(extract(month from {{ birth_expr }}) as integer) * 100 + cast(extract(day from {{ birth_expr }}) as integer)
          then 1 else 0 end)
{%- endmacro %}

{#- Text compared byte by byte ("smallest id compared as text"), whatever the database collation. -#}
{% macro text_sort_key(expr) -%}
  {{ return(adapter.dispatch('text_sort_key', 'sea')(expr)) }}
{%- endmacro %}
{% macro default__text_sort_key(expr) -%}
  {{ expr }}
{%- endmacro %}
{% macro postgres__text_sort_key(expr) -%}
  ({{ expr }}) collate "C"
{%- endmacro %}

{#- A double rounded to n decimals (PostgreSQL only rounds numerics). -#}
{% macro round_double(expr, digits) -%}
  {{ return(adapter.dispatch('round_double', 'sea')(expr, digits)) }}
{%- endmacro %}
{% macro default__round_double(expr, digits) -%}
  round({{ expr }}, {{ digits }})
{%- endmacro %}
{% macro postgres__round_double(expr, digits) -%}
  cast(round(cast({{ expr }} as numeric), {{ digits }}) as double precision)
{%- endmacro %}

{% macro as_int(bool_expr) -%}
  case when {{ bool_expr }} then 1 else 0 end
{%- endmacro %}

{#- numerator / denominator as a double; null when there is nothing to divide by (0 or null). -#}
{% macro ratio(numerator, denominator) -%}
  case when {{ denominator }} > 0
       then cast({{ numerator }} as double precision) / {{ denominator }} end
{%- endmacro %}
