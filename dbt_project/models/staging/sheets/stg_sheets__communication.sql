-- Communication and advocacy actions (axis 4;
-- docs/spreadsheets.md#communication--communication-and-advocacy-actions-axis-4): one row per
-- action id, the row of the most recently modified file winning. `end_date` is the last day of a
-- campaign, the action's own date otherwise. People reached stay null when the sheet leaves them
-- blank (unknown is not 0). Titles are about actions; contact details typed by mistake are masked.
with ranked as (
    select
        c.*,
        {{ sheet_id_rank('c.id') }} as id_rank
    from {{ source('sheets', 'sheet_communication') }} as c
)

select
    r.id as action_id,
    r.date as action_date,
    coalesce(r.date_fin, r.date) as end_date,
    r.type as action_type,
    r.antenne as antenna,
    r.public as audience,
    {{ mask_contact_details('r.titre') }} as title,
    r.personnes_touchees as people_reached,
    r.entreprises_touchees as companies_reached,
    r.lien as link,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.id_rank = 1
