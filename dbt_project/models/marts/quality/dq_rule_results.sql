-- Data-quality scorecard, detail: for each antenna, month, table and rule, how many records the
-- rule applies to and how many break it. Staff read it to see what to fix where; the summary per
-- antenna and month is data_quality_scorecard.
-- Counted straight from the dq_*_flags tables, each read once for all its rules (the per-activity
-- one holds millions of rows), rather than from the long form dq_record_rules: same counts.
{%- set rules = dq_rules() %}
with
{%- for model in dq_flag_models() %}
{{ model }}_counts as (
    select
        antenna,
        month_start,
        {%- for rule in rules if rule[0] == model %}
        count(*) filter (where {{ rule[3] }}_applies) as {{ rule[3] }}__checked,
        count(*) filter (where {{ rule[3] }}_applies and {{ rule[3] }}_failed)
            as {{ rule[3] }}__failed{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(model) }}
    group by antenna, month_start
),
{%- endfor %}

per_rule as (
    {%- for model, table_name, dimension, rule, label, gate in rules %}
    select
        antenna,
        month_start,
        {{ dq_rule_columns(table_name, dimension, rule, label, gate) }},
        {{ rule }}__checked as records_checked,
        {{ rule }}__failed as records_failed
    from {{ model }}_counts
    where {{ rule }}__checked > 0
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
)

select
    antenna,
    month_start,
    table_name,
    dimension,
    rule,
    rule_label_fr,
    gate_check,
    cast(records_checked as bigint) as records_checked,
    cast(records_failed as bigint) as records_failed,
    1.0 - cast(records_failed as double precision) / records_checked as pass_rate,
    {{ as_of_date() }} as as_of
from per_rule
