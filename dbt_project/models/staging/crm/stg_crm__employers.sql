{{ config(unique_key='employer_id', pre_hook="{{ crm_staging_prune('employers', 'employer_id') }}") }}

with latest as (
    {{ latest_crm_version('employers') }}
)

select
    latest.id as employer_id,
    latest.name as employer_name,
    latest.naf_code,
    {{ in_list('latest.size_band', 'size_band') }} as size_band,
    {{ open_code('latest.antenna') }} as antenna,
    latest.updated_at,
    latest._load_seq,
    {{ nulled_fields([('size_band', 'latest.size_band', in_list('latest.size_band', 'size_band'))]) }}
        as nulled_fields
from latest
