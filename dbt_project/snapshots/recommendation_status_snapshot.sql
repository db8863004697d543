{#- The status history of the recommendations. The `recommandations` sheet only holds the
    current status, so every refresh (dbt build runs snapshots) records what it says; a new row
    is written whenever a recommendation's status differs from the last one recorded, and a
    recommendation deleted from the sheet is closed (dbt_valid_to set).

    `observed_on` is the run's as-of date R, the only clock of the project: dbt's own
    dbt_valid_from / dbt_valid_to are wall-clock timestamps, kept for dbt but not used by the
    marts. Works unchanged on DuckDB and PostgreSQL; lives in its own schema `snapshots` because
    this history cannot be rebuilt from the spreadsheets: never drop it. -#}
{% snapshot recommendation_status_snapshot %}
{{ config(
    schema='snapshots',
    unique_key='recommendation_id',
    strategy='check',
    check_cols=['status'],
    hard_deletes='invalidate',
) }}
select
    r.recommendation_id,
    r.status,
    r.status_date,
    r.due_date,
    {{ as_of_date() }} as observed_on
from {{ ref('stg_sheets__recommandations') }} as r
{% endsnapshot %}
