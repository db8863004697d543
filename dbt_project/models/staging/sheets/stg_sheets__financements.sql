-- Funders and their grants (docs/spreadsheets.md#financements--funders-and-grants): one row per
-- (funder, grant), the most recently modified file winning. Scopes are comma lists of codes, or
-- `ALL` (typed `TOUS` / `TOUTES`); a blank `axes` means the axes of the programmes (resolved where
-- it is used).
with ranked as (
    select
        f.*,
        {{ sheet_id_rank('f.financeur, f.convention') }} as id_rank
    from {{ source('sheets', 'sheet_financements') }} as f
)

select
    r.financeur as funder_code,
    r.nom as funder_name,
    r.type as funder_type,
    r.convention as grant_id,
    r.debut as grant_start,
    r.fin as grant_end,
    r.programmes as programmes,
    r.antennes as antennas,
    nullif(r.axes, '') as axes,
    r.montant_eur as amount_eur,
    r.indicateurs as indicator_codes,
    coalesce(r.frequence, 'annuelle') as report_frequency,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.id_rank = 1
