-- Attendance rows, once per (date, participant, normalised workshop title): the row of the most
-- recently modified file wins, then the last row in it
-- (docs/spreadsheets.md#emargements--attendance-sheets-many-files).
with ranked as (
    select
        e.*,
        row_number() over (
            partition by e.date, e.participant_id, e.atelier_key
            order by e.file_modified_at desc, e.source_file desc, e.source_sheet desc,
                     e.source_row desc
        ) as row_rank
    from {{ source('sheets', 'sheet_emargements') }} as e
)

select
    'EMG-' || md5(ranked.source_file || '|' || ranked.source_sheet || '|'
                  || cast(ranked.source_row as varchar)) as attendance_id,
    ps.participant_key,
    ranked.date as session_date,
    ranked.antenne as antenna_declared,
    ranked.atelier as workshop_title,
    ranked.atelier_key as workshop_key,
    ranked.present as attended,
    cast(ranked.duree_minutes as double precision) as duration_minutes,
    ranked.source_file,
    ranked.source_sheet,
    ranked.source_row
from ranked
inner join {{ source('crm', 'participant_pseudonyms') }} as ps
    on ps.participant_id = ranked.participant_id
where ranked.row_rank = 1
