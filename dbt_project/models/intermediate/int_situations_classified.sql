-- Every situation (CRM and follow-up survey) with its outcome class
-- (docs/indicators.md#3-situation-classes) and whether it counts: an orphan's situations,
-- situations starting after R and situations ending before they start count nowhere. The class is
-- given by the first rule of the `situation_class_mapping` seed that matches (`*` matches
-- anything); none matches → `none`.
with situations as (
    select * from {{ ref('int_situations_unioned') }}
),

participants as (
    select participant_key from {{ ref('stg_crm__participants') }}
),

rules as (
    select * from {{ ref('situation_class_mapping') }}
),

classes as (
    select * from {{ ref('situation_classes') }}
),

matches as (
    select
        s.situation_id,
        s.source,
        r.situation_class,
        row_number() over (
            partition by s.situation_id, s.source
            order by r.rule_order
        ) as rule_rank
    from situations as s
    inner join rules as r
        on (r.kind = '*' or r.kind = s.kind)
       and (r.contract = '*' or r.contract = s.contract)
       and (r.training_type = '*' or r.training_type = s.training_type)
       and (
            coalesce(r.min_contract_months, 0) = 0
            or (s.end_date is not null
                and s.start_date is not null
                and s.end_date >= {{ add_months('s.start_date', 'r.min_contract_months') }} - 1)
       )
)

select
    s.situation_id,
    s.source,
    s.participant_key,
    s.enrolment_id,
    s.kind,
    s.contract,
    s.training_type,
    s.start_date,
    s.end_date,
    coalesce(m.situation_class, 'none') as situation_class,
    coalesce(c.class_rank, 0) as class_rank,
    s.kind in ('employment', 'business_creation') as is_employment_kind,
    case
        when s.participant_key is null or p.participant_key is null then 'orphan_participant'
        when s.start_date is null then 'missing_start_date'
        when s.start_date > {{ as_of_date() }} then 'starts_after_as_of'
        when s.end_date < s.start_date then 'end_before_start'
    end as exclusion_reason
from situations as s
left join participants as p
    on p.participant_key = s.participant_key
left join matches as m
    on m.situation_id = s.situation_id
   and m.source = s.source
   and m.rule_rank = 1
left join classes as c
    on c.situation_class = coalesce(m.situation_class, 'none')
