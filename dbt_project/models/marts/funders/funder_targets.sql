-- The targets typed for one funder's report (`objectifs` rows with a `financeur`), normalised by
-- the same rule as the organisation's (int_targets): they never reach the indicator mart.
select
    funder_code,
    indicator_code,
    programme,
    antenna,
    target_year,
    target_quarter,
    target_period,
    target_value
from {{ ref('int_targets') }}
where funder_code is not null
