-- Reached follow-up contacts (docs/indicators.md#4-outcomes-at-exit-and-at-6-months): CRM
-- `followup_contact` activities with reached = true whatever `attended` says, and reached rows of
-- the follow-up survey.
select
    activity_id as contact_id,
    'crm' as source,
    participant_key,
    activity_date as contact_date
from {{ ref('stg_crm__activities') }}
where activity_type = 'followup_contact'
  and reached
  and participant_key is not null
union all
select
    survey_row_id as contact_id,
    'suivi_post_parcours' as source,
    participant_key,
    contact_date
from {{ ref('stg_sheets__suivi_post_parcours') }}
where reached
