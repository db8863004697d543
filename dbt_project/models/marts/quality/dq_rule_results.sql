-- Data-quality scorecard, detail: for each antenna, month, table and rule, how many records the
-- rule applies to and how many break it. Staff read it to see what to fix where; the summary per
-- antenna and month is data_quality_scorecard.
select
    antenna,
    month_start,
    table_name,
    dimension,
    rule,
    rule_label_fr,
    gate_check,
    cast(count(*) as bigint) as records_checked,
    cast(sum(case when failed then 1 else 0 end) as bigint) as records_failed,
    1.0 - cast(sum(case when failed then 1 else 0 end) as double precision) / count(*)
        as pass_rate,
    {{ as_of_date() }} as as_of
from {{ ref('dq_record_rules') }}
group by antenna, month_start, table_name, dimension, rule, rule_label_fr, gate_check
