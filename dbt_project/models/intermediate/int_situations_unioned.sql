-- Employment, training and business-creation situations from the CRM and from the follow-up
-- survey (docs/spreadsheets.md#suivi_post_parcours--follow-up-survey-after-exit): survey situations
-- with the same (participant, kind, start) collapse to the latest call; the CRM wins over the
-- survey.
with crm as (
    select
        situation_id,
        'crm' as source,
        participant_key,
        enrolment_id,
        kind,
        contract,
        training_type,
        start_date,
        end_date
    from {{ ref('stg_crm__situations') }}
),

survey as (
    select
        s.survey_row_id,
        s.participant_key,
        case s.situation
            when 'emploi' then 'employment'
            when 'formation' then 'training'
            when 'creation' then 'business_creation'
        end as kind,
        case when s.situation = 'emploi' then s.contract end as contract,
        case when s.situation = 'formation' then
            case s.training_type_fr
                when 'qualifiante' then 'qualifying'
                when 'certifiante' then 'certifying'
                when 'pre_qualifiante' then 'pre_qualifying'
                when 'non_qualifiante' then 'non_qualifying'
            end
        end as training_type,
        s.situation_start_date as start_date,
        s.situation_end_date as end_date,
        s.contact_date,
        s.source_file,
        s.source_row
    from {{ ref('stg_sheets__suivi_post_parcours') }} as s
    where s.reached
      and s.situation in ('emploi', 'formation', 'creation')
      and s.situation_start_date is not null
      and not s.situation_quarantined
),

-- the CRM wins: a (participant, kind, start) the CRM has drops all its survey calls, so the
-- survey rows are set against the CRM before the latest call is chosen (the same rows as
-- after: the condition is on the ranking's own key), where the planner knows how many rows
-- it compares (after a ranking's filter PostgreSQL guessed one, and compared every survey row
-- with every CRM situation)
survey_not_in_crm as (
    select survey.*
    from survey
    where not exists (
        select 1 from {{ ref('stg_crm__situations') }} as c
        where c.participant_key = survey.participant_key
          and c.kind = survey.kind
          and c.start_date = survey.start_date
    )
),

survey_latest as (
    select
        survey_not_in_crm.*,
        row_number() over (
            partition by participant_key, kind, start_date
            order by contact_date desc, source_file desc, source_row desc
        ) as call_rank
    from survey_not_in_crm
)

select * from crm
union all
select
    survey_row_id as situation_id,
    'suivi_post_parcours' as source,
    participant_key,
    cast(null as varchar) as enrolment_id,
    kind,
    contract,
    training_type,
    start_date,
    end_date
from survey_latest
where call_rank = 1
