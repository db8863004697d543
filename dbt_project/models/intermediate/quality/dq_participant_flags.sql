{{ config(row_diff=true) }}
-- Data-quality rules of each staged participant, one row per participant: for every rule R,
-- `R_applies` (the rule concerns this record) and `R_failed` (it breaks the rule). The month is
-- the participant's first entry (else the month of the last CRM change), so an antenna sees its
-- defects next to the entries of that month. Read by dq_record_rules; the one place these rules
-- are computed: the gate's checks of stg_crm__participants read the verdicts.
with entries as (
    select participant_key, min(start_date) as first_start_date,
           min(enrolment_id) as enrolment_id
    from {{ ref('stg_crm__enrolments') }}
    group by participant_key
),

participants as (
    select p.*, ',' || coalesce(p.nulled_fields, '') || ',' as nulled_list
    from {{ ref('stg_crm__participants') }} as p
)

select
    p.participant_key as record_id,
    e.enrolment_id as related_enrolment_id,
    coalesce(p.antenna, 'SANS_ANTENNE') as antenna,
    cast(date_trunc('month', coalesce(e.first_start_date, cast(p.updated_at as date))) as date)
        as month_start,
    -- completeness: the key descriptors (the collecteur's disaggregations) are filled
    {%- for field in ['sex', 'birth_date', 'nationality', 'protection_status', 'french_level',
                      'education_level'] %}
    true as {{ field }}_filled_applies,
    p.{{ field }} is null as {{ field }}_filled_failed,
    {%- endfor %}
    -- validity: nothing the CRM filled was nulled by staging
    true as descriptors_in_list_applies,
    {{ dq_nulled_any('p.nulled_list', ['sex', 'nationality', 'protection_status', 'french_level',
                                       'education_level', 'referrer']) }}
        as descriptors_in_list_failed,
    true as optional_values_readable_applies,
    {{ dq_nulled_any('p.nulled_list', ['birth_date', 'protection_date', 'arrival_date', 'qpv',
                                       'rqth']) }}
        as optional_values_readable_failed
from participants as p
left join entries as e on e.participant_key = p.participant_key
