-- Each programme code and every programme that covers it, itself included (depth 0), walking the
-- programme reference seed upwards transitively (SOCLE_FEMMES → SOCLE). Codes are trimmed and
-- upper-cased; a code of the CRM absent from the seed has no parent. Cycles in the seed are
-- cut by the depth limit.
with recursive

edges as (
    select distinct
        upper(trim(programme)) as programme,
        upper(trim(parent_programme)) as parent_programme
    from {{ ref('programme_reference') }}
    where parent_programme is not null
      and trim(parent_programme) <> ''
      and upper(trim(parent_programme)) <> upper(trim(programme))
),

codes as (
    select programme from {{ ref('int_enrolments_counted') }}
    union
    select upper(trim(programme)) as programme from {{ ref('programme_reference') }}
),

ancestry as (
    select programme, programme as ancestor_programme, 0 as depth
    from codes
    union all
    select a.programme, e.parent_programme as ancestor_programme, a.depth + 1 as depth
    from ancestry as a
    inner join edges as e
        on e.programme = a.ancestor_programme
    where a.depth < 20
)

select
    programme,
    ancestor_programme,
    min(depth) as depth
from ancestry
group by programme, ancestor_programme
