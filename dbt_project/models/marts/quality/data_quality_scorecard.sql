-- The data-quality scorecard: one row per antenna and month, so each antenna sees what to fix and
-- the months show whether it improves. Four dimensions (completeness, validity, consistency,
-- timeliness) as counts of rule applications checked and failed plus a pass rate, the recording
-- delay, what could not be loaded (CRM quarantine, spreadsheet rows and files), and an overall
-- quality score. Rates are shares of passes (1 = no defect), null when nothing was checked.
-- Detail by rule: dq_rule_results; record by record: dq_issues.
with rules as (
    select antenna, month_start, dimension,
           sum(records_checked) as checked, sum(records_failed) as failed
    from {{ ref('dq_rule_results') }}
    group by antenna, month_start, dimension
),

delays as (
    select antenna, month_start, recorded_delay_days from {{ ref('dq_enrolment_flags') }}
    where recorded_delay_days is not null
    union all
    select antenna, month_start, recorded_delay_days from {{ ref('dq_situation_flags') }}
    where recorded_delay_days is not null
    union all
    select antenna, month_start, recorded_delay_days from {{ ref('dq_activity_flags') }}
    where recorded_delay_days is not null
),

delay_stats as (
    select antenna, month_start,
           percentile_cont(0.5) within group (order by recorded_delay_days)
               as delay_days_median,
           avg(cast(recorded_delay_days as double precision)) as delay_days_mean
    from delays
    group by antenna, month_start
),

quarantine as (
    select antenna, month_start,
           sum(case when measure = 'crm_quarantined_records' then item_count else 0 end)
               as crm_quarantined_records,
           sum(case when measure = 'sheet_quarantined_rows' then item_count else 0 end)
               as sheet_quarantined_rows,
           sum(case when measure = 'stale_files' then item_count else 0 end) as stale_files,
           sum(case when measure = 'rejected_files' then item_count else 0 end)
               as rejected_files
    from {{ ref('dq_quarantine') }}
    group by antenna, month_start
),

cells as (
    select antenna, month_start from rules
    union
    select antenna, month_start from delay_stats
    union
    select antenna, month_start from quarantine
),

wide as (
    select
        c.antenna,
        c.month_start,
        {%- for dimension in ['completeness', 'validity', 'consistency', 'timeliness'] %}
        cast(coalesce(sum(case when r.dimension = '{{ dimension }}' then r.checked end), 0)
             as bigint) as {{ dimension }}_checked,
        cast(coalesce(sum(case when r.dimension = '{{ dimension }}' then r.failed end), 0)
             as bigint) as {{ dimension }}_failed,
        {%- endfor %}
        cast(coalesce(sum(r.checked), 0) as bigint) as all_checked,
        cast(coalesce(sum(r.failed), 0) as bigint) as all_failed
    from cells as c
    left join rules as r on r.antenna = c.antenna and r.month_start = c.month_start
    group by c.antenna, c.month_start
)

select
    w.antenna,
    w.month_start,
    {%- for dimension in ['completeness', 'validity', 'consistency'] %}
    w.{{ dimension }}_checked,
    w.{{ dimension }}_failed,
    1.0 - {{ ratio('w.' ~ dimension ~ '_failed', 'w.' ~ dimension ~ '_checked') }}
        as {{ dimension }}_rate,
    {%- endfor %}
    w.timeliness_checked as timeliness_events,
    w.timeliness_failed as timeliness_late,
    1.0 - {{ ratio('w.timeliness_failed', 'w.timeliness_checked') }} as timeliness_rate,
    d.delay_days_median,
    d.delay_days_mean,
    cast(coalesce(q.crm_quarantined_records, 0) as bigint) as crm_quarantined_records,
    cast(coalesce(q.sheet_quarantined_rows, 0) as bigint) as sheet_quarantined_rows,
    cast(coalesce(q.stale_files, 0) as bigint) as stale_files,
    cast(coalesce(q.rejected_files, 0) as bigint) as rejected_files,
    1.0 - {{ ratio('w.all_failed', 'w.all_checked') }} as quality_score,
    {{ as_of_date() }} as as_of
from wide as w
left join delay_stats as d on d.antenna = w.antenna and d.month_start = w.month_start
left join quarantine as q on q.antenna = w.antenna and q.month_start = w.month_start
