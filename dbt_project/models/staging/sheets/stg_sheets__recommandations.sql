-- Recommendations and their current status
-- (docs/spreadsheets.md#recommandations--recommendations-and-their-follow-up): one row per id, the
-- most recently modified file winning. The sheet only holds the current status; the snapshot
-- `recommendation_status_snapshot` keeps what it said at every refresh.
with ranked as (
    select
        r.*,
        {{ sheet_id_rank('r.id') }} as id_rank
    from {{ source('sheets', 'sheet_recommandations') }} as r
)

select
    k.id as recommendation_id,
    nullif(trim(k.source_id), '') as source_id,
    {{ mask_contact_details('k.recommandation') }} as recommendation,
    k.responsable as owner_role,
    k.priorite as priority,
    k.echeance as due_date,
    k.statut as status,
    k.date_statut as status_date,
    k.source_file,
    k.source_sheet,
    k.source_row,
    k.file_modified_at
from ranked as k
where k.id_rank = 1
