{{ config(materialized='sea_view') }}
-- Data-quality scorecard, to-do list: one row per (record, broken rule), so an antenna can fix
-- each one in the CRM. Records are named by their CRM id (enrolments, activities, situations) or,
-- for a person, by their pseudonym and the id of one of their enrolments: never a CRM person id.
-- A view: it is the failures of the flags tables, already stored, with the as-of date, which
-- changes every night on every row; reading it scans the flags for their failed rules.
select
    antenna,
    month_start,
    table_name,
    dimension,
    rule,
    rule_label_fr,
    gate_check,
    record_id,
    related_enrolment_id,
    {{ as_of_date() }} as as_of
from {{ ref('dq_record_rules') }}
where failed
