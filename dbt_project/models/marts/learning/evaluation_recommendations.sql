-- Which recommendations feed each evaluation (and its evidence pack): those that came out of
-- the evaluation itself, out of a learning log entry linked to it (evaluation_lessons), or out
-- of another evaluation of a compatible scope. Recommendations
-- whose source cannot be found are left out (marts.learning_sheet_issues lists them).
with plan as (
    select evaluation_id, programme, antenna from {{ ref('stg_sheets__plan_evaluation') }}
),

recs as (
    select recommendation_id, source_id, source_kind, programme, antenna
    from {{ ref('recommendations') }}
),

links as (
    select p.evaluation_id, r.recommendation_id, 'evaluation' as link
    from plan as p
    inner join recs as r
        on r.source_id = p.evaluation_id
    union all
    select l.evaluation_id, r.recommendation_id, 'capitalisation' as link
    from {{ ref('evaluation_lessons') }} as l
    inner join recs as r
        on r.source_id = l.lesson_id
    union all
    select p.evaluation_id, r.recommendation_id, 'autre_evaluation' as link
    from plan as p
    inner join recs as r
        on r.source_kind = 'evaluation'
       and r.source_id <> p.evaluation_id
    where {{ scopes_compatible('p.programme', 'p.antenna', 'r.programme', 'r.antenna') }}
)

-- the most direct link wins: evaluation > capitalisation > autre_evaluation
select evaluation_id, recommendation_id, max(link) as link
from links
group by evaluation_id, recommendation_id
