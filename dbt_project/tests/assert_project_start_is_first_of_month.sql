-- The cumulative period [project start, R] is added up from whole calendar months
-- (int_period_months): the `project_start` parameter must be the first day of a month.
select value
from {{ ref('sea_parameters') }}
where parameter = 'project_start'
  and extract(day from cast(value as date)) <> 1
