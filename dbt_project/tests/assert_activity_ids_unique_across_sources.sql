-- The activities' union (int_activities_unioned, a view) has one row per id: CRM activity ids
-- are unique in staging (rules_stg_crm__activities), attendance-row ids in theirs
-- (rules_stg_sheets__emargements), so the only way two of its rows share an id is an attendance
-- row whose id is also a CRM activity's. Checked here on the few thousand attendance rows rather
-- than by grouping 1.7 M ids (100 000 participants) every night.
select a.activity_id, a.source
from {{ ref('int_activities_unioned') }} as a
where a.source = 'emargement'
  and a.activity_id in (select c.activity_id from {{ ref('stg_crm__activities') }} as c)
