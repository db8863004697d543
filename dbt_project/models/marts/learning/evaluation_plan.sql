-- The evaluation plan: one row per evaluation (programme × antenna × type × window) with its
-- OECD-DAC criteria, its questions and linked indicators (as lists here; one row per item in
-- evaluation_plan_criteria / _questions / _indicators), its status, and where it stands on R:
-- due within 90 days (its window starts or ends in [R, R + 90 days] and it is neither finished
-- nor cancelled) or late (planned but not started after its planned start, or running past its
-- planned end).
with plan as (
    select * from {{ ref('stg_sheets__plan_evaluation') }}
),

programmes as (
    select upper(trim(programme)) as programme, label_fr from {{ ref('programme_reference') }}
),

criteria as (
    select
        evaluation_id,
        count(*) as criteria_count,
        {{ sea_string_agg('criterion_label_fr', "', '", 'criterion_order') }} as criteria_labels_fr
    from {{ ref('evaluation_plan_criteria') }}
    group by evaluation_id
),

questions as (
    select evaluation_id, count(*) as question_count
    from {{ ref('evaluation_plan_questions') }}
    group by evaluation_id
),

indicators as (
    select evaluation_id, count(*) as indicator_count
    from {{ ref('evaluation_plan_indicators') }}
    group by evaluation_id
)

select
    p.evaluation_id,
    p.programme,
    {{ programme_label_fr('p.programme', 'pr.label_fr') }} as programme_label_fr,
    p.antenna,
    {{ antenna_label_fr('p.antenna') }} as antenna_label_fr,
    p.evaluation_type,
    {{ code_label_fr('p.evaluation_type', 'evaluation_type') }}
        as evaluation_type_label_fr,
    p.evaluation_mode,
    {{ code_label_fr('p.evaluation_mode', 'evaluation_mode') }}
        as evaluation_mode_label_fr,
    p.planned_start,
    p.planned_end,
    p.planned_end - p.planned_start + 1 as planned_days,
    p.status,
    {{ code_label_fr('p.status', 'evaluation_status') }} as status_label_fr,
    p.status_inferred,
    p.criteria,
    c.criteria_labels_fr,
    coalesce(c.criteria_count, 0) as criteria_count,
    p.questions,
    coalesce(q.question_count, 0) as question_count,
    p.indicator_codes,
    coalesce(i.indicator_count, 0) as indicator_count,
    p.planned_start - {{ as_of_date() }} as days_to_start,
    p.planned_end - {{ as_of_date() }} as days_to_end,
    (p.status in ('prevue', 'en_cours')
     and ((p.planned_start between {{ as_of_date() }} and {{ as_of_date() }} + 90)
          or (p.planned_end between {{ as_of_date() }} and {{ as_of_date() }} + 90)))
        as is_due_within_90_days,
    ((p.status = 'prevue' and p.planned_start < {{ as_of_date() }})
     or (p.status = 'en_cours' and p.planned_end < {{ as_of_date() }})) as is_late,
    p.source_file,
    p.source_row,
    {{ as_of_date() }} as as_of
from plan as p
left join programmes as pr
    on pr.programme = p.programme
left join criteria as c
    on c.evaluation_id = p.evaluation_id
left join questions as q
    on q.evaluation_id = p.evaluation_id
left join indicators as i
    on i.evaluation_id = p.evaluation_id
