-- Every catalogue indicator sits in the logframe (docs/indicators.md#the-logframe).
select c.indicator_code
from {{ ref('indicator_catalogue') }} as c
where not exists (
    select 1 from {{ ref('logframe') }} as l
    where ';' || l.indicator_codes || ';' like '%;' || c.indicator_code || ';%'
)
