-- The evaluation questions of each evaluation of the plan, one row per line of the `questions`
-- cell, numbered in the order staff wrote them (blank lines skipped, at most 40 per cell).
with items as (
    {{ list_items(ref('stg_sheets__plan_evaluation'), ['evaluation_id'], 'questions',
                  separator='chr(10)') }}
)

select
    i.evaluation_id,
    row_number() over (partition by i.evaluation_id order by i.item_position) as question_number,
    {{ mask_contact_details('i.item') }} as question_fr
from items as i
