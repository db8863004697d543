-- Rows of the four learning spreadsheets that were read but not used as typed, in addition to
-- the loader's quarantine (raw.sheet_quarantine: unreadable cells, values out of list, missing
-- required values). Each line names the file, sheet and row and says why in French, so staff can
-- fix the sheet; the data-quality scorecard counts them as `warn`:
-- - duplicate_id: the same id in two usable rows; the row of the most recently modified file is
--   kept (a row left out for its window does not compete);
-- - end_before_start: a plan or action row whose end is before its start (left out);
-- - unknown_source: a recommendation whose source_id is neither a learning log entry nor an
--   evaluation of the plan (kept, with no scope);
-- - dated_after_as_of: a learning log entry dated after R (kept, but not fed to evidence packs).
{%- set kinds = [
    ['capitalisation', 'sheet_capitalisation', 'true'],
    ['recommandations', 'sheet_recommandations', 'true'],
    ['plan_evaluation', 'sheet_plan_evaluation', 's.fin_prevue >= s.debut_prevu'],
    ['plan_action', 'sheet_plan_action', 's.fin >= s.debut'],
] %}
with
{%- for kind, table, usable in kinds %}
{{ kind }}_rows as (
    select
        s.id,
        s.source_file,
        s.source_sheet,
        s.source_row,
        {{ sheet_id_rank('s.id') }} as id_rank
    from {{ source('sheets', table) }} as s
    where {{ usable }}
),

{{ kind }}_duplicates as (
    select
        '{{ kind }}' as kind,
        d.source_file,
        d.source_sheet,
        d.source_row,
        d.id as record_id,
        'duplicate_id' as issue,
        concat('identifiant « ', d.id, ' » en double : la ligne ', cast(k.source_row as varchar),
               ' de « ', k.source_file, ' » (fichier le plus récent) est conservée, celle-ci est ',
               'ignorée') as reason_fr
    from {{ kind }}_rows as d
    inner join {{ kind }}_rows as k
        on k.id = d.id
       and k.id_rank = 1
    where d.id_rank > 1
),
{%- endfor %}

windows as (
    select
        'plan_evaluation' as kind, e.source_file, e.source_sheet, e.source_row,
        e.id as record_id, 'end_before_start' as issue,
        concat('fin prévue (', {{ date_fr_text('e.fin_prevue') }}, ') antérieure au début prévu (',
               {{ date_fr_text('e.debut_prevu') }}, ') : évaluation écartée du plan') as reason_fr
    from {{ source('sheets', 'sheet_plan_evaluation') }} as e
    where e.fin_prevue < e.debut_prevu
    union all
    select
        'plan_action' as kind, a.source_file, a.source_sheet, a.source_row,
        a.id as record_id, 'end_before_start' as issue,
        concat('fin (', {{ date_fr_text('a.fin') }}, ') antérieure au début (',
               {{ date_fr_text('a.debut') }}, ') : action écartée du chronogramme') as reason_fr
    from {{ source('sheets', 'sheet_plan_action') }} as a
    where a.fin < a.debut
),

sources as (
    select
        'recommandations' as kind, r.source_file, r.source_sheet, r.source_row,
        r.recommendation_id as record_id, 'unknown_source' as issue,
        concat('source « ', r.source_id, ' » introuvable dans la capitalisation et le plan ',
               'd''évaluation : recommandation conservée sans périmètre') as reason_fr
    from {{ ref('stg_sheets__recommandations') }} as r
    where r.source_id is not null
      and not exists (select 1 from {{ ref('stg_sheets__capitalisation') }} as l
                      where l.lesson_id = r.source_id)
      and not exists (select 1 from {{ ref('stg_sheets__plan_evaluation') }} as e
                      where e.evaluation_id = r.source_id)
),

future as (
    select
        'capitalisation' as kind, l.source_file, l.source_sheet, l.source_row,
        l.lesson_id as record_id, 'dated_after_as_of' as issue,
        concat('date (', {{ date_fr_text('l.lesson_date') }}, ') postérieure à la date d''arrêté (',
               {{ date_fr_text(as_of_date()) }}, ') : fiche conservée mais pas encore utilisée ',
               'dans les dossiers de preuves') as reason_fr
    from {{ ref('stg_sheets__capitalisation') }} as l
    where l.lesson_date > {{ as_of_date() }}
),

issues as (
    {%- for kind, table, usable in kinds %}
    select * from {{ kind }}_duplicates
    union all
    {%- endfor %}
    select * from windows
    union all
    select * from sources
    union all
    select * from future
)

select
    i.kind,
    i.source_file,
    i.source_sheet,
    i.source_row,
    i.record_id,
    i.issue,
    'warn' as severity,
    i.reason_fr,
    {{ as_of_date() }} as as_of
from issues as i
