{#- The measures of the indicators, each defined once (docs/indicators.md#7-the-catalogue).

    A measure is a number per (scope, period, disaggregation) that indicators are computed from.
    The catalogue (seeds/indicator_catalogue.csv) says which measures each indicator reads:
    `measure` (the value of a count, sum or median), or `numerator` and `denominator` (a rate),
    with an optional `numerator_filter` (`field = value`) that keeps only the numerator's records
    with that value. int_indicator_monthly, int_indicator_period_measures and
    int_indicator_period_values generate their columns and rows from the lists below and the
    catalogue, so an indicator of an existing shape is a catalogue row only, and a new measure
    one entry here. -#}

{#- The records the additive measures count, each dated in its own month: the source CTE of
    int_indicator_monthly (`enrolments`, one row per counted enrolment) filtered by `where`, in
    the month column `month`. `hours` is read from int_activity_hours on the 'total' rows. -#}
{% macro indicator_record_events() -%}
  {{ return({
    'entries': {'month': 'start_month', 'where': none},
    'exits': {'month': 'end_month', 'where': 'is_ended'},
    'six_months': {'month': 'm6_month', 'where': 'is_in_6m_cohort'},
    'hours': {'month': 'month_start', 'where': none},
  }) }}
{%- endmacro %}

{#- The additive measures: summed per month, then per scope and period. `counts`: the condition
    a record of the event must meet to count (none: every record); `sums`: the column summed
    instead of counting (a double precision measure). -#}
{% macro indicator_base_measures() -%}
  {{ return([
    {'name': 'ent', 'event': 'entries', 'counts': none},
    {'name': 'sor', 'event': 'exits', 'counts': none},
    {'name': 'exit_den', 'event': 'exits', 'counts': 'is_in_exit_rates'},
    {'name': 'sd_num', 'event': 'exits', 'counts': 'is_in_exit_rates and is_exit_dynamic'},
    {'name': 'ed_num', 'event': 'exits', 'counts': 'is_in_exit_rates and is_exit_durable'},
    {'name': 'emp_num', 'event': 'exits', 'counts': 'is_in_exit_rates and is_exit_employment'},
    {'name': 'sp_num', 'event': 'exits', 'counts': 'is_in_exit_rates and is_exit_positive'},
    {'name': 'c6_den', 'event': 'six_months', 'counts': none},
    {'name': 'sd6_num', 'event': 'six_months', 'counts': 'is_dynamic_6m'},
    {'name': 'suivi6_num', 'event': 'six_months', 'counts': 'is_known_6m'},
    {'name': 'hrs_minutes', 'event': 'hours', 'sums': 'counted_minutes',
     'value': 'hrs_minutes / 60.0', 'total_only': true},
  ]) }}
{%- endmacro %}

{#- The measures that are not additive over months, computed per period by their own model:
    the value column, the population column, and the rows of the model that carry the measure. -#}
{% macro indicator_model_measures() -%}
  {{ return({
    'act': {'model': 'int_active_enrolments', 'value': 'act', 'population': 'act',
            'where': none, 'total_only': false},
    'ent_p': {'model': 'int_distinct_counts', 'value': 'distinct_count',
              'population': 'distinct_count', 'where': "indicator_code = 'ENT_P'",
              'total_only': true},
    'emp_eng': {'model': 'int_distinct_counts', 'value': 'distinct_count',
                'population': 'distinct_count', 'where': "indicator_code = 'EMP_ENG'",
                'total_only': true},
    'delai_emploi': {'model': 'int_employment_delays', 'value': 'median_days',
                     'population': 'population', 'where': none, 'total_only': false},
  }) }}
{%- endmacro %}

{#- The fields a `numerator_filter` may test: a record's exit reason, or one of its
    disaggregations (docs/indicators.md#8-disaggregations), by name. -#}
{% macro indicator_filter_fields() -%}
  {%- set fields = {'exit_reason': 'exit_reason'} -%}
  {%- for dim in sea_dimensions() -%}{%- do fields.update({dim: 'dim_' ~ dim}) -%}{%- endfor -%}
  {{ return(fields) }}
{%- endmacro %}

{#- The catalogue's rows, read from the seed when dbt executes (an empty list while it parses):
    the models' column lists depend on them. The seed is found through the graph, not `ref`,
    so that a unit test (where `ref` names a fixture) still reads the seed's table; models
    calling this declare `-- depends_on: ref('indicator_catalogue')` so the seed is built first. -#}
{% macro indicator_catalogue_rows() -%}
  {%- if not execute -%}{{ return([]) }}{%- endif -%}
  {%- set nodes = graph.get('nodes', {}) -%}
  {%- set node = nodes.get('seed.' ~ project_name ~ '.indicator_catalogue') -%}
  {%- if node -%}
    {%- set relation = adapter.get_relation(database=node.database, schema=node.schema,
                                             identifier=node.alias) -%}
  {%- else -%}
    {#- A unit test compiles without the graph: the seeds' schema of dbt_project.yml. -#}
    {%- set relation = adapter.get_relation(database=target.database, schema='reference',
                                             identifier='indicator_catalogue') -%}
  {%- endif -%}
  {%- if relation is none -%}
    {{ exceptions.raise_compiler_error(
         "the seed indicator_catalogue is not in the warehouse: run `dbt seed` (or `dbt build`) first") }}
  {%- endif -%}
  {%- set result = run_query(
        'select indicator_code, indicator_type, measure, numerator, numerator_filter, denominator'
        ~ ' from ' ~ relation ~ ' order by display_order, indicator_code') -%}
  {%- set rows = [] -%}
  {%- for r in result.rows -%}
    {%- set row = {} -%}
    {%- for name in ['indicator_code', 'indicator_type', 'measure', 'numerator',
                     'numerator_filter', 'denominator'] -%}
      {%- set v = r[name] -%}
      {%- do row.update({name: (v | trim) if v is not none and (v | trim) != '' else none}) -%}
    {%- endfor -%}
    {%- do rows.append(row) -%}
  {%- endfor -%}
  {{ return(rows) }}
{%- endmacro %}

{#- `field = value` of a catalogue `numerator_filter` as a SQL condition on the records of
    int_indicator_monthly's `enrolments` CTE (a null field never matches). -#}
{% macro indicator_filter_condition(code, filter) -%}
  {%- set parts = filter.split('=', 1) -%}
  {%- set fields = indicator_filter_fields() -%}
  {%- set field = parts[0] | trim -%}
  {%- if parts | length != 2 or field not in fields or (parts[1] | trim) == '' -%}
    {{ exceptions.raise_compiler_error(
         "indicator " ~ code ~ ": numerator_filter '" ~ filter ~ "' is not `field = value` with field one of "
         ~ (fields.keys() | list | join(', '))) }}
  {%- endif -%}
  {{ return(fields[field] ~ " = '" ~ (parts[1] | trim | replace("'", "''")) ~ "'") }}
{%- endmacro %}

{#- The additive measures the models carry, in column order: each base measure followed by the
    measures the catalogue derives from it with a `numerator_filter` (named
    `<indicator code>_num`, counted on the same records with the filter's condition added). -#}
{% macro indicator_additive_measures() -%}
  {%- set base = indicator_base_measures() -%}
  {%- set names = base | map(attribute='name') | list -%}
  {%- set measures = [] -%}
  {%- set catalogue = indicator_catalogue_rows() -%}
  {%- for m in base -%}
    {%- do measures.append(m) -%}
    {%- for c in catalogue if c.numerator_filter and c.numerator == m.name -%}
      {%- if m.event == 'hours' -%}
        {{ exceptions.raise_compiler_error("indicator " ~ c.indicator_code ~ ": the hours cannot be filtered") }}
      {%- endif -%}
      {%- set condition = indicator_filter_condition(c.indicator_code, c.numerator_filter) -%}
      {%- set name = (c.indicator_code | lower) ~ '_num' -%}
      {%- if name in names -%}
        {{ exceptions.raise_compiler_error("indicator " ~ c.indicator_code ~ ": measure " ~ name ~ " already exists") }}
      {%- endif -%}
      {%- do names.append(name) -%}
      {%- do measures.append({
            'name': name, 'event': m.event,
            'counts': condition if m.counts is none else '(' ~ m.counts ~ ') and ' ~ condition}) -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(measures) }}
{%- endmacro %}

{#- What each catalogue indicator reads, checked against the measures above: a list of
    {code, kind ('additive' or 'model'), measure / numerator / denominator names}. An unknown
    measure name, or a rate without both sides, stops the build naming the indicator. -#}
{% macro indicator_sources() -%}
  {%- set additive = {} -%}
  {%- for m in indicator_additive_measures() -%}{%- do additive.update({m.name: m}) -%}{%- endfor -%}
  {%- set model_measures = indicator_model_measures() -%}
  {%- set sources = [] -%}
  {%- for c in indicator_catalogue_rows() -%}
    {%- if c.indicator_type == 'rate' -%}
      {%- set num = ((c.indicator_code | lower) ~ '_num') if c.numerator_filter else c.numerator -%}
      {%- if num not in additive or c.denominator not in additive -%}
        {{ exceptions.raise_compiler_error(
             "indicator " ~ c.indicator_code ~ ": a rate needs numerator and denominator among the additive measures "
             ~ (additive.keys() | list | join(', ')) ~ " (dbt_project/macros/indicator_measures.sql)") }}
      {%- endif -%}
      {%- do sources.append({'code': c.indicator_code, 'kind': 'rate', 'numerator': num,
                             'denominator': c.denominator}) -%}
    {%- elif c.measure in additive -%}
      {%- do sources.append({'code': c.indicator_code, 'kind': 'additive', 'measure': additive[c.measure]}) -%}
    {%- elif c.measure in model_measures -%}
      {%- do sources.append({'code': c.indicator_code, 'kind': 'model', 'measure': model_measures[c.measure]}) -%}
    {%- else -%}
      {{ exceptions.raise_compiler_error(
           "indicator " ~ c.indicator_code ~ ": measure '" ~ c.measure ~ "' is not defined in dbt_project/macros/indicator_measures.sql") }}
    {%- endif -%}
  {%- endfor -%}
  {{ return(sources) }}
{%- endmacro %}
