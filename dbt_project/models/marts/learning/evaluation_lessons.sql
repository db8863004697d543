-- Which entries of the learning log feed each evaluation: those of a compatible scope, and
-- those sharing at least one indicator with it whatever their scope. A scope is compatible
-- when the programmes are equal, either is ALL, or one covers the other (SOCLE covers
-- SOCLE_FEMMES, transitively), and the antennas are equal or either is ALL. Only entries dated
-- up to R count.
with plan as (
    select evaluation_id, programme, antenna from {{ ref('stg_sheets__plan_evaluation') }}
),

lessons as (
    select lesson_id, programme, antenna
    from {{ ref('stg_sheets__capitalisation') }}
    where lesson_date <= {{ as_of_date() }}
),

shared as (
    select
        ei.evaluation_id,
        li.lesson_id,
        count(*) as shared_indicator_count,
        {{ sea_string_agg('li.indicator_code', "','", 'ei.indicator_position') }}
            as shared_indicator_codes
    from {{ ref('evaluation_plan_indicators') }} as ei
    inner join {{ ref('learning_log_indicators') }} as li
        on li.indicator_code = ei.indicator_code
    group by ei.evaluation_id, li.lesson_id
),

pairs as (
    select
        p.evaluation_id,
        l.lesson_id,
        {{ scopes_compatible('p.programme', 'p.antenna', 'l.programme', 'l.antenna') }}
            as matches_scope
    from plan as p
    cross join lessons as l
)

select
    x.evaluation_id,
    x.lesson_id,
    x.matches_scope,
    coalesce(s.shared_indicator_count, 0) as shared_indicator_count,
    s.shared_indicator_codes
from pairs as x
left join shared as s
    on s.evaluation_id = x.evaluation_id
   and s.lesson_id = x.lesson_id
where x.matches_scope or s.lesson_id is not null
