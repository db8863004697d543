{{ config(row_diff=true) }}
-- Data-quality rules of each staged CRM situation (employment, training, business creation),
-- one row per situation: `R_applies` / `R_failed` for every rule R, plus the recording delay.
-- The antenna is the enrolment's named on the situation, else the participant's. The one place
-- these rules are computed: the gate's checks of stg_crm__situations read the verdicts.
with situations as (
    select * from {{ ref('stg_crm__situations') }}
),

participants as (
    select participant_key, antenna from {{ ref('stg_crm__participants') }}
),

enrolments as (
    select enrolment_id, participant_key, antenna from {{ ref('stg_crm__enrolments') }}
)

select
    s.situation_id as record_id,
    coalesce(e.enrolment_id, s.enrolment_id) as related_enrolment_id,
    coalesce(e.antenna, p.antenna, 'SANS_ANTENNE') as antenna,
    cast(date_trunc('month', s.start_date) as date) as month_start,
    s.start_date as event_date,
    {{ dq_recording_delay('s.start_date', 's.first_updated_at') }} as recorded_delay_days,
    -- completeness
    coalesce(s.kind = 'employment', false) as employment_has_contract_applies,
    coalesce(s.kind = 'employment' and s.contract is null, false)
        as employment_has_contract_failed,
    coalesce(s.kind = 'training', false) as training_has_type_applies,
    coalesce(s.kind = 'training' and s.training_type is null, false) as training_has_type_failed,
    coalesce(s.contract in ('CDD', 'INTERIM', 'ALTERNANCE'), false)
        as fixed_term_has_end_date_applies,
    coalesce(s.contract in ('CDD', 'INTERIM', 'ALTERNANCE') and s.end_date is null, false)
        as fixed_term_has_end_date_failed,
    -- validity
    {{ dq_not_after_as_of('start_not_after_as_of', 's.start_date') }},
    -- consistency
    {{ dq_end_not_before_start('s.start_date', 's.end_date') }},
    {{ dq_participant_exists('p.participant_key') }},
    s.enrolment_id is not null as enrolment_id_fits_applies,
    s.enrolment_id is not null and (e.enrolment_id is null or e.participant_key <> s.participant_key
                                    or s.participant_key is null)
        as enrolment_id_fits_failed,
    -- timeliness
    {{ dq_recorded_in_time('s.start_date', 's.first_updated_at') }}
from situations as s
left join participants as p on p.participant_key = s.participant_key
left join enrolments as e on e.enrolment_id = s.enrolment_id
