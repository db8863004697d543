-- The scopes each catalogue indicator is reported for
-- (docs/outputs.md#2-the-indicator-mart-martsindicator_values): enrolment indicators for every
-- scope of the counted enrolments; employer indicators (EMP_ENG) for programme ALL × (the latest
-- antennas of the staged employers ∪ {ALL}); the whole association's indicators for the scopes
-- of their spreadsheet records (int_indicator_association_scopes).
with catalogue as (
    select indicator_code, scope_basis from {{ ref('indicator_catalogue') }}
),

enrolment_scopes as (
    select distinct scope_programme as programme, scope_antenna as antenna
    from {{ ref('int_scope_map') }}
),

employer_scopes as (
    select distinct 'ALL' as programme, antenna
    from {{ ref('stg_crm__employers') }}
    where antenna is not null
    union
    select 'ALL' as programme, 'ALL' as antenna
)

select c.indicator_code, s.programme, s.antenna
from catalogue as c
inner join enrolment_scopes as s
    on c.scope_basis = 'enrolment'
union all
select c.indicator_code, s.programme, s.antenna
from catalogue as c
inner join employer_scopes as s
    on c.scope_basis = 'employer'
union all
select indicator_code, programme, antenna
from {{ ref('int_indicator_association_scopes') }}
