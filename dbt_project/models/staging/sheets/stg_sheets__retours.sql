-- Feedback and complaints (docs/spreadsheets.md#retours--feedback-and-complaints): one row per id,
-- the most recently modified file winning, without their free text (description, follow-up: raw
-- only). A sensitive report — `signalement` about discrimination or safety — is counted in the
-- organisation total only: its scope is staged as `ALL` / `ALL`, so no breakdown below the total
-- can ever place it.
with ranked as (
    select
        f.*,
        {{ sheet_id_rank('f.id') }} as id_rank
    from {{ source('sheets', 'sheet_retours') }} as f
),

flagged as (
    select
        r.*,
        coalesce(r.type = 'signalement'
                 and r.categorie in {{ code_list('feedback_sensitive_category') }}, false)
            as is_sensitive
    from ranked as r
    where r.id_rank = 1
)

select
    f.id as feedback_id,
    f.date_reception as received_date,
    f.canal as channel,
    f.type as feedback_type,
    f.categorie as category,
    case when f.is_sensitive then 'ALL' else coalesce(f.programme, 'ALL') end as programme,
    case when f.is_sensitive then 'ALL' else coalesce(f.antenne, 'ALL') end as antenna,
    f.emetteur as sender,
    f.date_reponse as answered_date,
    f.statut as status,
    f.is_sensitive,
    f.source_file,
    f.source_sheet,
    f.source_row,
    f.file_modified_at
from flagged as f
