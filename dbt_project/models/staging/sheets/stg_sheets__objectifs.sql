-- Targets as typed in the `objectifs` files (conflicting duplicates already quarantined): the
-- organisation's only. A target with a `financeur` is for that funder's report (read by the funder
-- reports, not here), so it never doubles an organisation target of the same key.
select distinct
    o.indicateur as indicator_code,
    o.programme,
    o.antenne as antenna,
    o.annee as target_year,
    o.trimestre as target_quarter,
    o.cible as target_value_raw,
    coalesce(o.cible_is_percent_cell, false) as target_is_percent_cell
from {{ source('sheets', 'sheet_objectifs') }} as o
where o.financeur is null
