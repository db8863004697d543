-- Milestones of axes 3, 5, 6 and 7 (docs/spreadsheets.md#jalons--milestones-of-axes-3-5-6-and-7):
-- one row per milestone id, the most recently modified file winning. The loader already refused an
-- `atteint` milestone without a real date and an essaimage milestone without territory; a real date
-- on a milestone not marked achieved is kept and flagged (`achieved_date_with_other_status`, a
-- warning of the gate).
with ranked as (
    select
        j.*,
        {{ sheet_id_rank('j.id') }} as id_rank
    from {{ source('sheets', 'sheet_jalons') }} as j
)

select
    r.id as milestone_id,
    r.axe as axis,
    {{ mask_contact_details('r.jalon') }} as milestone,
    r.territoire as territory,
    r.etape as stage,
    r.date_prevue as planned_date,
    r.date_reelle as achieved_date,
    r.statut as status,
    r.responsable as owner_role,
    coalesce(r.date_reelle is not null and r.statut <> 'atteint', false)
        as achieved_date_with_other_status,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.id_rank = 1
