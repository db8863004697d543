-- The learning log (journal d'apprentissage): one row per capitalisation sheet, RETEX,
-- reflection workshop or evaluation summary, with its scope, texts, the indicators it concerns
-- and how many recommendations came out of it. Texts are about the programmes, never about a
-- person (the sheet has no participant column; contact details are masked in staging).
with lessons as (
    select * from {{ ref('stg_sheets__capitalisation') }}
),

programmes as (
    select upper(trim(programme)) as programme, label_fr from {{ ref('programme_reference') }}
),

recommendations as (
    select
        source_id,
        count(*) as recommendation_count,
        sum(case when status in {{ code_list('recommendation_status_open') }} then 1 else 0 end)
            as open_recommendation_count
    from {{ ref('stg_sheets__recommandations') }}
    group by source_id
)

select
    l.lesson_id,
    l.lesson_date,
    {{ quarter_start('l.lesson_date') }} as lesson_quarter_start,
    {{ quarter_label_fr('l.lesson_date') }} as lesson_quarter_label_fr,
    l.lesson_type,
    {{ code_label_fr('l.lesson_type', 'lesson_type') }} as lesson_type_label_fr,
    l.programme,
    {{ programme_label_fr('l.programme', 'pr.label_fr') }} as programme_label_fr,
    l.antenna,
    {{ antenna_label_fr('l.antenna') }} as antenna_label_fr,
    l.title,
    l.context,
    l.findings,
    l.lessons,
    l.indicator_codes,
    coalesce(r.recommendation_count, 0) as recommendation_count,
    coalesce(r.open_recommendation_count, 0) as open_recommendation_count,
    l.lesson_date > {{ as_of_date() }} as is_dated_after_as_of,
    l.source_file,
    l.source_row,
    {{ as_of_date() }} as as_of
from lessons as l
left join programmes as pr
    on pr.programme = l.programme
left join recommendations as r
    on r.source_id = l.lesson_id
