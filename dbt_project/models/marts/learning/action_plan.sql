-- The MEL action plan (chronogramme): one row per action with its axis, roles, window, status,
-- resources (budget in euros, person-days) and where it stands on R (current, late: not done
-- nor abandoned after its end). The status is the sheet's, mapped to prévu / en cours / fait /
-- abandonné; a blank or unknown one is read from the start date and R (never assumed done).
with actions as (
    select * from {{ ref('stg_sheets__plan_action') }}
),

statused as (
    select
        a.*,
        {{ action_status('a.status', 'a.start_date') }} as status_group
    from actions as a
)

select
    s.action_id,
    s.action_label,
    s.axis,
    {{ code_label_fr('s.axis', 'action_axis') }} as axis_label_fr,
    s.owner_role,
    s.contributor_roles,
    s.priority,
    {{ code_label_fr('s.priority', 'priority') }} as priority_label_fr,
    s.start_date,
    s.end_date,
    s.end_date - s.start_date + 1 as duration_days,
    {{ quarter_label_fr('s.start_date') }} as start_quarter_label_fr,
    {{ quarter_label_fr('s.end_date') }} as end_quarter_label_fr,
    s.status as sheet_status,
    s.status_group as status,
    {{ code_label_fr('s.status_group', 'action_status') }} as status_label_fr,
    s.budget_eur,
    s.person_days,
    (s.start_date <= {{ as_of_date() }} and s.end_date >= {{ as_of_date() }}) as is_current,
    (s.status_group in ('prevu', 'en_cours') and s.end_date < {{ as_of_date() }}) as is_late,
    s.source_file,
    s.source_row,
    {{ as_of_date() }} as as_of
from statused as s
