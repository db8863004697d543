-- Budget and spending lines (docs/spreadsheets.md#budget--budget-and-spending): one line per (year,
-- quarter, axis, programme, antenna, funder) — the same key typed twice keeps the row of the most
-- recently modified file, then the last row in it. A blank quarter is the whole year (never spread
-- over quarters); a blank amount stays null (it adds 0 to a sum). A negative amount is a
-- correction, kept and flagged (`negative_amount`, a warning of the gate).
with ranked as (
    select
        b.*,
        row_number() over (
            partition by b.annee, b.trimestre, b.axe, b.programme, b.antenne, b.financeur
            order by b.file_modified_at desc, b.source_file desc, b.source_row desc
        ) as key_rank
    from {{ source('sheets', 'sheet_budget') }} as b
)

select
    r.annee as budget_year,
    r.trimestre as budget_quarter,
    r.axe as axis,
    coalesce(r.programme, 'ALL') as programme,
    coalesce(r.antenne, 'ALL') as antenna,
    r.financeur as funder_code,
    r.budget_eur,
    r.depense_eur as spent_eur,
    coalesce(r.budget_eur < 0 or r.depense_eur < 0, false) as negative_amount,
    r.source_file,
    r.source_sheet,
    r.source_row,
    r.file_modified_at
from ranked as r
where r.key_rank = 1
