{{ config(unique_key='activity_id', pre_hook="{{ crm_staging_prune('activities', 'activity_id') }}") }}

with latest as (
    {{ latest_crm_version('activities', with_first_version=true) }}
)

select
    latest.id as activity_id,
    ps.participant_key,
    latest.participant_id is not null as has_participant,
    latest.enrolment_id,
    latest.employer_id,
    latest.type as activity_type,
    {{ to_date('latest.date') }} as activity_date,
    {{ to_integer('latest.duration_minutes') }} as duration_minutes,
    {{ to_boolean('latest.attended') }} as attended,
    {{ to_boolean('latest.reached') }} as reached,
    latest.updated_at,
    latest.first_updated_at,
    latest._load_seq,
    {{ nulled_fields([
        ('duration_minutes', 'latest.duration_minutes', to_integer('latest.duration_minutes')),
        ('reached', 'latest.reached', to_boolean('latest.reached')),
    ]) }} as nulled_fields,
    -- what the per-activity models read of the row, hashed once when it is staged: a night's
    -- signatures (int_activity_input_signatures) sum these instead of hashing 1.7 M rows again
    {{ row_hash([
        'latest.id', 'ps.participant_key', 'latest.participant_id is not null',
        'latest.enrolment_id', 'latest.employer_id', 'latest.type', to_date('latest.date'),
        to_integer('latest.duration_minutes'), to_boolean('latest.attended'),
        to_boolean('latest.reached'), 'latest.first_updated_at']) }} as _row_hash
from latest
left join {{ source('crm', 'participant_pseudonyms') }} as ps
    on ps.participant_id = latest.participant_id
