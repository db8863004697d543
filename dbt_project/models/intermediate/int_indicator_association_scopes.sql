-- The scopes each of the whole association's indicators is reported for
-- (docs/indicators.md#11-the-whole-associations-indicators): every scope that covers one of its
-- records, whatever the record's dates (its programme, the programme's ancestors and ALL × its
-- antenna and ALL), and the organisation's (ALL, ALL) even with no record yet — except for an
-- indicator without an ALL antenna row (ESS_ETAPE, per territory).
-- depends_on: {{ ref('indicator_catalogue') }}
{%- set sources = indicator_association_sources() %}
with records as (
    select * from {{ ref('int_indicator_association_records') }}
    where dimension = 'total'
),

programme_scopes as (
    {{ programme_scopes('records') }}
)

select r.indicator_code, ps.scope_programme as programme, r.antenna
from records as r
inner join programme_scopes as ps
    on ps.programme = r.programme
where r.antenna <> 'ALL'
union
select r.indicator_code, ps.scope_programme as programme, 'ALL' as antenna
from records as r
inner join programme_scopes as ps
    on ps.programme = r.programme
where r.antenna_rollup
{%- for s in sources if s.spec.antenna_rollup is not false %}
union
select '{{ s.code }}' as indicator_code, 'ALL' as programme, 'ALL' as antenna
{%- endfor %}
