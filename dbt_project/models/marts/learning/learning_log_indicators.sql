-- The indicators each entry of the learning log concerns, one row per (lesson, indicator): the
-- link that puts a lesson in the evidence of an indicator (evidence packs, Plan SEA).
with items as (
    {{ list_items(ref('stg_sheets__capitalisation'), ['lesson_id'], 'indicator_codes') }}
),

firsts as (
    select lesson_id, item as indicator_code, min(item_position) as indicator_position
    from items
    group by lesson_id, item
)

select
    f.lesson_id,
    f.indicator_code,
    f.indicator_position,
    c.label_fr as indicator_label_fr,
    c.indicator_code is not null as in_catalogue
from firsts as f
left join {{ ref('indicator_catalogue') }} as c
    on c.indicator_code = f.indicator_code
