{#- `pair_in(left, relation, right)`: whether the pair of expressions `left` is a pair of
    columns `right` of `relation` — a semi-join, written as each engine runs it best when the
    left side has millions of rows and the relation thousands. DuckDB turns a correlated
    `exists` into a mark join built on the relation (a row-valued `in` it plans far slower);
    PostgreSQL hashes an uncorrelated row-valued `in` once (a correlated `exists` in a select
    list would scan the relation per row). A null on the left never matches. -#}
{% macro pair_in(left, relation, right) -%}
  {{ return(adapter.dispatch('pair_in', 'sea')(left, relation, right)) }}
{%- endmacro %}

{% macro duckdb__pair_in(left, relation, right) -%}
  exists (
      select 1 from {{ relation }} as pair_set
      where pair_set.{{ right[0] }} = {{ left[0] }}
        and pair_set.{{ right[1] }} = {{ left[1] }}
  )
{%- endmacro %}

{% macro default__pair_in(left, relation, right) -%}
  coalesce(
      ({{ left[0] }}, {{ left[1] }}) in (select {{ right[0] }}, {{ right[1] }} from {{ relation }}),
      false
  )
{%- endmacro %}
