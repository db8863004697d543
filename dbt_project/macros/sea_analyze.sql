{#- Post-hook of the intermediate and mart models: fresh planner statistics on PostgreSQL
    (a table created by CTAS has none until autovacuum passes, and the planner then picks
    nested loops over million-row tables). Nothing on DuckDB. -#}
{% macro sea_analyze() -%}
  {{ return(adapter.dispatch('sea_analyze', 'sea')()) }}
{%- endmacro %}
{% macro default__sea_analyze() -%}
{%- endmacro %}
{% macro postgres__sea_analyze() -%}
  analyze {{ this }}
{%- endmacro %}
