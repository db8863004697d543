{#- Table models on DuckDB: one `create or replace table … as`, then one commit.

    dbt-duckdb's own table materialization builds `<name>__dbt_tmp`, renames the old table to a
    backup, renames the new one in, commits, then drops the backup: five statements, two
    commits and a page of Jinja per model, for every one of the sixty-odd tables a night
    rebuilds. DuckDB replaces a table atomically in one statement (readers see the old table
    or the new one, and a failed query leaves the old one in place), so that is all this does.
    No model of this project uses what the longer path is for (contracts, constraints, indexes,
    grants, persisted docs, Python models, DuckLake); PostgreSQL keeps dbt-postgres' own. -#}
{% materialization table, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if existing_relation is not none and not existing_relation.is_table %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}

  {% call statement('main') -%}
    create or replace table {{ target_relation }} as (
      {{ compiled_code }}
    )
  {%- endcall %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
