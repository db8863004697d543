-- The learning log (docs/spreadsheets.md#capitalisation--the-learning-log): one row per sheet id,
-- the row of the most recently modified file winning (the other copies are listed by
-- marts.learning_sheet_issues). A blank scope means the whole organisation (`ALL`). Texts are about
-- the programmes; contact details typed by mistake are masked before they can reach a mart.
with ranked as (
    select
        c.*,
        {{ sheet_id_rank('c.id') }} as id_rank
    from {{ source('sheets', 'sheet_capitalisation') }} as c
)

select
    r.id as lesson_id,
    r.date as lesson_date,
    r.type as lesson_type,
    coalesce(r.programme, 'ALL') as programme,
    coalesce(r.antenne, 'ALL') as antenna,
    {{ mask_contact_details('r.titre') }} as title,
    {{ mask_contact_details('r.contexte') }} as context,
    {{ mask_contact_details('r.constats') }} as findings,
    {{ mask_contact_details('r.enseignements') }} as lessons,
    nullif(r.indicateurs, '') as indicator_codes,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.id_rank = 1
