{#- Helpers of the learning models (evaluation plan, learning log, recommendations, action plan).
    Portable SQL: the same text runs on DuckDB and PostgreSQL. -#}

{#- A derived table of the whole numbers 1..max_n, column `n`: used to explode list cells
    (`a,b,c`, one question per line) into rows with split_part, which both engines have. -#}
{% macro ordinals(max_n) -%}
  (select n from (values
    {%- for i in range(1, max_n + 1) %}({{ i }}){% if not loop.last %}, {% endif %}{% endfor -%}
  ) as ordinals_(n))
{%- endmacro %}

{#- How many items a `separator`-separated cell holds (0 for null or blank). `separator` is a SQL
    expression of one character, e.g. `','` or `chr(10)`. -#}
{% macro list_length(expr, separator) -%}
  case when nullif(trim({{ expr }}), '') is null then 0
       else length({{ expr }}) - length(replace({{ expr }}, {{ separator }}, '')) + 1 end
{%- endmacro %}

{#- Rows (key columns, item_position, item) of a list cell, blanks dropped. `relation` is a CTE
    or table name, `keys` a list of its columns. Items beyond `max_items` are ignored (the .yml
    documents the limit). -#}
{% macro list_items(relation, keys, list_column, separator="','", max_items=40) -%}
  select
    {%- for key in keys %}
    l.{{ key }},
    {%- endfor %}
    o.n as item_position,
    trim(split_part(l.{{ list_column }}, {{ separator }}, o.n)) as item
  from {{ relation }} as l
  inner join {{ ordinals(max_items) }} as o
    on o.n <= {{ list_length('l.' ~ list_column, separator) }}
  where trim(split_part(l.{{ list_column }}, {{ separator }}, o.n)) <> ''
{%- endmacro %}

{#- Free text that reaches the marts: e-mail addresses and French phone numbers are masked, as a
    safety net — lesson texts are about the programmes and must never identify a person. -#}
{% macro mask_contact_details(expr) -%}
  regexp_replace(
    regexp_replace({{ expr }}, '[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}', '[coordonnées masquées]', 'g'),
    '(\+33 ?|0)[1-9]([ .-]?[0-9]{2}){4}', '[coordonnées masquées]', 'g')
{%- endmacro %}

{#- The kept row of each id (spreadsheets.md § loading): the most recently modified file wins,
    then the last row in it; ties broken by file name so every run keeps the same row. -#}
{% macro sheet_id_rank(id_column='id') -%}
  row_number() over (
    partition by {{ id_column }}
    order by file_modified_at desc, source_file desc, source_row desc
  )
{%- endmacro %}

{#- The first day of the quarter of a date, and the quarter's French label « T3 2026 ». -#}
{% macro quarter_label_fr(date_expr) -%}
  concat('T', cast(extract(quarter from {{ date_expr }}) as integer), ' ',
         cast(extract(year from {{ date_expr }}) as integer))
{%- endmacro %}
