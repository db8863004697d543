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

{#- The kept row of each id (docs/spreadsheets.md#loading-and-what-a-bad-row-gets): the most
    recently modified file wins, then the last row in it; ties broken by file name so every run
    keeps the same row. -#}
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

{#- The French label of a code in one list of the `code_lists` seed (the labels every deliverable
    shows too); a code the seed does not know is shown as typed. -#}
{% macro code_label_fr(expr, list_name) -%}
  coalesce((select cl.label_fr from {{ ref('code_lists') }} as cl
            where cl.list_name = '{{ list_name }}' and cl.code = {{ expr }}), {{ expr }})
{%- endmacro %}

{#- The codes of one list of the `code_lists` seed, for `expr in {{ code_list('…') }}`. -#}
{% macro code_list(list_name) -%}
  (select cl.code from {{ ref('code_lists') }} as cl where cl.list_name = '{{ list_name }}')
{%- endmacro %}

{#- A date as French readers write it, JJ/MM/AAAA (portable: no strftime / to_char). -#}
{% macro date_fr_text(expr) -%}
  concat(lpad(cast(cast(extract(day from {{ expr }}) as integer) as varchar), 2, '0'), '/',
         lpad(cast(cast(extract(month from {{ expr }}) as integer) as varchar), 2, '0'), '/',
         cast(cast(extract(year from {{ expr }}) as integer) as varchar))
{%- endmacro %}

{#- The French label of a programme scope: `ALL` → « Tous programmes » (the seed's label), else
    the programme reference's label, else the code as typed. `reference_label` is the label
    column of `programme_reference` joined by the caller. -#}
{% macro programme_label_fr(expr, reference_label) -%}
  case when {{ expr }} = 'ALL' then {{ code_label_fr("'ALL'", 'programme') }}
       else coalesce({{ reference_label }}, {{ expr }}) end
{%- endmacro %}

{#- The French label of an antenna scope: the seed's (`ALL` → « Toutes antennes »,
    `BORDEAUX` → « Bordeaux »), else the code capitalised (a new antenna typed in a sheet). -#}
{% macro antenna_label_fr(expr) -%}
  coalesce((select cl.label_fr from {{ ref('code_lists') }} as cl
            where cl.list_name = 'antenna' and cl.code = {{ expr }}),
           concat(upper(substr({{ expr }}, 1, 1)), lower(substr({{ expr }}, 2))))
{%- endmacro %}

{#- The order of the DAC criteria, as the OECD lists them. -#}
{% macro criterion_order(expr) -%}
  case {{ expr }} when 'pertinence' then 1 when 'coherence' then 2 when 'efficacite' then 3
       when 'efficience' then 4 when 'impact' then 5 when 'viabilite' then 6 else 9 end
{%- endmacro %}

{#- The status of an action of the plan, from the free text of the sheet (normalised by the
    loader) or, when blank or unknown, from its start and R: never assumed done, so an action
    past its end without a status shows up as late. -#}
{% macro action_status(status, start_date) -%}
  case
    when {{ status }} in ('termine', 'terminee', 'fait', 'faite', 'realise', 'realisee', 'acheve',
                          'achevee', 'fini', 'finie') then 'fait'
    when {{ status }} in ('en_cours', 'commence', 'commencee', 'demarre', 'demarree') then 'en_cours'
    when {{ status }} in ('prevu', 'prevue', 'a_faire', 'a_venir', 'planifie', 'planifiee')
      then 'prevu'
    when {{ status }} in ('abandonne', 'abandonnee', 'annule', 'annulee') then 'abandonne'
    when {{ start_date }} <= {{ as_of_date() }} then 'en_cours'
    else 'prevu'
  end
{%- endmacro %}

{#- Texts of a group joined in a given order (same syntax on both engines). -#}
{% macro sea_string_agg(expr, separator, order_by) -%}
  string_agg({{ expr }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{#- « sept. 2026 »: the short French name of a date's month, then its year. -#}
{% macro month_label_fr(date_expr) -%}
  concat(case cast(extract(month from {{ date_expr }}) as integer)
    {%- for name in ['janv.', 'févr.', 'mars', 'avr.', 'mai', 'juin', 'juil.', 'août', 'sept.',
                     'oct.', 'nov.', 'déc.'] %}
    when {{ loop.index }} then '{{ name }}'
    {%- endfor %}
  end, ' ', cast(cast(extract(year from {{ date_expr }}) as integer) as varchar))
{%- endmacro %}

{#- True when two (programme, antenna) scopes overlap: programmes equal, either ALL, or one
    covering the other (int_programme_ancestry: SOCLE covers SOCLE_FEMMES, transitively); and
    antennas equal or either ALL. -#}
{% macro scopes_compatible(p1, a1, p2, a2) -%}
  (({{ p1 }} = 'ALL' or {{ p2 }} = 'ALL' or {{ p1 }} = {{ p2 }}
    or exists (select 1 from {{ ref('int_programme_ancestry') }} as anc
               where (anc.programme = {{ p1 }} and anc.ancestor_programme = {{ p2 }})
                  or (anc.programme = {{ p2 }} and anc.ancestor_programme = {{ p1 }})))
   and ({{ a1 }} = 'ALL' or {{ a2 }} = 'ALL' or {{ a1 }} = {{ a2 }}))
{%- endmacro %}
