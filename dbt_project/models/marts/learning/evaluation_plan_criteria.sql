-- The OECD-DAC criteria of each evaluation of the plan, one row per (evaluation, criterion), in
-- the OECD order (pertinence, cohérence, efficacité, efficience, impact, viabilité).
with items as (
    {{ list_items(ref('stg_sheets__plan_evaluation'), ['evaluation_id'], 'criteria') }}
)

select distinct
    i.evaluation_id,
    i.item as criterion,
    {{ code_label_fr('i.item', 'dac_criterion') }} as criterion_label_fr,
    {{ criterion_order('i.item') }} as criterion_order
from items as i
