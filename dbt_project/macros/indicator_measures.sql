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
        'select indicator_code, indicator_type, measure, numerator, numerator_filter, denominator,'
        ~ ' disaggregated from ' ~ relation ~ ' order by display_order, indicator_code') -%}
  {%- set rows = [] -%}
  {%- for r in result.rows -%}
    {%- set row = {} -%}
    {%- for name in ['indicator_code', 'indicator_type', 'measure', 'numerator',
                     'numerator_filter', 'denominator'] -%}
      {%- set v = r[name] -%}
      {%- do row.update({name: (v | trim) if v is not none and (v | trim) != '' else none}) -%}
    {%- endfor -%}
    {%- do row.update({'disaggregated': r['disaggregated'] in [true, 'true', 'True', 1]}) -%}
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
    measure name, or a rate without both sides, stops the build naming the indicator. The
    spreadsheet indicators (indicator_association_sources) and the costs (type `ratio`,
    int_indicator_costs) are computed apart and left out. -#}
{% macro indicator_sources() -%}
  {%- set association = indicator_association_sources() | map(attribute='code') | list -%}
  {%- set additive = {} -%}
  {%- for m in indicator_additive_measures() -%}{%- do additive.update({m.name: m}) -%}{%- endfor -%}
  {%- set model_measures = indicator_model_measures() -%}
  {%- set sources = [] -%}
  {%- for c in indicator_catalogue_rows() if c.indicator_code not in association
                                             and c.indicator_type != 'ratio' -%}
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

{#- The measures of the whole association's indicators (docs/indicators.md#11-the-whole-associations-indicators),
    read from the spreadsheets rather than from enrolments: int_indicator_association_records
    turns each catalogue row that names them into dated, scoped records, int_indicator_association
    computes them per scope and period. Each measure says:
    - `source`: the staged spreadsheet; `where`: which of its rows are the indicator's records
      (their scopes are the indicator's scopes, whatever their dates);
    - `from` / `to`: the record's dates. A record counts in every period its `[from, to]`
      intersects (`to` absent: the single day `from`; `to` = 'open': from `from` on, i.e.
      `from <= P.end`); with `contained`, only in the periods that contain the whole interval
      (a budget line: a yearly line in its year, in no quarter);
    - `programme` / `antenna`: the columns carrying the scope (none: `ALL` only). A programme
      covers its descendants (int_programme_ancestry); `ALL` (typed TOUS / TOUTES) counts only in
      the `ALL` scope of its dimension. `antenna_rollup: false`: no `ALL` antenna row;
    - `dimension`: {name: column} of the disaggregation, for catalogue rows flagged
      `disaggregated`; `split_where`: the rows allowed in it (sensitive reports are not);
    - what is computed over a period's records: `counts` (a condition, none: every record),
      `sums` (a column; null adds nothing), `distinct` (distinct values of a column among the
      rows meeting `counts`) or `max` (the largest value of an expression among those rows, 0
      with none). A rate names two measures of the same source and dates. -#}
{% macro indicator_association_measures() -%}
  {%- set communication = {'source': 'stg_sheets__communication', 'from': 'action_date',
                           'programme': none, 'antenna': 'antenna'} -%}
  {%- set retours = {'source': 'stg_sheets__retours', 'from': 'received_date',
                     'programme': 'programme', 'antenna': 'antenna',
                     'dimension': {'type': 'feedback_type'}, 'split_where': 'not is_sensitive'} -%}
  {%- set grievance = "feedback_type in ('plainte', 'signalement')" -%}
  {%- set satisfaction = {'source': 'stg_sheets__satisfaction', 'from': 'answer_date',
                          'programme': 'programme', 'antenna': 'antenna',
                          'dimension': {'moment': 'moment'}} -%}
  {%- set jalons = {'source': 'stg_sheets__jalons', 'from': 'planned_date',
                    'programme': none, 'antenna': 'territory', 'dimension': {'axe': 'axis'}} -%}
  {%- set essaimage = {'source': 'stg_sheets__jalons', 'from': 'achieved_date', 'to': 'open',
                       'where': "axis = 'ESSAIMAGE'"} -%}
  {%- set reached = "status = 'atteint' and achieved_date is not null" -%}
  {%- set budget = {'source': 'stg_sheets__budget', 'from': indicator_budget_line_start(),
                    'to': indicator_budget_line_end(), 'contained': true,
                    'programme': 'programme', 'antenna': 'antenna', 'dimension': {'axe': 'axis'}} -%}
  {%- set measures = {
    'com_act': dict(communication, to='end_date'),
    'com_pers': dict(communication, sums='people_reached'),
    'com_ent': dict(communication, sums='companies_reached'),
    'ret_recus': dict(retours),
    'ret_grievances': dict(retours, counts=grievance),
    'ret_answered_30d': dict(retours, counts=grievance ~ ' and answered_date <= received_date + 30'),
    'sat_answers': dict(satisfaction),
    'sat_satisfied': dict(satisfaction, counts='overall_score >= 4'),
    'reco_answered': dict(satisfaction, counts='recommends is not null'),
    'reco_yes': dict(satisfaction, counts='recommends'),
    'jal_due': dict(jalons, counts="status <> 'abandonne'"),
    'jal_on_time': dict(jalons, counts="status = 'atteint' and achieved_date <= planned_date"),
    'ess_stage': dict(essaimage, programme=none, antenna='territory', antenna_rollup=false,
                      counts=reached ~ ' and stage is not null', max=indicator_stage_rank('stage')),
    'ess_open': dict(essaimage, programme=none, antenna=none,
                     counts=reached ~ " and stage = 'ouverture'", distinct='territory'),
    'bud_spent': dict(budget, sums='spent_eur'),
    'bud_budget': dict(budget, sums='budget_eur'),
  } -%}
  {{ return(measures) }}
{%- endmacro %}

{#- The rank 1–7 of an essaimage stage, in the order a new territory goes through them. -#}
{% macro indicator_stage_rank(column) -%}
  {%- set stages = ['etude', 'partenariats', 'financement', 'recrutement', 'ouverture',
                    'premiers_participants', 'autonomie'] -%}
  case {{ column }}
  {%- for s in stages %} when '{{ s }}' then {{ loop.index }}{% endfor %} end
{%- endmacro %}

{#- The catalogue rows computed from the spreadsheets, with the measures they read: a list of
    {code, aggregate ('rate', 'count', 'sum', 'distinct', 'max'), disaggregated, spec (the
    records' source, dates and scope), numerator, denominator (rates) or measure}. A rate's two
    measures must share their source, dates and scope. -#}
{% macro indicator_association_sources() -%}
  {%- set measures = indicator_association_measures() -%}
  {%- set sources = [] -%}
  {%- for c in indicator_catalogue_rows() -%}
    {%- if c.indicator_type == 'rate' and c.numerator in measures and c.denominator in measures -%}
      {%- set num = measures[c.numerator] -%}
      {%- set den = measures[c.denominator] -%}
      {%- for key in ['source', 'from', 'to', 'where', 'programme', 'antenna', 'dimension'] -%}
        {%- if num.get(key) != den.get(key) -%}
          {{ exceptions.raise_compiler_error("indicator " ~ c.indicator_code ~ ": numerator and denominator differ in " ~ key) }}
        {%- endif -%}
      {%- endfor -%}
      {%- do sources.append({'code': c.indicator_code, 'aggregate': 'rate', 'spec': den,
                             'numerator': num, 'denominator': den,
                             'disaggregated': c.disaggregated}) -%}
    {%- elif c.indicator_type == 'rate' and (c.numerator in measures or c.denominator in measures) -%}
      {{ exceptions.raise_compiler_error("indicator " ~ c.indicator_code ~ ": a spreadsheet rate needs both sides among the spreadsheet measures") }}
    {%- elif c.measure in measures -%}
      {%- set m = measures[c.measure] -%}
      {%- set aggregate = 'sum' if m.sums else 'distinct' if m.distinct else 'max' if m.max else 'count' -%}
      {%- do sources.append({'code': c.indicator_code, 'aggregate': aggregate, 'spec': m,
                             'measure': m, 'disaggregated': c.disaggregated}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(sources) }}
{%- endmacro %}

{#- What one record of `m` contributes, as `kind`: the `amount` counted or summed, the `member`
    of a distinct count, the `rank` of a maximum (null: nothing). -#}
{% macro indicator_association_contribution(m, kind) -%}
  {%- set cond = m.counts if m.counts else 'true' -%}
  {%- if kind == 'amount' -%}
    {%- if m.sums -%}case when {{ cond }} then cast({{ m.sums }} as double precision) end
    {%- elif m.distinct or m.max -%}cast(null as double precision)
    {%- else -%}cast(case when {{ cond }} then 1 else 0 end as double precision)
    {%- endif -%}
  {%- elif kind == 'member' -%}
    {%- if m.distinct -%}case when {{ cond }} then cast({{ m.distinct }} as varchar) end
    {%- else -%}cast(null as varchar){%- endif -%}
  {%- elif kind == 'rank' -%}
    {%- if m.max -%}case when {{ cond }} then {{ m.max }} end
    {%- else -%}cast(null as integer){%- endif -%}
  {%- endif -%}
{%- endmacro %}
{#- The records of one spreadsheet indicator `s` (indicator_association_sources), as the select
    of int_indicator_association_records: its total rows, or its rows under `dimension`. -#}
{% macro indicator_association_record_select(s, dimension=none, column=none) -%}
  {%- set m = s.spec %}
    select
        '{{ s.code }}' as indicator_code,
        '{{ s.aggregate }}' as aggregate,
        {{ ("coalesce(upper(trim(" ~ m.programme ~ ")), 'ALL')") if m.programme else "'ALL'" }} as programme,
        {{ ("coalesce(upper(trim(" ~ m.antenna ~ ")), 'ALL')") if m.antenna else "'ALL'" }} as antenna,
        {{ 'false' if m.antenna_rollup is false else 'true' }} as antenna_rollup,
        {{ 'true' if m.contained else 'false' }} as is_contained,
        cast({{ m['from'] }} as date) as date_from,
        {%- if m.to == 'open' %}
        case when {{ m['from'] }} is not null then cast('9999-12-31' as date) end as date_to,
        {%- elif m.to %}
        cast(coalesce({{ m.to }}, {{ m['from'] }}) as date) as date_to,
        {%- else %}
        cast({{ m['from'] }} as date) as date_to,
        {%- endif %}
        {%- if dimension %}
        '{{ dimension }}' as dimension,
        coalesce(cast({{ column }} as varchar), 'unknown') as dimension_value,
        {%- else %}
        'total' as dimension,
        'total' as dimension_value,
        {%- endif %}
        {%- if s.aggregate == 'rate' %}
        {{ indicator_association_contribution(s.numerator, 'amount') }} as numerator,
        {{ indicator_association_contribution(s.denominator, 'amount') }} as denominator,
        {%- else %}
        cast(null as double precision) as numerator,
        cast(null as double precision) as denominator,
        {%- endif %}
        {{ indicator_association_contribution(s.measure, 'amount') if s.measure else 'cast(null as double precision)' }} as amount,
        {{ indicator_association_contribution(s.measure, 'member') if s.measure else 'cast(null as varchar)' }} as member,
        {{ indicator_association_contribution(s.measure, 'rank') if s.measure else 'cast(null as integer)' }} as stage_rank
    from {{ ref(m.source) }}
    where {{ m.where if m.where else 'true' }}
    {%- if dimension and m.split_where %}
      and {{ m.split_where }}
    {%- endif %}
{%- endmacro %}


{#- A budget line's period: its quarter, or its whole year when `trimestre` is blank. With
    `contained`, a yearly line counts in its year (and the cumulative period when it holds the
    whole year), never in a quarter or a month. -#}
{% macro indicator_budget_line_start() -%}
  make_date(budget_year, coalesce(3 * budget_quarter - 2, 1), 1)
{%- endmacro %}

{% macro indicator_budget_line_end() -%}
  case when budget_quarter is null then make_date(budget_year, 12, 31)
       else {{ add_months('make_date(budget_year, 3 * budget_quarter - 2, 1)', 3) }} - 1 end
{%- endmacro %}

{#- The costs (ratios in euros, lower is better; docs/indicators.md#12-costs): the spending of
    the accompaniment axes' budget lines over a population of the CRM, per scope and period,
    computed by int_indicator_costs. A catalogue row of type `ratio` names a `numerator` and a
    `denominator` among these sides; the value is null when either is 0. -#}
{% macro indicator_cost_sides() -%}
  {{ return({
    'cost_spending': 'Σ depense_eur of the budget lines of axes AVEC and SOCLE contained in the period',
    'active_persons': 'distinct participants with an enrolment active in the period (as ACT)',
    'sd_num': "the numerator of SD_SORTIE (int_indicator_period_measures)",
  }) }}
{%- endmacro %}
