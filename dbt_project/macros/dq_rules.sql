{#- Where each data-quality rule lives (expectations/README.md § « Une règle, un seul endroit »):
    - a record-level rule is computed once, as `<rule>_applies` / `<rule>_failed`, in the
      dq_*_flags model of its table (models/intermediate/quality/); a rule that several tables
      share is one macro below, so its SQL is written once;
    - the gate's check of that rule (expectations/suites/*.yml: its key, severity and French
      message) reads the stored `<rule>_failed` verdict instead of computing it again;
    - this list names each scorecard rule once: (flags model, table, dimension, rule, French
      label, the gate check it mirrors — a key of expectations/suites/*.yml — or none for
      scorecard-only rules). Read by dq_record_rules (one row per record and rule) and
      dq_rule_results (counts per antenna and month); the gate reads `gate_check` back from
      dq_rule_results to split a failing check by antenna (orchestration/gate.py).
    tests/test_quality_gate.py checks both directions of the link. -#}
{% macro dq_rules() %}
  {{- return([
    ('dq_participant_flags', 'participants', 'completeness', 'sex_filled',
     'Sexe renseigné', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'completeness', 'birth_date_filled',
     'Date de naissance renseignée', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'completeness', 'nationality_filled',
     'Nationalité renseignée', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'completeness', 'protection_status_filled',
     'Statut de protection renseigné', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'completeness', 'french_level_filled',
     'Niveau de français renseigné', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'completeness', 'education_level_filled',
     'Niveau de formation renseigné', 'staging.stg_crm__participants.key_descriptors_filled'),
    ('dq_participant_flags', 'participants', 'validity', 'descriptors_in_list',
     'Descripteurs dans les listes', 'staging.stg_crm__participants.descriptors_in_list'),
    ('dq_participant_flags', 'participants', 'validity', 'optional_values_readable',
     'Dates et cases facultatives lisibles',
     'staging.stg_crm__participants.optional_values_readable'),
    ('dq_enrolment_flags', 'enrolments', 'completeness', 'exit_reason_when_ended',
     'Motif de sortie renseigné', 'staging.stg_crm__enrolments.exit_reason_when_ended'),
    ('dq_enrolment_flags', 'enrolments', 'validity', 'start_not_after_as_of',
     "Entrée non postérieure à la date d'arrêté",
     'staging.stg_crm__enrolments.start_not_after_as_of'),
    ('dq_enrolment_flags', 'enrolments', 'validity', 'plausible_age_at_entry',
     "Âge à l'entrée plausible (16 à 99 ans)",
     'staging.stg_crm__enrolments.plausible_age_at_entry'),
    ('dq_enrolment_flags', 'enrolments', 'consistency', 'end_not_before_start',
     "Sortie non antérieure à l'entrée", 'staging.stg_crm__enrolments.end_not_before_start'),
    ('dq_enrolment_flags', 'enrolments', 'consistency', 'participant_exists',
     'Participant présent', 'staging.stg_crm__enrolments.participant_exists'),
    ('dq_enrolment_flags', 'enrolments', 'consistency', 'no_overlap_in_programme',
     'Pas de parcours qui se chevauchent dans un programme',
     'staging.stg_crm__enrolments.no_overlap_in_programme'),
    ('dq_enrolment_flags', 'enrolments', 'consistency', 'found_exit_has_situation',
     'Sortie emploi/formation trouvé(e) avec une situation',
     'staging.stg_crm__enrolments.found_exit_has_situation'),
    ('dq_enrolment_flags', 'enrolments', 'timeliness', 'recorded_in_time',
     'Parcours saisi à temps', none),
    ('dq_situation_flags', 'situations', 'completeness', 'employment_has_contract',
     'Contrat renseigné pour un emploi', 'staging.stg_crm__situations.employment_has_contract'),
    ('dq_situation_flags', 'situations', 'completeness', 'training_has_type',
     'Type renseigné pour une formation', none),
    ('dq_situation_flags', 'situations', 'completeness', 'fixed_term_has_end_date',
     'Date de fin renseignée pour un CDD, intérim ou alternance', none),
    ('dq_situation_flags', 'situations', 'validity', 'start_not_after_as_of',
     "Début non postérieur à la date d'arrêté",
     'staging.stg_crm__situations.start_not_after_as_of'),
    ('dq_situation_flags', 'situations', 'consistency', 'end_not_before_start',
     'Fin non antérieure au début', 'staging.stg_crm__situations.end_not_before_start'),
    ('dq_situation_flags', 'situations', 'consistency', 'participant_exists',
     'Participant présent', 'staging.stg_crm__situations.participant_exists'),
    ('dq_situation_flags', 'situations', 'consistency', 'enrolment_id_fits',
     'Parcours indiqué cohérent', 'staging.stg_crm__situations.enrolment_id_fits'),
    ('dq_situation_flags', 'situations', 'timeliness', 'recorded_in_time',
     'Situation saisie à temps', none),
    ('dq_activity_flags', 'activities', 'completeness', 'duration_filled',
     'Durée renseignée', none),
    ('dq_activity_flags', 'activities', 'validity', 'duration_in_range',
     'Durée entre 1 et 600 minutes', 'intermediate.int_activities_unioned.duration_in_range'),
    ('dq_activity_flags', 'activities', 'validity', 'date_not_after_as_of',
     "Date non postérieure à la date d'arrêté",
     'staging.stg_crm__activities.date_not_after_as_of'),
    ('dq_activity_flags', 'activities', 'consistency', 'participant_exists',
     'Participant présent', 'staging.stg_crm__activities.participant_exists'),
    ('dq_activity_flags', 'activities', 'consistency', 'enrolment_id_fits',
     'Parcours indiqué cohérent', 'staging.stg_crm__activities.enrolment_id_fits'),
    ('dq_activity_flags', 'activities', 'consistency', 'attributable_to_enrolment',
     'Rattachable à un parcours',
     'intermediate.dq_activity_flags.attributable_to_enrolment'),
    ('dq_activity_flags', 'activities', 'timeliness', 'recorded_in_time',
     'Activité saisie à temps', none),
]) -}}
{% endmacro %}

{#- The columns that name a rule in the scorecard's tables (dq_record_rules, dq_rule_results):
    its table, dimension, code, French label and the gate check it mirrors (null when none). -#}
{% macro dq_rule_columns(table_name, dimension, rule, label, gate) -%}
    '{{ table_name }}' as table_name,
    '{{ dimension }}' as dimension,
    '{{ rule }}' as rule,
    '{{ label | replace("'", "''") }}' as rule_label_fr,
    {% if gate %}'{{ gate }}'{% else %}cast(null as varchar){% endif %} as gate_check
{%- endmacro %}

{#- The flags models, in the order of the rules. -#}
{% macro dq_flag_models() %}
  {%- set models = [] -%}
  {%- for rule in dq_rules() if rule[0] not in models -%}{%- do models.append(rule[0]) -%}{%- endfor -%}
  {{- return(models) -}}
{% endmacro %}

{#- ---- The rules several flags models share: one macro each, two columns each. ---- -#}

{#- The event is not dated after the as-of date R: what is dated later counts nowhere yet. -#}
{% macro dq_not_after_as_of(rule, date_expr) -%}
    true as {{ rule }}_applies,
    coalesce({{ date_expr }} > {{ as_of_date() }}, false) as {{ rule }}_failed
{%- endmacro %}

{#- The record does not end before it starts (such a record counts nowhere). -#}
{% macro dq_end_not_before_start(start_expr, end_expr) -%}
    true as end_not_before_start_applies,
    coalesce({{ end_expr }} < {{ start_expr }}, false) as end_not_before_start_failed
{%- endmacro %}

{#- The participant the record names is staged (`found_key`: the staged participant's key,
    left-joined, null when absent). `applies`: which records name a participant. -#}
{% macro dq_participant_exists(found_key, applies='true') -%}
    {{ applies }} as participant_exists_applies,
    {% if applies != 'true' %}{{ applies }} and {% endif %}{{ found_key }} is null
        as participant_exists_failed
{%- endmacro %}

{#- Days from the event to the `updated_at` of the first version the warehouse received
    (floored at 0), null when that version is unknown: the recording delay. -#}
{% macro dq_recording_delay(date_expr, first_updated_expr) -%}
    case when {{ first_updated_expr }} is not null
         then greatest(0, cast({{ first_updated_expr }} as date) - {{ date_expr }}) end
{%- endmacro %}

{#- Timeliness: an event dated up to R was first received at most `dq_timely_days` (dbt var,
    default 30) days after its date. -#}
{% macro dq_recorded_in_time(date_expr, first_updated_expr) -%}
    {{ first_updated_expr }} is not null and {{ date_expr }} <= {{ as_of_date() }}
        as recorded_in_time_applies,
    coalesce({{ date_expr }} <= {{ as_of_date() }}
             and cast({{ first_updated_expr }} as date) - {{ date_expr }}
                 > {{ var('dq_timely_days', 30) }}, false)
        as recorded_in_time_failed
{%- endmacro %}

{#- One of `fields` was filled in the CRM but nulled by staging (out of list, unreadable):
    `nulled_list` is `nulled_fields` wrapped in commas. -#}
{% macro dq_nulled_any(nulled_list, fields) -%}
    ({% for field in fields %}{{ nulled_list }} like '%,{{ field }},%'{{ ' or ' if not loop.last }}{% endfor %})
{%- endmacro %}
