-- The MEL action plan (docs/spreadsheets.md#plan_action--the-mel-action-plan-chronogramme): one row
-- per action id, the most recently modified file winning; an action ending before it starts is left
-- out and reported by marts.learning_sheet_issues. Roles and statuses are free text normalised by
-- the loader (`Chargé suivi-évaluation` → `charge_suivi_evaluation`, `Terminé` → `termine`).
with ranked as (
    select
        a.*,
        {{ sheet_id_rank('a.id') }} as id_rank
    from {{ source('sheets', 'sheet_plan_action') }} as a
    where a.fin >= a.debut
)

select
    k.id as action_id,
    k.action as action_label,
    k.axe as axis,
    k.responsable as owner_role,
    nullif(k.contributeurs, '') as contributor_roles,
    k.priorite as priority,
    k.debut as start_date,
    k.fin as end_date,
    k.statut as status,
    k.budget_eur,
    k.jours_homme as person_days,
    k.source_file,
    k.source_sheet,
    k.source_row,
    k.file_modified_at
from ranked as k
where k.id_rank = 1
