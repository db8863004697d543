-- The benchmark's floor: the `indicator_values` rows of quarter periods and dimension `total`
-- computed in one hand-written DuckDB query straight from the staged tables (staging.*) and
-- the reference seeds, following docs/indicators.md with the default parameters
-- (6 months, 30 days, ±45 days, 1..600 minutes, the default situation classes). It is what
-- "as fast as this data allows" looks like, so `make bench` can say how far the dbt marts are
-- from it; the benchmark also checks it gives the mart's numbers. `{as_of}` is R.
-- DuckDB-only on purpose (it is a yardstick, not part of the pipeline).
with
params as (select date '{as_of}' as r),

quarters as (
    select cast(q as date) as qs, cast(q + interval 3 month - interval 1 day as date) as qe
    from params,
         generate_series(timestamp '2019-04-01',
                         cast(date_trunc('quarter', params.r) as timestamp),
                         interval 3 month) as g(q)
),

people as (select participant_key, sex from staging.stg_crm__participants),

neutral as (
    select distinct trim(exit_reason) as exit_reason
    from reference.neutral_exit_reasons where exit_reason is not null
),

enr as (
    select e.enrolment_id, e.participant_key, e.programme, e.antenna, e.start_date,
           case when e.end_date <= params.r then e.end_date end as end_date,
           e.exit_reason, p.sex
    from staging.stg_crm__enrolments as e
    join people as p on p.participant_key = e.participant_key
    cross join params
    where e.start_date is not null
      and e.start_date <= params.r
      and coalesce(e.end_date >= e.start_date, true)
),

enr_flags as (
    select enr.*,
           enr.end_date is not null and enr.exit_reason is not null
               and enr.exit_reason in (select exit_reason from neutral) as is_neutral,
           cast(enr.end_date + interval 6 month as date) as m6
    from enr
),

-- programme scopes: the code, its ancestors (transitively) and ALL; antenna scopes: it and ALL
edges as (
    select distinct upper(trim(programme)) as child, upper(trim(parent_programme)) as parent
    from reference.programme_reference
    where parent_programme is not null and trim(parent_programme) <> ''
      and upper(trim(parent_programme)) <> upper(trim(programme))
),
pairs as (select distinct programme, antenna from enr),
ancestry as (
    with recursive up(programme, ancestor, depth) as (
        select distinct programme, programme, 0 from pairs
        union all
        select up.programme, edges.parent, up.depth + 1
        from up join edges on edges.child = up.ancestor where up.depth < 20
    )
    select distinct programme, ancestor from up
    union select distinct programme, 'ALL' from pairs
),
scope_map as (
    select distinct p.programme, p.antenna, a.ancestor as sp, s.sa
    from pairs as p
    join ancestry as a on a.programme = p.programme
    join (select antenna, antenna as sa from pairs union select antenna, 'ALL' from pairs) as s
        on s.antenna = p.antenna
),

-- situations: CRM, plus the survey's reached calls (latest call per participant, kind, start)
-- unless the CRM has the same one; classed by the default rules, those that count only
survey as (
    select participant_key,
           case situation when 'emploi' then 'employment' when 'formation' then 'training'
                          when 'creation' then 'business_creation' end as kind,
           case when situation = 'emploi' then contract end as contract,
           case when situation = 'formation' then
               case training_type_fr when 'qualifiante' then 'qualifying'
                                     when 'certifiante' then 'certifying'
                                     when 'pre_qualifiante' then 'pre_qualifying'
                                     when 'non_qualifiante' then 'non_qualifying' end
           end as training_type,
           situation_start_date as start_date, situation_end_date as end_date,
           row_number() over (
               partition by participant_key,
                            case situation when 'emploi' then 'employment'
                                           when 'formation' then 'training'
                                           else 'business_creation' end,
                            situation_start_date
               order by contact_date desc, source_file desc, source_row desc) as call_rank
    from staging.stg_sheets__suivi_post_parcours
    where reached and situation in ('emploi', 'formation', 'creation')
      and situation_start_date is not null and not situation_quarantined
),
situations_all as (
    select participant_key, kind, contract, training_type, start_date, end_date
    from staging.stg_crm__situations
    union all
    select s.participant_key, s.kind, s.contract, s.training_type, s.start_date, s.end_date
    from survey as s
    where s.call_rank = 1
      and not exists (select 1 from staging.stg_crm__situations as c
                      where c.participant_key = s.participant_key and c.kind = s.kind
                        and c.start_date = s.start_date)
),
sit as (
    select s.participant_key, s.start_date, s.end_date,
           s.kind in ('employment', 'business_creation') as is_job,
           case
               when s.kind = 'business_creation' then 3
               when s.kind = 'employment' and s.contract = 'CDI' then 3
               when s.kind = 'employment' and s.contract in ('CDD', 'INTERIM', 'ALTERNANCE')
                    and s.end_date is not null
                    and s.end_date >= cast(s.start_date + interval 6 month as date) - 1 then 3
               when s.kind = 'employment' and s.contract = 'IAE' then 1
               when s.kind = 'employment' then 2
               when s.kind = 'training'
                    and s.training_type in ('qualifying', 'certifying', 'pre_qualifying') then 1
               else 0
           end as rank
    from situations_all as s
    join people as p on p.participant_key = s.participant_key
    cross join params
    where s.start_date is not null and s.start_date <= params.r
      and coalesce(s.end_date >= s.start_date, true)
),

contacts as (
    select c.participant_key, c.contact_date
    from (
        select participant_key, activity_date as contact_date
        from staging.stg_crm__activities
        where activity_type = 'followup_contact' and reached and participant_key is not null
        union all
        select participant_key, contact_date
        from staging.stg_sheets__suivi_post_parcours where reached
    ) as c
    join people as p on p.participant_key = c.participant_key
    cross join params
    where c.contact_date is not null and c.contact_date <= params.r
),

outcomes as (
    select e.enrolment_id,
           (select max(s.rank) from sit as s
            where s.participant_key = e.participant_key and s.start_date >= e.start_date
              and s.start_date <= e.end_date + 30
              and (s.end_date is null or s.end_date >= e.end_date)) as exit_rank,
           (select min(s.start_date) from sit as s
            where s.participant_key = e.participant_key and s.is_job
              and s.start_date >= e.start_date and s.start_date <= e.end_date + 30) as first_job,
           (select max(s.rank) from sit as s
            where s.participant_key = e.participant_key and s.start_date >= e.start_date
              and s.start_date <= e.m6
              and (s.end_date is null or s.end_date >= e.m6)) as rank_6m,
           exists (select 1 from contacts as c
                   where c.participant_key = e.participant_key
                     and c.contact_date between e.m6 - 45 and e.m6 + 45) as contact_6m
    from enr_flags as e
    where e.end_date is not null
),

facts as (
    select e.*,
           coalesce(o.exit_rank, 0) as exit_rank,
           o.first_job,
           o.rank_6m,
           o.contact_6m,
           e.end_date is not null and e.m6 + 45 <= params.r and not e.is_neutral as in_cohort
    from enr_flags as e
    cross join params
    left join outcomes as o on o.enrolment_id = e.enrolment_id
),

-- hours: CRM activities and attendance rows (dropped when the CRM has a workshop that day)
activities as (
    select activity_id, 'crm' as source, participant_key, has_participant, enrolment_id,
           activity_type, activity_date, cast(duration_minutes as double) as minutes, attended
    from staging.stg_crm__activities
    union all
    select e.attendance_id, 'emargement', e.participant_key, true, null, 'workshop',
           e.session_date, e.duration_minutes, e.attended
    from staging.stg_sheets__emargements as e
    where not exists (select 1 from staging.stg_crm__activities as c
                      where c.activity_type = 'workshop' and c.participant_key = e.participant_key
                        and c.activity_date = e.session_date)
),
eligible as (
    select a.*
    from activities as a
    join people as p on p.participant_key = a.participant_key
    cross join params
    where coalesce(a.has_participant, false)
      and a.activity_date is not null and a.activity_date <= params.r
      and a.activity_type <> 'followup_contact'
      and coalesce(a.attended, false)
      and (a.minutes is null or a.minutes between 1 and 600)
),
declared as (
    select a.activity_id, a.source, d.programme, d.antenna
    from eligible as a
    join enr as d on d.enrolment_id = a.enrolment_id and d.participant_key = a.participant_key
),
by_dates as (
    select a.activity_id, a.source,
           arg_min(x.programme, struct_pack(s := x.start_date, i := x.enrolment_id)) as programme,
           arg_min(x.antenna, struct_pack(s := x.start_date, i := x.enrolment_id)) as antenna
    from eligible as a
    cross join params
    join enr as x
        on x.participant_key = a.participant_key
       and x.start_date <= a.activity_date and a.activity_date <= coalesce(x.end_date, params.r)
    where not exists (select 1 from declared as d
                      where d.activity_id = a.activity_id and d.source = a.source)
    group by a.activity_id, a.source
),
attributed as (
    select a.activity_date, coalesce(a.minutes, 0) as minutes,
           coalesce(d.programme, b.programme) as programme,
           coalesce(d.antenna, b.antenna) as antenna
    from eligible as a
    left join declared as d on d.activity_id = a.activity_id and d.source = a.source
    left join by_dates as b on b.activity_id = a.activity_id and b.source = a.source
),

-- employer engagement events (programme ALL only)
engagements as (
    select distinct a.employer_id, emp.antenna, a.activity_date
    from staging.stg_crm__activities as a
    join staging.stg_crm__employers as emp on emp.employer_id = a.employer_id
    left join people as p on p.participant_key = a.participant_key
    cross join params
    where a.activity_type in ('job_dating', 'company_visit', 'employer_awareness')
      and coalesce(a.attended, false)
      and a.activity_date is not null and a.activity_date <= params.r
      and (not coalesce(a.has_participant, false) or p.participant_key is not null)
),

scoped as (
    select m.sp as programme, m.sa as antenna, f.*
    from facts as f
    join scope_map as m on m.programme = f.programme and m.antenna = f.antenna
),

entries as (
    select q.qs, s.programme, s.antenna,
           count(*) as ent,
           count(distinct s.participant_key) as ent_p,
           count(*) filter (where s.sex = 'F') as ent_f
    from scoped as s join quarters as q on s.start_date between q.qs and q.qe
    group by all
),
exits as (
    select q.qs, s.programme, s.antenna,
           count(*) as sor,
           count(*) filter (where s.exit_reason = 'dropout') as abd,
           count(*) filter (where not s.is_neutral) as exit_den,
           count(*) filter (where not s.is_neutral and s.exit_rank >= 1) as sd,
           count(*) filter (where not s.is_neutral and s.exit_rank = 3) as ed,
           count(*) filter (where not s.is_neutral and s.exit_rank >= 2) as emp,
           count(*) filter (where not s.is_neutral and s.exit_rank = 1) as sp,
           count(*) filter (where not s.is_neutral and s.first_job is not null) as delay_pop,
           quantile_cont(s.first_job - s.start_date, 0.5)
               filter (where not s.is_neutral and s.first_job is not null) as delay
    from scoped as s join quarters as q on s.end_date between q.qs and q.qe
    group by all
),
cohorts as (
    select q.qs, s.programme, s.antenna,
           count(*) as c6,
           count(*) filter (where coalesce(s.rank_6m, 0) >= 1) as sd6,
           count(*) filter (where s.rank_6m is not null or s.contact_6m) as known6
    from scoped as s join quarters as q on s.m6 between q.qs and q.qe
    where s.in_cohort
    group by all
),
active as (
    select q.qs, s.programme, s.antenna, count(*) as act
    from scoped as s join quarters as q
        on s.start_date <= q.qe and (s.end_date is null or s.end_date >= q.qs)
    group by all
),
hours as (
    select q.qs, m.sp as programme, m.sa as antenna, sum(a.minutes) / 60.0 as hrs
    from attributed as a
    join scope_map as m on m.programme = a.programme and m.antenna = a.antenna
    join quarters as q on a.activity_date between q.qs and q.qe
    where a.programme is not null
    group by all
),
employers as (
    select q.qs, 'ALL' as programme, s.antenna, count(distinct e.employer_id) as emp_eng
    from engagements as e
    join quarters as q on e.activity_date between q.qs and q.qe
    cross join lateral (select e.antenna as antenna union all select 'ALL') as s
    where s.antenna is not null
    group by all
)

select 'ENT' as indicator_code, qs as period_start, programme, antenna,
       null::double as numerator, null::double as denominator, ent::double as value
from entries
union all select 'ENT_P', qs, programme, antenna, null, null, ent_p from entries
union all select 'ENT_F', qs, programme, antenna, ent_f, ent, ent_f / ent from entries
union all select 'SOR', qs, programme, antenna, null, null, sor from exits
union all select 'ABD', qs, programme, antenna, abd, sor, abd / sor from exits
union all select 'SD_SORTIE', qs, programme, antenna, sd, exit_den, sd / exit_den
          from exits where exit_den > 0
union all select 'ED_SORTIE', qs, programme, antenna, ed, exit_den, ed / exit_den
          from exits where exit_den > 0
union all select 'EMP_SORTIE', qs, programme, antenna, emp, exit_den, emp / exit_den
          from exits where exit_den > 0
union all select 'SP_SORTIE', qs, programme, antenna, sp, exit_den, sp / exit_den
          from exits where exit_den > 0
union all select 'DELAI_EMPLOI', qs, programme, antenna, null, null, delay
          from exits where delay_pop > 0
union all select 'SD_6M', qs, programme, antenna, sd6, c6, sd6 / c6 from cohorts
union all select 'SUIVI_6M', qs, programme, antenna, known6, c6, known6 / c6 from cohorts
union all select 'ACT', qs, programme, antenna, null, null, act from active
union all select 'HRS', qs, programme, antenna, null, null, hrs from hours where hrs > 0
union all select 'EMP_ENG', qs, programme, antenna, null, null, emp_eng from employers
