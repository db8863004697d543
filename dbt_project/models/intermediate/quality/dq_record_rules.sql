{{ config(materialized='sea_view') }}
-- Every (record, rule) pair a rule applies to, with whether the record breaks it: the long form
-- of the four dq_*_flags tables. Each rule is named, labelled in French, put in a dimension and
-- linked to the gate check it mirrors once, in macros/dq_rules.sql.
-- A view: dq_rule_results aggregates it, dq_issues keeps its failures.
{% for model, table_name, dimension, rule, label, gate in dq_rules() %}
select
    '{{ table_name }}' as table_name,
    cast(record_id as varchar) as record_id,
    cast(related_enrolment_id as varchar) as related_enrolment_id,
    antenna,
    month_start,
    '{{ dimension }}' as dimension,
    '{{ rule }}' as rule,
    '{{ label | replace("'", "''") }}' as rule_label_fr,
    {% if gate %}'{{ gate }}'{% else %}cast(null as varchar){% endif %} as gate_check,
    {{ rule }}_failed as failed
from {{ ref(model) }}
where {{ rule }}_applies
{% if not loop.last %}union all{% endif %}
{% endfor %}
