-- Rollups equal a recomputation from their own records (docs/outputs.md#6-the-data-quality-gate):
-- ENT, SOR and ENT_P over the cumulative period, for every scope, counted straight from the
-- counted enrolments and the programme ancestry — independently of the monthly pipeline.
with params as (
    select {{ sea_param('project_start', 'date') }} as project_start, {{ as_of_date() }} as as_of
),

covered as (
    select
        e.enrolment_id,
        e.participant_key,
        e.start_date,
        e.end_date,
        a.ancestor_programme as programme,
        ant.antenna
    from {{ ref('int_enrolments_counted') }} as e
    inner join (
        select programme, ancestor_programme from {{ ref('int_programme_ancestry') }}
        union
        select programme, 'ALL' from {{ ref('int_programme_ancestry') }}
    ) as a
        on a.programme = e.programme
    inner join (
        select distinct antenna as code, antenna from {{ ref('int_enrolments_counted') }}
        union
        select distinct antenna as code, 'ALL' as antenna from {{ ref('int_enrolments_counted') }}
    ) as ant
        on ant.code = e.antenna
),

recomputed as (
    select
        c.programme,
        c.antenna,
        sum(case when c.start_date >= p.project_start then 1 else 0 end) as ent,
        sum(case when c.end_date >= p.project_start then 1 else 0 end) as sor,
        count(distinct case when c.start_date >= p.project_start then c.participant_key end) as ent_p
    from covered as c
    cross join params as p
    group by c.programme, c.antenna
),

mart as (
    select
        programme,
        antenna,
        max(case when indicator_code = 'ENT' then value end) as ent,
        max(case when indicator_code = 'SOR' then value end) as sor,
        max(case when indicator_code = 'ENT_P' then value end) as ent_p
    from {{ ref('indicator_values') }}
    where period_type = 'cumulative'
      and dimension = 'total'
      and indicator_code in ('ENT', 'SOR', 'ENT_P')
    group by programme, antenna
)

select r.*, m.ent as mart_ent, m.sor as mart_sor, m.ent_p as mart_ent_p
from recomputed as r
left join mart as m
    on m.programme = r.programme
   and m.antenna = r.antenna
where m.programme is null
   or m.ent <> r.ent
   or m.sor <> r.sor
   or m.ent_p <> r.ent_p
