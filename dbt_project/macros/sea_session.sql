{#- on-run-start: the session defaults of dbt's connections to the warehouse.

    PostgreSQL: JIT compilation off. Past `jit_above_cost` PostgreSQL compiles a query to machine
    code before running it, function by function, and this project's unions of a few dozen
    branches (the indicator models, the quality rules' tests) cost seconds to compile — ten
    times the query itself at the tests' size — for plans that run once
    (docs/performance.md#postgresql). dbt opens a connection per node and its profile cannot
    pass session options, so the setting is the role's own default in this database
    (`alter role … in database … set`, which any role may do for itself; BI readers' roles keep
    the server's). It applies to the connections opened after it: every node of this run. Set
    only when the session does not already have it, so a night writes nothing to the catalog.
    The pipeline's own connections pass the same option (common/warehouse.py). Nothing on
    DuckDB. -#}
{% macro sea_session_defaults() -%}
  {{ return(adapter.dispatch('sea_session_defaults', 'sea')()) }}
{%- endmacro %}

{% macro default__sea_session_defaults() -%}
  select 1
{%- endmacro %}

{% macro postgres__sea_session_defaults() -%}
  do $sea$
  begin
    if current_setting('jit') <> 'off' then
      execute format('alter role current_user in database %I set jit = off', current_database());
    end if;
  end
  $sea$
{%- endmacro %}
