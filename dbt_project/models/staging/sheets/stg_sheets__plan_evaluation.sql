-- The evaluation plan (docs/spreadsheets.md#plan_evaluation--the-evaluation-plan): one row per
-- evaluation id, the most recently modified file winning. A planned window ending before it starts
-- cannot be placed on a calendar: such a row is left out here and reported by
-- marts.learning_sheet_issues. A blank antenna means every antenna (`ALL`); a blank status is read
-- from the dates and R.
with ranked as (
    select
        e.*,
        {{ sheet_id_rank('e.id') }} as id_rank
    from {{ source('sheets', 'sheet_plan_evaluation') }} as e
    where e.fin_prevue >= e.debut_prevu
)

select
    k.id as evaluation_id,
    k.programme,
    coalesce(k.antenne, 'ALL') as antenna,
    k.type as evaluation_type,
    k.mode as evaluation_mode,
    k.debut_prevu as planned_start,
    k.fin_prevue as planned_end,
    nullif(k.criteres, '') as criteria,
    nullif(trim(replace(k.questions, chr(13), '')), '') as questions,
    nullif(k.indicateurs, '') as indicator_codes,
    coalesce(
        k.statut,
        case
            when k.fin_prevue < {{ as_of_date() }} then 'terminee'
            when k.debut_prevu <= {{ as_of_date() }} then 'en_cours'
            else 'prevue'
        end
    ) as status,
    k.statut is null as status_inferred,
    k.source_file,
    k.source_sheet,
    k.source_row,
    k.file_modified_at
from ranked as k
where k.id_rank = 1
