{#- Generic data tests of the indicator models (no dbt packages: written here). Each returns the
    offending rows; none means the test passes. -#}

{#- None of these columns is null. One scan for all of a model's required columns instead of one
    `not_null` test per column: each dbt test is a node with its own start-up cost, paid every
    night. A failing row is the model's row (its ids, for `--store-failures`) plus
    `empty_columns`, the required columns it leaves empty. -#}
{% test not_null_columns(model, column_names) %}
select *
from (
    select
        m.*,
        concat_ws(', '
        {%- for column in column_names %},
            case when m.{{ column }} is null then '{{ column }}' end
        {%- endfor %}
        ) as empty_columns
    from {{ model }} as m
) as checked
where empty_columns <> ''
{% endtest %}

{#- All of a model's structural rules in one query (one dbt node instead of one per rule: each
    node costs dbt tens of milliseconds of its own work, paid by every build, nightly included).
    `rules` is a list of one-key mappings:
      not_null: [columns]                       none of these columns is null
      unique: expression | [columns]            no two rows share it (an expression: nulls ignored)
      accepted_values: {column:, values: [..]}  the column is null or one of the values
      accepted_values: {column:, code_list:}    … or one of the codes of that list of the
                                                `code_lists` seed (the loader's list)
      between: {column:, min:, max:}            the column is null or within [min, max]
      not_greater_than: {column:, other:}       the column never exceeds the other column
      expression: "sql"                         the expression holds on every row
    Each failing row names its rule (`rule`) and what fails (`detail`: the duplicated or refused
    value, the empty columns); with `--store-failures` they are kept in one table per model. -#}
{% test model_rules(model, rules) %}
{%- set text = dbt.type_string() -%}
{%- set parts = [] -%}
{%- for rule in rules -%}
  {%- for kind, spec in rule.items() -%}
    {%- if kind == 'not_null' -%}
      {%- set empty -%}
        concat_ws(', '{% for column in spec %}, case when {{ column }} is null then '{{ column }}' end{% endfor %})
      {%- endset -%}
      {%- do parts.append("select 'not_null' as rule, detail from (select " ~ empty ~ " as detail from " ~ model ~ ") as n where detail <> ''") -%}
    {%- elif kind == 'unique' and spec is string -%}
      {%- do parts.append("select 'unique(" ~ spec | replace("'", "''") ~ ")' as rule, cast(" ~ spec ~ " as " ~ text ~ ") as detail from " ~ model ~ " where " ~ spec ~ " is not null group by " ~ spec ~ " having count(*) > 1") -%}
    {%- elif kind == 'unique' -%}
      {%- set detail -%}
        concat_ws('|'{% for column in spec %}, cast({{ column }} as {{ text }}){% endfor %})
      {%- endset -%}
      {%- do parts.append("select 'unique(" ~ spec | join(', ') ~ ")' as rule, " ~ detail ~ " as detail from " ~ model ~ " group by " ~ spec | join(', ') ~ " having count(*) > 1") -%}
    {%- elif kind == 'accepted_values' and spec.get('code_list') -%}
      {%- set listed = "select code from " ~ ref('code_lists') ~ " where list_name = '" ~ spec['code_list'] ~ "'" -%}
      {%- do parts.append("select 'accepted_values(" ~ spec['column'] ~ ")' as rule, cast(" ~ spec['column'] ~ " as " ~ text ~ ") as detail from " ~ model ~ " where " ~ spec['column'] ~ " not in (" ~ listed ~ ") group by " ~ spec['column']) -%}
    {%- elif kind == 'accepted_values' -%}
      {%- set listed -%}
        {% for value in spec['values'] %}'{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}{% endfor %}
      {%- endset -%}
      {%- do parts.append("select 'accepted_values(" ~ spec['column'] ~ ")' as rule, cast(" ~ spec['column'] ~ " as " ~ text ~ ") as detail from " ~ model ~ " where " ~ spec['column'] ~ " not in (" ~ listed ~ ") group by " ~ spec['column']) -%}
    {%- elif kind == 'between' -%}
      {%- do parts.append("select 'between(" ~ spec['column'] ~ ")' as rule, cast(" ~ spec['column'] ~ " as " ~ text ~ ") as detail from " ~ model ~ " where " ~ spec['column'] ~ " < " ~ spec['min'] ~ " or " ~ spec['column'] ~ " > " ~ spec['max']) -%}
    {%- elif kind == 'not_greater_than' -%}
      {%- do parts.append("select 'not_greater_than(" ~ spec['column'] ~ ", " ~ spec['other'] ~ ")' as rule, cast(" ~ spec['column'] ~ " as " ~ text ~ ") as detail from " ~ model ~ " where " ~ spec['column'] ~ " > " ~ spec['other']) -%}
    {%- elif kind == 'expression' -%}
      {%- do parts.append("select 'expression(" ~ spec | replace("'", "''") ~ ")' as rule, cast(null as " ~ text ~ ") as detail from " ~ model ~ " where not (" ~ spec ~ ")") -%}
    {%- else -%}
      {{ exceptions.raise_compiler_error("model_rules: unknown rule '" ~ kind ~ "' (expected not_null, unique, accepted_values, between, not_greater_than or expression)") }}
    {%- endif -%}
  {%- endfor -%}
{%- endfor %}
{{ parts | join('\nunion all\n') }}
{% endtest %}
