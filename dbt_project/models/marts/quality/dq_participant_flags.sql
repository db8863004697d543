{{ config(schema='intermediate', row_diff=true) }}
-- Data-quality rules of each staged participant, one row per participant: for every rule R,
-- `R_applies` (the rule concerns this record) and `R_failed` (it breaks the rule). The month is
-- the participant's first entry (else the month of the last CRM change), so an antenna sees its
-- defects next to the entries of that month. Read by dq_record_rules; same rules as the gate
-- (expectations/suites/staging.yml), counted here instead of sampled.
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
    -- completeness
    true as sex_filled_applies,
    p.sex is null as sex_filled_failed,
    true as birth_date_filled_applies,
    p.birth_date is null as birth_date_filled_failed,
    true as nationality_filled_applies,
    p.nationality is null as nationality_filled_failed,
    true as protection_status_filled_applies,
    p.protection_status is null as protection_status_filled_failed,
    true as french_level_filled_applies,
    p.french_level is null as french_level_filled_failed,
    true as education_level_filled_applies,
    p.education_level is null as education_level_filled_failed,
    -- validity
    true as descriptors_in_list_applies,
    (p.nulled_list like '%,sex,%' or p.nulled_list like '%,nationality,%'
     or p.nulled_list like '%,protection_status,%' or p.nulled_list like '%,french_level,%'
     or p.nulled_list like '%,education_level,%' or p.nulled_list like '%,referrer,%')
        as descriptors_in_list_failed,
    true as optional_values_readable_applies,
    (p.nulled_list like '%,birth_date,%' or p.nulled_list like '%,protection_date,%'
     or p.nulled_list like '%,arrival_date,%' or p.nulled_list like '%,qpv,%'
     or p.nulled_list like '%,rqth,%')
        as optional_values_readable_failed
from participants as p
left join entries as e on e.participant_key = p.participant_key
