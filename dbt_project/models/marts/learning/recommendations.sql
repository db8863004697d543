-- Recommendations follow-up: one row per recommendation of the sheet, with its source (a learning
-- log entry or an evaluation of the plan, whose scope and indicators it inherits), its current
-- status and since when, and where it stands on R:
-- - overdue: still open (à faire, en cours) after its due date;
-- - stale: still open with no status change in the last 90 days;
-- - done: the date it became `fait` and that quarter (done per quarter: recommendations_by_quarter).
{#- Open: a status of the `recommendation_status_open` list of the code_lists seed -#}
{%- set is_open = "f.status in " ~ code_list('recommendation_status_open') %}

with recs as (
    select * from {{ ref('stg_sheets__recommandations') }}
),

history as (
    select * from {{ ref('recommendation_status_history') }}
),

current_status as (
    select recommendation_id, status_from, status_number
    from history
    where status_to is null
),

first_seen as (
    select recommendation_id, min(first_observed_on) as first_observed_on
    from history
    group by recommendation_id
),

done as (
    select recommendation_id, max(status_from) as done_on
    from history
    where status = 'fait' and status_to is null
    group by recommendation_id
),

lessons as (
    select lesson_id, lesson_date, title, programme, antenna, indicator_codes
    from {{ ref('stg_sheets__capitalisation') }}
),

evaluations as (
    select evaluation_id, planned_end, evaluation_type, programme, antenna, indicator_codes
    from {{ ref('stg_sheets__plan_evaluation') }}
),

sourced as (
    select
        r.*,
        case
            when l.lesson_id is not null then 'capitalisation'
            when e.evaluation_id is not null then 'evaluation'
            when r.source_id is not null then 'inconnue'
        end as source_kind,
        coalesce(l.title, e.evaluation_id) as source_title,
        coalesce(l.programme, e.programme, 'ALL') as programme,
        coalesce(l.antenna, e.antenna, 'ALL') as antenna,
        coalesce(l.indicator_codes, e.indicator_codes) as indicator_codes,
        coalesce(l.lesson_date, e.planned_end) as source_date
    from recs as r
    left join lessons as l
        on l.lesson_id = r.source_id
    left join evaluations as e
        on e.evaluation_id = r.source_id
       and l.lesson_id is null
),

followed as (
    select
        s.*,
        -- A status seen once only: its change date is the sheet's `date_statut`, else (nothing
        -- better known) the source's date, else the first refresh that saw it.
        case
            when c.status_number > 1 then c.status_from
            else coalesce(
                case when s.status_date <= {{ as_of_date() }} then s.status_date end,
                case when s.source_date <= {{ as_of_date() }} then s.source_date end,
                c.status_from)
        end as last_status_change_on,
        f.first_observed_on,
        case when s.status = 'fait' then coalesce(d.done_on, s.status_date) end as done_on
    from sourced as s
    left join current_status as c
        on c.recommendation_id = s.recommendation_id
    left join first_seen as f
        on f.recommendation_id = s.recommendation_id
    left join done as d
        on d.recommendation_id = s.recommendation_id
)

select
    f.recommendation_id,
    f.source_id,
    f.source_kind,
    f.source_title,
    f.programme,
    f.antenna,
    f.indicator_codes,
    f.recommendation,
    f.owner_role,
    f.priority,
    {{ code_label_fr('f.priority', 'priority') }} as priority_label_fr,
    f.due_date,
    f.status,
    {{ code_label_fr('f.status', 'recommendation_status') }} as status_label_fr,
    f.status_date as sheet_status_date,
    f.last_status_change_on,
    {{ as_of_date() }} - f.last_status_change_on as days_since_status_change,
    f.first_observed_on,
    {{ is_open }} as is_open,
    coalesce({{ is_open }} and f.due_date < {{ as_of_date() }}, false) as is_overdue,
    case
        when {{ is_open }} and f.due_date < {{ as_of_date() }}
            then {{ as_of_date() }} - f.due_date
    end as days_overdue,
    coalesce({{ is_open }}
             and {{ as_of_date() }} - f.last_status_change_on > 90, false) as is_stale,
    f.done_on,
    {{ quarter_start('f.done_on') }} as done_quarter_start,
    case when f.done_on is not null then {{ quarter_label_fr('f.done_on') }} end
        as done_quarter_label_fr,
    f.source_file,
    f.source_row,
    {{ as_of_date() }} as as_of
from followed as f
