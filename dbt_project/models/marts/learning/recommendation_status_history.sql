-- The status history of every recommendation, rebuilt from the snapshot the pipeline takes at
-- each refresh (the sheet only holds the current status). One row per status a recommendation
-- held, in order. `status_from` is when it took that status: the sheet's `date_statut` when it
-- is plausible (not after the refresh that first saw the status, and after the refresh that saw
-- the previous one), else the as-of date of the refresh that first saw it. `status_to` is the
-- next status's `status_from` (null while current). `is_current` marks the status held now; a
-- recommendation removed from the sheet keeps its history, with `is_current` false everywhere.
with snap as (
    select
        s.recommendation_id,
        s.status,
        s.status_date,
        s.observed_on,
        s.dbt_valid_from,
        s.dbt_valid_to,
        row_number() over (
            partition by s.recommendation_id order by s.dbt_valid_from
        ) as status_number,
        lag(s.observed_on) over (
            partition by s.recommendation_id order by s.dbt_valid_from
        ) as previous_observed_on
    from {{ ref('recommendation_status_snapshot') }} as s
),

dated as (
    select
        n.*,
        case
            when n.status_date is not null
             and n.status_date <= n.observed_on
             and (n.previous_observed_on is null or n.status_date > n.previous_observed_on)
                then n.status_date
            else n.observed_on
        end as status_from
    from snap as n
)

select
    d.recommendation_id,
    d.status_number,
    d.status,
    {{ code_label_fr('d.status', 'recommendation_status') }} as status_label_fr,
    d.status_from,
    lead(d.status_from) over (
        partition by d.recommendation_id order by d.status_number
    ) as status_to,
    d.observed_on as first_observed_on,
    d.status_date as sheet_status_date,
    d.dbt_valid_to is null as is_current
from dated as d
