-- The indicators that answer each evaluation's questions, one row per (evaluation, indicator),
-- with the catalogue's label and level. `in_catalogue` is false for a code the catalogue does
-- not know (possible only when the catalogue was not available when the sheet was loaded).
with items as (
    {{ list_items(ref('stg_sheets__plan_evaluation'), ['evaluation_id'], 'indicator_codes') }}
),

firsts as (
    select evaluation_id, item as indicator_code, min(item_position) as indicator_position
    from items
    group by evaluation_id, item
)

select
    f.evaluation_id,
    f.indicator_code,
    f.indicator_position,
    c.label_fr as indicator_label_fr,
    c.level as indicator_level,
    c.indicator_type,
    c.indicator_code is not null as in_catalogue
from firsts as f
left join {{ ref('indicator_catalogue') }} as c
    on c.indicator_code = f.indicator_code
