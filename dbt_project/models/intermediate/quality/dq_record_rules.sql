{{ config(materialized='sea_view') }}
-- Every (record, rule) pair a rule applies to, with whether the record breaks it: the long form
-- of the four dq_*_flags tables. Each rule is named, labelled in French, put in a dimension and
-- linked to the gate check it mirrors once, in macros/dq_rules.sql.
-- A view: dq_rule_results aggregates it, dq_issues keeps its failures.
{% for model, table_name, dimension, rule, label, gate in dq_rules() %}
select
    {{ dq_rule_columns(table_name, dimension, rule, label, gate) }},
    cast(record_id as varchar) as record_id,
    cast(related_enrolment_id as varchar) as related_enrolment_id,
    antenna,
    month_start,
    {{ rule }}_failed as failed
from {{ ref(model) }}
where {{ rule }}_applies
{% if not loop.last %}union all{% endif %}
{% endfor %}
