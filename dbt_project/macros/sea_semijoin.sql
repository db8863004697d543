{#- `with_declared_enrolment(activities, enrolments)`: the rows of `activities` with
    `declared_fit_id`, their own `enrolment_id` when `enrolments` holds that enrolment for the
    same `participant_key` (else null) — a semi-join of millions of activities against
    thousands of enrolments (unique `enrolment_id`), written as each engine runs it best.

    DuckDB turns a correlated `exists` into a mark join built on the enrolments (a left join
    let it build its hash table on the activities; a row-valued `in` it plans far slower).
    PostgreSQL runs an `in`/`exists` in a select list as a subplan: hashed only while the
    enrolments fit in `work_mem`, and otherwise rescanned for every activity — a cost growing
    with the square of the participants (at 100 000 participants the model did not finish in
    40 minutes). A left join on the unique key is a plain hash join whatever the size. -#}
{% macro with_declared_enrolment(activities, enrolments) -%}
  {{ return(adapter.dispatch('with_declared_enrolment', 'sea')(activities, enrolments)) }}
{%- endmacro %}

{% macro duckdb__with_declared_enrolment(activities, enrolments) -%}
    select
        a.*,
        case
            when exists (
                select 1 from {{ enrolments }} as fit
                where fit.enrolment_id = a.enrolment_id
                  and fit.participant_key = a.participant_key
            ) then a.enrolment_id
        end as declared_fit_id
    from {{ activities }} as a
{%- endmacro %}

{% macro default__with_declared_enrolment(activities, enrolments) -%}
    select
        a.*,
        fit.enrolment_id as declared_fit_id
    from {{ activities }} as a
    left join {{ enrolments }} as fit
        on fit.enrolment_id = a.enrolment_id
       and fit.participant_key = a.participant_key
{%- endmacro %}
