{#- Generic data tests of the indicator models (no dbt packages: written here). Each returns the
    offending rows; none means the test passes. -#}

{#- No two rows share the same values of these columns. -#}
{% test unique_combination(model, combination_of_columns) %}
select {{ combination_of_columns | join(', ') }}, count(*) as occurrences
from {{ model }}
group by {{ combination_of_columns | join(', ') }}
having count(*) > 1
{% endtest %}

{#- The column never exceeds another column of the same row (e.g. numerator <= denominator). -#}
{% test not_greater_than(model, column_name, other_column) %}
select *
from {{ model }}
where {{ column_name }} > {{ other_column }}
{% endtest %}

{#- The column lies in [min_value, max_value] when not null (e.g. a rate in [0, 1]). -#}
{% test value_between(model, column_name, min_value, max_value) %}
select *
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}

{#- A boolean expression holds on every row. -#}
{% test expression_true(model, expression) %}
select *
from {{ model }}
where not ({{ expression }})
{% endtest %}

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
