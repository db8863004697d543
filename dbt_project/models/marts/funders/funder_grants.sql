-- The funders and their grants as the funder reports read them
-- (docs/outputs.md#funder-reports): one row per (funder, grant). Scopes stay comma lists of codes
-- (`ALL` for TOUS / TOUTES): a report resolves them against the indicator mart's scopes.
select
    funder_code,
    funder_name,
    funder_type,
    grant_id,
    grant_start,
    grant_end,
    programmes,
    antennas,
    axes,
    amount_eur,
    indicator_codes,
    report_frequency
from {{ ref('stg_sheets__financements') }}
