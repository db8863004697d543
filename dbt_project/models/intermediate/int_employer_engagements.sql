-- The employer events behind EMP_ENG (docs/indicators.md#7-the-catalogue): attended job datings,
-- company visits and employer-awareness actions dated on or before R that carry the id of a
-- staged employer. An event naming an orphan participant counts nowhere; employer-only events
-- (no participant) count. The scope antenna is the employer's latest.
with activities as (
    select * from {{ ref('int_activities_unioned') }}
)

select
    a.activity_id,
    a.source,
    a.activity_type,
    a.activity_date,
    a.employer_id,
    emp.antenna as employer_antenna
from activities as a
inner join {{ ref('stg_crm__employers') }} as emp
    on emp.employer_id = a.employer_id
left join {{ ref('stg_crm__participants') }} as p
    on p.participant_key = a.participant_key
where a.activity_type in ('job_dating', 'company_visit', 'employer_awareness')
  and coalesce(a.attended, false)
  and a.activity_date is not null
  and a.activity_date <= {{ as_of_date() }}
  and (not coalesce(a.has_participant, false) or p.participant_key is not null)
