-- The records of the whole association's indicators (docs/indicators.md#11-the-whole-associations-indicators):
-- one row per spreadsheet row an indicator reads, with its scope columns (programme, antenna;
-- `ALL` where the sheet says TOUS / TOUTES or carries no such column), its dates and what it
-- contributes. A disaggregated indicator repeats its records under its dimension (without the rows
-- its measure keeps out of breakdowns: sensitive reports). Generated from the catalogue rows that
-- name the spreadsheet measures of dbt_project/macros/indicator_measures.sql.
-- depends_on: {{ ref('indicator_catalogue') }}
-- The spreadsheets the measures read (their refs are generated, unseen while dbt parses):
-- depends_on: {{ ref('stg_sheets__communication') }}
-- depends_on: {{ ref('stg_sheets__jalons') }}
-- depends_on: {{ ref('stg_sheets__satisfaction') }}
-- depends_on: {{ ref('stg_sheets__retours') }}
-- depends_on: {{ ref('stg_sheets__budget') }}
{%- set sources = indicator_association_sources() %}
{%- set branches = [] %}
{%- for s in sources %}
{%- do branches.append(indicator_association_record_select(s)) %}
{%- if s.disaggregated and s.spec.dimension %}
{%- for name, column in s.spec.dimension.items() %}
{%- do branches.append(indicator_association_record_select(s, name, column)) %}
{%- endfor %}
{%- endif %}
{%- endfor %}
{%- if branches %}
{{ branches | join('\n    union all\n') }}
{%- else %}
select
    cast(null as varchar) as indicator_code, cast(null as varchar) as aggregate,
    cast(null as varchar) as programme, cast(null as varchar) as antenna,
    true as antenna_rollup, false as is_contained,
    cast(null as date) as date_from, cast(null as date) as date_to,
    cast(null as varchar) as dimension, cast(null as varchar) as dimension_value,
    cast(null as double precision) as numerator, cast(null as double precision) as denominator,
    cast(null as double precision) as amount, cast(null as varchar) as member,
    cast(null as integer) as stage_rank
where false
{%- endif %}
