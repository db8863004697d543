-- Targets as typed in the `objectifs` files (conflicting duplicates already quarantined). A target
-- with a `financeur` is for that funder's report only (`funder_code`); the organisation's have none,
-- so a funder's target never doubles an organisation target of the same key.
select distinct
    o.indicateur as indicator_code,
    o.programme,
    o.antenne as antenna,
    o.annee as target_year,
    o.trimestre as target_quarter,
    o.cible as target_value_raw,
    coalesce(o.cible_is_percent_cell, false) as target_is_percent_cell,
    nullif(upper(trim(o.financeur)), '') as funder_code
from {{ source('sheets', 'sheet_objectifs') }} as o
