-- Anonymous satisfaction answers
-- (docs/spreadsheets.md#satisfaction--the-participants-satisfaction-survey-anonymous): one row per
-- answer. The free comment never leaves raw, and an `id_crm` typed anyway was never stored: only
-- the fact (`respondent_id_typed`, a warning of the gate). An answer pasted into two files (same
-- values, same row number) counts once: the most recently modified file's. Blank scores and a blank
-- `recommande` are null: not answered.
with ranked as (
    select
        s.*,
        row_number() over (
            partition by s.date, s.programme, s.antenne, s.moment, s.note_globale, s.accueil,
                         s.ateliers, s.accompagnement_individuel, s.recommande, s.source_row
            order by s.file_modified_at desc, s.source_file desc, s.source_sheet desc
        ) as copy_rank
    from {{ source('sheets', 'sheet_satisfaction') }} as s
)

select
    r.source_file || ' / ' || r.source_sheet || ' / ' || cast(r.source_row as varchar)
        as answer_id,
    r.date as answer_date,
    r.programme,
    r.antenne as antenna,
    r.moment,
    r.note_globale as overall_score,
    r.accueil as welcome_score,
    r.ateliers as workshops_score,
    r.accompagnement_individuel as individual_support_score,
    r.recommande as recommends,
    coalesce(r.id_crm_filled, false) as respondent_id_typed,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.copy_rank = 1
