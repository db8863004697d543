{{ config(unique_key='participant_key', pre_hook="{{ crm_staging_prune('participants', 'participant_key') }}") }}

with latest as (
    {{ latest_crm_version('participants') }}
),

typed as (
    select
        ps.participant_key,
        latest.updated_at,
        latest._load_seq,
        latest.birth_date as birth_date_raw,
        {{ to_date('latest.birth_date') }} as birth_date,
        latest.sex as sex_raw,
        {{ in_list('latest.sex', 'sex') }} as sex,
        latest.nationality as nationality_raw,
        {{ in_list('latest.nationality', 'nationality') }} as nationality,
        latest.protection_status as protection_status_raw,
        {{ in_list('latest.protection_status', 'protection_status') }} as protection_status,
        latest.protection_date as protection_date_raw,
        {{ to_date('latest.protection_date') }} as protection_date,
        latest.arrival_date as arrival_date_raw,
        {{ to_date('latest.arrival_date') }} as arrival_date,
        latest.french_level as french_level_raw,
        {{ in_list('latest.french_level', 'french_level') }} as french_level,
        latest.education_level as education_level_raw,
        {{ in_list('latest.education_level', 'education_level') }} as education_level,
        latest.qpv as qpv_raw,
        {{ to_boolean('latest.qpv') }} as qpv,
        latest.rqth as rqth_raw,
        {{ to_boolean('latest.rqth') }} as rqth,
        latest.referrer as referrer_raw,
        {{ in_list('latest.referrer', 'referrer') }} as referrer,
        {{ open_code('latest.antenna') }} as antenna
    from latest
    inner join {{ source('crm', 'participant_pseudonyms') }} as ps
        on ps.participant_id = latest.id
)

select
    participant_key,
    updated_at,
    _load_seq,
    birth_date,
    sex,
    nationality,
    protection_status,
    protection_date,
    arrival_date,
    french_level,
    education_level,
    qpv,
    rqth,
    referrer,
    antenna,
    {{ nulled_fields([
        ('birth_date', 'birth_date_raw', 'birth_date'),
        ('sex', 'sex_raw', 'sex'),
        ('nationality', 'nationality_raw', 'nationality'),
        ('protection_status', 'protection_status_raw', 'protection_status'),
        ('protection_date', 'protection_date_raw', 'protection_date'),
        ('arrival_date', 'arrival_date_raw', 'arrival_date'),
        ('french_level', 'french_level_raw', 'french_level'),
        ('education_level', 'education_level_raw', 'education_level'),
        ('qpv', 'qpv_raw', 'qpv'),
        ('rqth', 'rqth_raw', 'rqth'),
        ('referrer', 'referrer_raw', 'referrer'),
    ]) }} as nulled_fields
from typed
