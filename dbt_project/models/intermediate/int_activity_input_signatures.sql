-- One signature per participant — and one, keyed '', for the activities without a participant —
-- of everything the per-activity models read about them (macros/participant_incremental.sql):
-- their activities (CRM and attendance sheets, with the employer's antenna and the first CRM
-- version's date), their enrolments as staged and as counted, their own staged record. R enters
-- only where a comparison with R can flip: an activity dated after R, an enrolment starting
-- after R. Only participants with activities have a group: the models have no row for others.
{%- set as_of = as_of_date() %}
with activities as (
    select * from {{ ref('int_activities_unioned') }}
),

activity_rows as (
    select
        {{ participant_group('a.participant_key') }} as participant_group,
        -- the row's own fields are hashed once, where it is staged (`_row_hash`: CRM rows
        -- when restaged, attendance rows in the union); only R and the employer's antenna here
        {{ row_hash([
            "'activity'", 'a.source', 'a._row_hash', 'a.activity_date > ' ~ as_of,
            'm.antenna']) }} as row_hash
    from activities as a
    left join {{ ref('stg_crm__employers') }} as m
        on m.employer_id = a.employer_id
),

person_rows as (
    select
        e.participant_key as participant_group,
        {{ row_hash([
            "'enrolment'", 'e.enrolment_id', 'e.antenna', 'e.start_date', 'e.end_date',
            'e.start_date <= ' ~ as_of]) }} as row_hash
    from {{ ref('stg_crm__enrolments') }} as e
    union all
    select
        c.participant_key,
        {{ row_hash([
            "'counted'", 'c.enrolment_id', 'c.programme', 'c.antenna', 'c.start_date',
            'c.end_date']) }}
    from {{ ref('int_enrolments_counted') }} as c
    union all
    select
        p.participant_key,
        {{ row_hash(["'participant'", 'p.antenna']) }}
    from {{ ref('stg_crm__participants') }} as p
),

activity_groups as (
    select participant_group, {{ group_signature('row_hash') }} as signature
    from activity_rows
    group by participant_group
),

person_groups as (
    select participant_group, {{ group_signature('row_hash') }} as signature
    from person_rows
    where participant_group is not null
    group by participant_group
)

select
    g.participant_group,
    -- one 64-bit hash: the per-activity models keep it on each of their millions of rows, where a
    -- text signature cost a second of writing per full build
    {{ row_hash(["g.signature || '/' || coalesce(p.signature, '-')"]) }} as input_signature
from activity_groups as g
left join person_groups as p
    on p.participant_group = g.participant_group
