-- Follow-up survey after exit, one row per call, participants pseudonymised.
select
    'SPP-' || md5(s.source_file || '|' || s.source_sheet || '|'
                  || cast(s.source_row as varchar)) as survey_row_id,
    ps.participant_key,
    s.date_contact as contact_date,
    s.joint as reached,
    s.situation,
    s.type_contrat as contract,
    s.date_debut as situation_start_date,
    s.date_fin as situation_end_date,
    s.type_formation as training_type_fr,
    coalesce(s.situation_quarantined, false) as situation_quarantined,
    s.file_modified_at,
    s.source_file,
    s.source_sheet,
    s.source_row
from {{ source('sheets', 'sheet_suivi_post_parcours') }} as s
inner join {{ source('crm', 'participant_pseudonyms') }} as ps
    on ps.participant_id = s.participant_id
