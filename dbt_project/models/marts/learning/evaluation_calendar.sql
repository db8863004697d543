-- The calendar view of the evaluation plan: one row per (evaluation, month) its planned window
-- touches, for Gantt-like views in BI tools, with the flags of evaluation_plan (due within 90
-- days of R, late).
with recursive

plan as (
    select * from {{ ref('evaluation_plan') }}
),

months as (
    select
        p.evaluation_id,
        {{ month_start('p.planned_start') }} as month_start,
        {{ month_start('p.planned_end') }} as last_month
    from plan as p
    union all
    select
        m.evaluation_id,
        {{ add_months('m.month_start', 1) }} as month_start,
        m.last_month
    from months as m
    where m.month_start < m.last_month
)

select
    p.evaluation_id,
    m.month_start,
    {{ add_months('m.month_start', 1) }} - 1 as month_end,
    {{ month_label_fr('m.month_start') }} as month_label_fr,
    {{ quarter_label_fr('m.month_start') }} as quarter_label_fr,
    m.month_start = {{ month_start('p.planned_start') }} as is_first_month,
    m.month_start = m.last_month as is_last_month,
    p.programme,
    p.antenna,
    p.evaluation_type,
    p.evaluation_type_label_fr,
    p.evaluation_mode,
    p.status,
    p.status_label_fr,
    p.is_due_within_90_days,
    p.is_late,
    p.as_of
from months as m
inner join plan as p
    on p.evaluation_id = m.evaluation_id
