{#- Per-participant incremental models (issue: a night's cost follows what changed).

    The per-activity models (`int_activity_hours`, `dq_activity_flags`) hold one row per
    activity — 17 per participant, millions at scale — yet a night changes a few percent of
    participants. `int_activity_input_signatures` gives each participant (and the group of
    activities without one, keyed '') a signature of everything those models read about them,
    with R entering only through the comparisons that can flip when R moves. Each model keeps
    the signatures its rows were computed from in `<model>__signatures` (one row per
    participant), so on a night:

    1. `prune_stale_participants` (pre-hook) deletes the rows whose participant's signature
       changed or vanished (a new, edited or erased record; an activity or an enrolment start
       crossing R; a participant or employer record changed);
    2. the model computes only those participants (`participants_to_compute`) and appends
       them;
    3. `record_computed_signatures` (post-hook, same transaction) brings `<model>__signatures`
       up to date by deleting and inserting the signatures that changed, so the next night
       finds what changed by comparing two tables of 100 000 rows.

    The rows themselves carry no signature (a 64-bit column on millions of rows, and a join of
    every activity with its participant's signature on a full build, for nothing the signature
    table does not say). Without that table (dropped by hand) an incremental run recomputes
    every participant: slower, same result.

    The result is the full rebuild's, row for row (tests/test_incremental.py). What the
    signature does not see — the models' own SQL, these macros, the seeds, dbt_project.yml —
    is in the fingerprint that makes the pipeline rebuild in full when it changes
    (orchestration/staging_state.py). -#}

{#- A hash of a row of expressions, the same for the same values (nulls included) on a run. -#}
{% macro row_hash(expressions) -%}
  {%- if target.type == 'postgres' -%}
    hashtextextended(cast(row({{ expressions | join(', ') }}) as text), 0)
  {%- else -%}
    hash({{ expressions | join(', ') }})
  {%- endif -%}
{%- endmacro %}

{#- An order-free signature of the rows of a group: their count and the sum of their hashes. -#}
{% macro group_signature(hash_column) -%}
  cast(count(*) as {{ dbt.type_string() }}) || ':' || cast(sum({{ hash_column }}) as {{ dbt.type_string() }})
{%- endmacro %}

{#- The group of a row: its participant, or '' for activities without one. -#}
{% macro participant_group(participant_key) -%}
  coalesce({{ participant_key }}, '')
{%- endmacro %}

{#- The table of the signatures a per-activity model's rows were computed from (post-hook). -#}
{% macro computed_signatures_relation() -%}
  {{ return(this.incorporate(path={'identifier': this.identifier ~ '__signatures'})) }}
{%- endmacro %}

{#- That table, when it exists (none on a first build, or while dbt only parses). -#}
{% macro computed_signatures() -%}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- set rel = computed_signatures_relation() -%}
  {{ return(adapter.get_relation(database=rel.database, schema=rel.schema,
                                 identifier=rel.identifier)) }}
{%- endmacro %}

{#- Pre-hook: on an incremental run, drop the rows whose group's signature changed or is gone. -#}
{% macro prune_stale_participants(signatures) %}
  {%- set computed = computed_signatures() if is_incremental() else none -%}
  {%- if computed is not none -%}
    -- keep only the participants whose signature is the one their rows were computed from
    {%- set unchanged %}
        select participant_group from (
            select participant_group, input_signature from {{ computed }}
            intersect
            select participant_group, input_signature from {{ signatures }}
        ) as unchanged
    {%- endset %}
    delete from {{ this }}
    {%- if target.type == 'postgres' %}
    -- an anti-join: PostgreSQL runs `not in (subquery)` as a subplan, rescanned for every row
    -- once the subquery outgrows work_mem (quadratic at 100 000 participants)
    where not exists (
        select 1 from ({{ unchanged }}) as kept
        where kept.participant_group = {{ participant_group(this.identifier ~ '.participant_key') }}
    )
    {%- else %}
    where {{ participant_group(this.identifier ~ '.participant_key') }} not in ({{ unchanged }})
    {%- endif %}
  {%- elif is_incremental() -%}
    -- no record of what the rows were computed from: recompute every participant
    delete from {{ this }}
  {%- else -%}
    select 1
  {%- endif -%}
{% endmacro %}

{#- Post-hook: the signatures the table now holds, for the next night's comparison: the table
    of signatures made equal to today's — those that changed or vanished (an erased person
    leaves it with the model's own rows) deleted, the new ones inserted; built whole the first
    time. A night writes the few thousand signatures that changed, not 100 000 rows. -#}
{% macro record_computed_signatures(signatures) %}
  {%- set rel = computed_signatures_relation() -%}
  {%- if computed_signatures() is none %}
    create table {{ rel }} as
    select participant_group, input_signature from {{ signatures }}
  {%- else %}
    delete from {{ rel }}
    where not exists (
        select 1 from {{ signatures }} as s
        where s.participant_group = {{ rel.identifier }}.participant_group
          and s.input_signature = {{ rel.identifier }}.input_signature
    );
    insert into {{ rel }}
    select s.participant_group, s.input_signature from {{ signatures }} as s
    where not exists (
        select 1 from {{ rel }} as kept
        where kept.participant_group = s.participant_group
          and kept.input_signature = s.input_signature
    )
  {%- endif %}
{% endmacro %}

{#- The groups to compute: all on a full build; on an incremental run, those with no row left
    after the pre-hook (changed or new). `incremental` is the model's own `is_incremental()`. -#}
{% macro participants_to_compute(signatures, incremental) -%}
  {%- set computed = computed_signatures() if incremental else none -%}
  {%- if computed is not none %}
    select participant_group, input_signature from {{ signatures }}
    except
    select participant_group, input_signature from {{ computed }}
  {%- else %}
    select s.participant_group, s.input_signature
    from {{ signatures }} as s
    {%- if incremental %}
    where not exists (
        select 1 from {{ this }} as t
        where {{ participant_group('t.participant_key') }} = s.participant_group
    )
    {%- endif %}
  {%- endif %}
{%- endmacro %}

{#- The first two CTEs of a per-activity model: `to_compute`, the groups it computes, and
    `activities`, their activities (all of them on a full build). -#}
{% macro activities_to_compute(incremental) -%}
to_compute as (
    {{ participants_to_compute(ref('int_activity_input_signatures'), incremental) }}
),

activities as (
    select u.*
    from {{ ref('int_activities_unioned') }} as u
    {%- if incremental %}
    inner join to_compute as c
        on c.participant_group = {{ participant_group('u.participant_key') }}
    {%- endif %}
)
{%- endmacro %}

{#- On an incremental run, a `where` keeping the rows of the participants computed. -#}
{% macro only_participants_to_compute(participant_key, incremental) -%}
  {%- if incremental -%}
    where {{ participant_key }} in (select participant_group from to_compute)
  {%- endif -%}
{%- endmacro %}
