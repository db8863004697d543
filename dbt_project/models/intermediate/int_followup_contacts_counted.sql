-- Reached follow-up contacts that count: a participant known to staging, dated on or before R.
-- They make a 6-month status known (docs/indicators.md#4-outcomes-at-exit-and-at-6-months).
select
    c.contact_id,
    c.source,
    c.participant_key,
    c.contact_date
from {{ ref('int_followup_contacts') }} as c
inner join {{ ref('stg_crm__participants') }} as p
    on p.participant_key = c.participant_key
where c.contact_date is not null
  and c.contact_date <= {{ as_of_date() }}
