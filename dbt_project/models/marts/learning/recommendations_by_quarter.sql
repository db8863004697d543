-- Recommendations follow-up per quarter, for the quarterly report: how many recommendations were
-- done (became `fait`) and abandoned in the quarter, and how many were still open and overdue
-- at its end, from the status history. One row per quarter, from the quarter of the earliest
-- known status date up to the quarter containing R (quarters with nothing are 0, not missing).
with recursive

history as (
    select h.*, r.due_date
    from {{ ref('recommendation_status_history') }} as h
    left join {{ ref('stg_sheets__recommandations') }} as r
        on r.recommendation_id = h.recommendation_id
),

bounds as (
    select
        {{ quarter_start('min(status_from)') }} as first_quarter,
        {{ quarter_start(as_of_date()) }} as last_quarter
    from history
),

quarters as (
    select first_quarter as quarter_start, last_quarter
    from bounds
    where first_quarter is not null and first_quarter <= last_quarter
    union all
    select {{ add_months('q.quarter_start', 3) }} as quarter_start, q.last_quarter
    from quarters as q
    where q.quarter_start < q.last_quarter
),

periods as (
    select
        quarter_start,
        {{ add_months('quarter_start', 3) }} - 1 as quarter_end
    from quarters
),

-- The status each recommendation held at the end of each quarter (or at R for the current one).
held as (
    select
        p.quarter_start,
        h.recommendation_id,
        h.status,
        h.due_date
    from periods as p
    inner join history as h
        on h.status_from <= least(p.quarter_end, {{ as_of_date() }})
       and (h.status_to is null or h.status_to > least(p.quarter_end, {{ as_of_date() }}))
)

select
    p.quarter_start,
    p.quarter_end,
    {{ quarter_label_fr('p.quarter_start') }} as quarter_label_fr,
    (select count(*) from history as h
     where h.status = 'fait' and h.status_from between p.quarter_start and p.quarter_end)
        as done_count,
    (select count(*) from history as h
     where h.status = 'abandonne' and h.status_from between p.quarter_start and p.quarter_end)
        as abandoned_count,
    (select count(*) from held as d
     where d.quarter_start = p.quarter_start and d.status in {{ code_list('recommendation_status_open') }})
        as open_at_quarter_end,
    (select count(*) from held as d
     where d.quarter_start = p.quarter_start and d.status in {{ code_list('recommendation_status_open') }}
       and d.due_date < least(p.quarter_end, {{ as_of_date() }}))
        as overdue_at_quarter_end,
    {{ as_of_date() }} as as_of
from periods as p
