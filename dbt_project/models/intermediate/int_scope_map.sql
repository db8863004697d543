-- Which reporting scopes each (programme, antenna) pair of the counted enrolments falls in
-- (docs/outputs.md#2-the-indicator-mart-martsindicator_values): ({programme} ∪ its ancestors ∪
-- {ALL}) × {antenna, ALL}. Joining records to this map puts each record once in every scope that
-- covers it, so every rollup is recomputed from the records themselves.
with pairs as (
    select distinct programme, antenna
    from {{ ref('int_enrolments_counted') }}
),

programmes as (
    select programme, ancestor_programme as scope_programme
    from {{ ref('int_programme_ancestry') }}
    union
    select distinct programme, 'ALL' as scope_programme
    from pairs
),

antennas as (
    select distinct antenna, antenna as scope_antenna from pairs
    union
    select distinct antenna, 'ALL' as scope_antenna from pairs
)

select distinct
    pairs.programme,
    pairs.antenna,
    programmes.scope_programme,
    antennas.scope_antenna
from pairs
inner join programmes
    on programmes.programme = pairs.programme
inner join antennas
    on antennas.antenna = pairs.antenna
