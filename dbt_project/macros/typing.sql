{#- Portable casts of the raw text columns. Raw keeps what the CRM sent; staging types it, and a
    value that does not parse becomes null (the quality flags say which field was nulled). -#}

{% macro sea_create_helpers() %}
  {%- if target.type == 'postgres' -%}
    create or replace function public.sea_try_date(t text) returns date
    language plpgsql immutable as $fn$
    begin
      if t is null or t !~ '^\d{4}-\d{2}-\d{2}$' then return null; end if;
      return t::date;
    exception when others then return null;
    end $fn$;
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{% macro to_date(expr) -%}
  {{ return(adapter.dispatch('to_date', 'sea')(expr)) }}
{%- endmacro %}
{% macro duckdb__to_date(expr) -%}
  try_cast(case when regexp_full_match({{ expr }}, '\d{4}-\d{2}-\d{2}') then {{ expr }} end as date)
{%- endmacro %}
{% macro postgres__to_date(expr) -%}
  public.sea_try_date({{ expr }})
{%- endmacro %}

{% macro to_number(expr) -%}
  cast(case when {{ regex_full_match(expr, '-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?') }}
       then {{ expr }} end as double precision)
{%- endmacro %}

{% macro to_integer(expr) -%}
  cast(case when {{ regex_full_match(expr, '-?[0-9]+(\.0+)?') }}
       then cast({{ expr }} as double precision) end as integer)
{%- endmacro %}

{% macro to_boolean(expr) -%}
  case {{ expr }} when 'true' then true when 'false' then false end
{%- endmacro %}

{% macro regex_full_match(expr, pattern) -%}
  {{ return(adapter.dispatch('regex_full_match', 'sea')(expr, pattern)) }}
{%- endmacro %}
{% macro duckdb__regex_full_match(expr, pattern) -%}
  regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}
{% macro postgres__regex_full_match(expr, pattern) -%}
  ({{ expr }} ~ '^{{ pattern }}$')
{%- endmacro %}

{% macro open_code(expr) -%}
  upper(trim({{ expr }}))
{%- endmacro %}

{#- The value when it belongs to a list of the code_lists seed, else null. -#}
{% macro in_list(expr, list_name) -%}
  case when {{ expr }} in (select code from {{ ref('code_lists') }} where list_name = '{{ list_name }}')
       then {{ expr }} end
{%- endmacro %}

{#- Names of the fields a version had but staging had to null (unparseable or out of list). -#}
{% macro nulled_fields(checks) -%}
  nullif(concat_ws(',', {% for name, raw, typed in checks -%}
    case when {{ raw }} is not null and {{ typed }} is null then '{{ name }}' end
    {%- if not loop.last %}, {% endif %}{% endfor %}), '')
{%- endmacro %}
