{{ config(unique_key='situation_id', pre_hook="{{ crm_staging_prune('situations', 'situation_id') }}") }}

with latest as (
    {{ latest_crm_version('situations', with_first_version=true) }}
)

select
    latest.id as situation_id,
    ps.participant_key,
    latest.enrolment_id,
    latest.kind,
    latest.contract,
    latest.training_type,
    {{ to_date('latest.start_date') }} as start_date,
    {{ to_date('latest.end_date') }} as end_date,
    {{ to_number('latest.hours_per_week') }} as hours_per_week,
    latest.rome_code,
    latest.employer_id,
    latest.updated_at,
    latest.first_updated_at,
    latest._load_seq,
    {{ nulled_fields([
        ('end_date', 'latest.end_date', to_date('latest.end_date')),
        ('hours_per_week', 'latest.hours_per_week', to_number('latest.hours_per_week')),
    ]) }} as nulled_fields
from latest
left join {{ source('crm', 'participant_pseudonyms') }} as ps
    on ps.participant_id = latest.participant_id
