{#- `sea_table`: the project's table materialization, named by the models that use it
    (dbt_project.yml, and `row_diff` models' own config) rather than overriding dbt's `table`.

    On DuckDB: one `create or replace table … as`, then one commit. dbt-duckdb's own table
    materialization builds `<name>__dbt_tmp`, renames the old table to a backup, renames the new
    one in, commits, then drops a backup: five statements, two commits and a page of Jinja per
    model, for every one of the sixty-odd tables a night rebuilds. DuckDB replaces a table
    atomically in one statement (readers see the old table or the new one, and a failed query
    leaves the old one in place), so that is all this does. No model of this project uses what
    the longer path is for (contracts, constraints, indexes, grants, persisted docs, Python
    models, DuckLake). On PostgreSQL (and any other adapter) it is dbt's own `table`
    (the `default` implementation at the end of this file), `row_diff` ignored.

    `row_diff: true` (a model's config): when the table exists and the run is not a full
    refresh, the query's rows are computed into a temporary table (in memory) and only the
    differences are written — the table's rows the query no longer gives are deleted, the
    query's rows the table does not hold are inserted, whole rows compared by a 64-bit hash of
    all their columns. Writing is what a night pays for most on DuckDB (a 100 000-row table
    costs several times its query, once in the WAL and again at the checkpoint), while from one
    night to the next most rows of these tables stay the same (docs/performance.md). The table
    then holds exactly the query's rows (tests/test_incremental.py); only their physical order
    differs, which no reader relies on. For models whose rows are unique (a key their rules
    test): a row given twice by the query and held once by the table would stay once. When the query's columns (names, types, order) are not the table's, the table is
    replaced as without the option. -#}
{% materialization sea_table, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set diffed = config.get('row_diff', false) and existing_relation is not none
                   and existing_relation.is_table and not should_full_refresh() -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {%- if existing_relation is not none and not existing_relation.is_table %}
    {{ adapter.drop_relation(existing_relation) }}
  {%- endif %}

  {%- if diffed %}
    {%- set computed = '"__sea_rows_' ~ this.identifier ~ '"' -%}
    {% call statement('compute') -%}
      create or replace temp table {{ computed }} as
      select *, hash(*columns(*)) as __sea_row_hash from (
        {{ compiled_code }}
      ) as model_rows
    {%- endcall %}
    {%- set drift = run_query(sea_column_drift_sql(computed, target_relation)) -%}
    {% call statement('main') -%}
      {%- if drift.columns[0].values()[0] == 0 %}
      delete from {{ target_relation }}
      where rowid in (
          select rowid from (
              select rowid, hash(*columns(*)) as row_hash from {{ target_relation }}
          ) as held
          where row_hash not in (select __sea_row_hash from {{ computed }})
      );
      insert into {{ target_relation }}
      select * exclude (__sea_row_hash) from {{ computed }}
      where __sea_row_hash not in (select hash(*columns(*)) from {{ target_relation }});
      {%- else %}
      create or replace table {{ target_relation }} as
      select * exclude (__sea_row_hash) from {{ computed }};
      {%- endif %}
      drop table {{ computed }}
    {%- endcall %}
  {%- else %}
    {% call statement('main') -%}
      create or replace table {{ target_relation }} as (
        {{ compiled_code }}
      )
    {%- endcall %}
  {%- endif %}

  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}

{#- Every other adapter (PostgreSQL): dbt's own table materialization, unchanged. -#}
{% materialization sea_table, default %}
  {{ return(materialization_table_default()) }}
{% endmaterialization %}

{#- How many columns differ, by name, type or position, between the rows computed into the
    temporary table `computed` (its row hash aside) and the table `target`. -#}
{% macro sea_column_drift_sql(computed, target) -%}
  with computed_columns as (
      select column_name, data_type, column_index
      from duckdb_columns()
      where database_name = 'temp' and table_name = {{ computed | replace('"', "'") }}
        and column_name <> '__sea_row_hash'
  ),
  target_columns as (
      select column_name, data_type, column_index
      from duckdb_columns()
      where database_name = '{{ target.database }}' and schema_name = '{{ target.schema }}'
        and table_name = '{{ target.identifier }}'
  )
  select count(*) from (
      (select * from computed_columns except select * from target_columns)
      union all
      (select * from target_columns except select * from computed_columns)
  ) as differing
{%- endmacro %}
