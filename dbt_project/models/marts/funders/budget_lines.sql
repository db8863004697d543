-- Budget and spending per line (docs/indicators.md#12-costs): year, quarter (null: the whole
-- year, never spread over quarters), axis, programme and antenna (`ALL` for TOUS / TOUTES) and
-- funder (null: no funder named). What BUD_EXEC sums, kept per line so that a funder report and a
-- BI tool can read the execution per axis, programme, antenna and funder.
select
    cast(budget_year as integer) as budget_year,
    cast(budget_quarter as integer) as budget_quarter,
    axis,
    programme,
    antenna,
    funder_code,
    budget_eur,
    spent_eur,
    negative_amount
from {{ ref('stg_sheets__budget') }}
