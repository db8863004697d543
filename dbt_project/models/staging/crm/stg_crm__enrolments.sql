{{ config(unique_key='enrolment_id', pre_hook="{{ crm_staging_prune('enrolments', 'enrolment_id') }}") }}

with latest as (
    {{ latest_crm_version('enrolments', with_first_version=true) }}
)

select
    latest.id as enrolment_id,
    ps.participant_key,
    {{ open_code('latest.programme') }} as programme,
    {{ open_code('latest.antenna') }} as antenna,
    latest.cohort,
    {{ to_date('latest.start_date') }} as start_date,
    {{ to_date('latest.end_date') }} as end_date,
    latest.exit_reason,
    latest.updated_at,
    latest.first_updated_at,
    latest._load_seq,
    {{ nulled_fields([('end_date', 'latest.end_date', to_date('latest.end_date'))]) }}
        as nulled_fields
from latest
left join {{ source('crm', 'participant_pseudonyms') }} as ps
    on ps.participant_id = latest.participant_id
