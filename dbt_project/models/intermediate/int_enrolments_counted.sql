-- The enrolments that count (the unit of count of every enrolment indicator), with the
-- participant's attributes from their latest staged version, the age at entry and the
-- disaggregation values (docs/indicators.md#5-age-and-bands,
-- docs/indicators.md#8-disaggregations): every `dim_*`
-- column holds a listed code, or 'unknown' when null or out of list. The raw attributes stay in
-- staging: only the bands and codes the indicators and the journeys read are stored here (each
-- stored column is written again on every full build; the quality flags check the raw ones).
with enrolments as (
    select * from {{ ref('int_enrolments_status') }}
    where exclusion_reason is null
),

participants as (
    select * from {{ ref('stg_crm__participants') }}
),

neutral as (
    select distinct trim(exit_reason) as exit_reason
    from {{ ref('neutral_exit_reasons') }}
    where exit_reason is not null
),

with_age as (
    select
        e.*,
        p.birth_date,
        p.sex,
        p.nationality,
        p.protection_status,
        p.french_level,
        p.education_level,
        p.qpv,
        p.rqth,
        {{ age_on('p.birth_date', 'e.start_date') }} as raw_age_at_start
    from enrolments as e
    inner join participants as p
        on p.participant_key = e.participant_key
),

listed as (
    select list_name, code from {{ ref('code_lists') }}
)

select
    a.enrolment_id,
    a.participant_key,
    a.programme,
    a.antenna,
    a.cohort,
    a.start_date,
    a.end_date,
    a.end_date is not null as is_ended,
    a.exit_reason,
    a.end_date is not null and coalesce(a.exit_reason = 'dropout', false) as is_dropout,
    a.end_date is not null and n.exit_reason is not null as is_neutral_exit,
    a.is_missing_exit_reason,
    case
        when a.raw_age_at_start between {{ sea_param('age_min') }} and {{ sea_param('age_max') }}
            then a.raw_age_at_start
    end as age_at_start,
    coalesce(ls.code, 'unknown') as dim_sex,
    coalesce(
        case
            when a.raw_age_at_start between {{ sea_param('age_min') }} and {{ sea_param('age_max') }}
                then ab.age_band
        end,
        'unknown'
    ) as dim_age_band,
    coalesce(lp.code, 'unknown') as dim_protection_status,
    coalesce(fb.band, 'unknown') as dim_french_level_band,
    coalesce(eb.band, 'unknown') as dim_education_band,
    case when a.qpv then 'true' when not a.qpv then 'false' else 'unknown' end as dim_qpv,
    case when a.rqth then 'true' when not a.rqth then 'false' else 'unknown' end as dim_rqth,
    coalesce(ln.code, 'unknown') as dim_nationality
from with_age as a
left join neutral as n
    on n.exit_reason = a.exit_reason
left join {{ ref('age_bands') }} as ab
    on a.raw_age_at_start between ab.min_age and ab.max_age
left join {{ ref('level_bands') }} as fb
    on fb.band_type = 'french_level' and fb.code = a.french_level
left join {{ ref('level_bands') }} as eb
    on eb.band_type = 'education_level' and eb.code = a.education_level
left join listed as ls
    on ls.list_name = 'sex' and ls.code = a.sex
left join listed as lp
    on lp.list_name = 'protection_status' and lp.code = a.protection_status
left join listed as ln
    on ln.list_name = 'nationality' and ln.code = a.nationality
