{#- `sea_view`: the project's view materialization, named by the models that use it rather
    than overriding dbt's `view`.

    On DuckDB: one `create or replace view … as`, then one commit. dbt's own view
    materialization creates `<name>__dbt_tmp`, renames the old view to a backup, renames the new
    one in, commits, then drops the backup: five statements and a page of Jinja per view, for
    each of the views a build replaces (most of a view's time is that sequence). DuckDB replaces
    a view atomically in one statement, as it does a table (macros/materializations/
    sea_table.sql, which says what this project does not use of the longer path). A table of
    the same name (a model that used to be one) is dropped first. On PostgreSQL (and any other
    adapter) it is dbt's own `view` (the `default` implementation at the end of this file). -#}
{% materialization sea_view, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='view') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if existing_relation is not none and not existing_relation.is_view %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}

  {% call statement('main') -%}
    create or replace view {{ target_relation }} as (
      {{ compiled_code }}
    )
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Every other adapter (PostgreSQL): dbt's own view materialization, unchanged. -#}
{% materialization sea_view, default %}
  {{ return(materialization_view_default()) }}
{% endmaterialization %}
