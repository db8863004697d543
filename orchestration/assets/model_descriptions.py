"""The French descriptions the UI shows for the dbt models, seeds and snapshot.

The dbt project documents its models in English for developers (`description:` in the YAML,
read by `dbt docs`); the Dagster UI is the data lead's cockpit, so each model gets its French
description here, keyed by model name (orchestration/assets/dbt_models.py, `get_description`).
A model without one keeps its English text, and tests/test_ui_truth.py fails on it: a new model
needs its line here.
"""

DESCRIPTIONS_FR: dict[str, str] = {
    # -- staging: one clean table per source table, the latest valid version, pseudonymised --
    "stg_crm__participants": "Participants du CRM, dernière version valide de chaque fiche, "
    "connus par leur seul pseudonyme : noms, coordonnées et notes restent dans la couche brute.",
    "stg_crm__enrolments": "Parcours (un participant dans un programme), dernière version non "
    "mise en quarantaine ; les règles de comptage s'appliquent en aval.",
    "stg_crm__activities": "Activités d'accompagnement saisies dans le CRM, dernière version non "
    "mise en quarantaine.",
    "stg_crm__situations": "Situations d'emploi, de formation ou de création d'entreprise, "
    "dernière version non mise en quarantaine.",
    "stg_crm__employers": "Entreprises, dernière version non mise en quarantaine (données "
    "d'entreprise, pas de données personnelles).",
    "stg_sheets__budget": "Lignes de budget et de dépenses, une par année, trimestre, axe, "
    "programme, antenne et financeur ; sans trimestre, la ligne vaut pour l'année.",
    "stg_sheets__capitalisation": "Journal d'apprentissage : fiches de capitalisation, RETEX, "
    "ateliers de réflexion et synthèses d'évaluation, une ligne par fiche ; courriels et "
    "numéros de téléphone masqués.",
    "stg_sheets__communication": "Actions de communication et de plaidoyer (axe 4), une ligne "
    "par action : alimente les indicateurs de communication.",
    "stg_sheets__emargements": "Présences aux ateliers des fichiers d'émargement, une fois par "
    "date, participant et atelier (le fichier modifié le plus récemment l'emporte).",
    "stg_sheets__financements": "Financeurs et conventions, une ligne par convention : "
    "programmes, antennes, axes, indicateurs suivis et période couverte.",
    "stg_sheets__jalons": "Jalons des axes suivis par jalons (innovation, SEA, coordination, "
    "essaimage), une ligne par jalon ; un jalon « atteint » a toujours sa date réelle.",
    "stg_sheets__objectifs": "Objectifs des fichiers « objectifs » (doublons contradictoires en "
    "quarantaine, doublons identiques gardés une fois).",
    "stg_sheets__plan_action": "Plan d'action SEA (chronogramme), une ligne par action ; une "
    "action qui finit avant de commencer est écartée et signalée.",
    "stg_sheets__plan_evaluation": "Plan d'évaluation, une ligne par évaluation ; une évaluation "
    "dont la fin prévue précède le début est écartée et signalée.",
    "stg_sheets__recommandations": "Recommandations et leur statut actuel, une ligne par "
    "recommandation ; l'historique des statuts vient de l'instantané pris à chaque "
    "actualisation.",
    "stg_sheets__retours": "Retours et réclamations, une ligne par retour, sans leur texte libre ; "
    "les signalements sensibles sont rattachés à toute l'association.",
    "stg_sheets__satisfaction": "Réponses anonymes aux questionnaires de satisfaction, sans "
    "commentaire libre ni identifiant de personne.",
    "stg_sheets__suivi_post_parcours": "Appels de l'enquête de suivi après la sortie, une ligne "
    "par appel.",
    "stg_sheets__temoignages": "Témoignages publiables : seulement ceux avec un consentement "
    "écrit et daté ; un consentement retiré retire la ligne à l'actualisation suivante.",
    # -- intermediate: the counting rules and the data-quality flags --
    "dq_activity_flags": "Pour chaque activité (CRM ou émargement), les règles de qualité qui "
    "s'appliquent, celles en échec, et le délai de saisie.",
    "dq_enrolment_flags": "Pour chaque parcours, les règles de qualité qui s'appliquent, celles "
    "en échec, et le délai de saisie de l'entrée.",
    "dq_participant_flags": "Pour chaque participant, les règles de qualité qui s'appliquent et "
    "celles en échec.",
    "dq_situation_flags": "Pour chaque situation du CRM, les règles de qualité qui s'appliquent, "
    "celles en échec, et le délai de saisie de son début.",
    "dq_record_rules": "Chaque couple (enregistrement, règle de qualité) avec le libellé de la "
    "règle, sa dimension et si l'enregistrement la respecte (vue).",
    "int_active_enrolments": "File active (ACT) par périmètre, période et ventilation : parcours "
    "entrés avant la fin de la période et non sortis avant son début.",
    "int_activities_unioned": "Toutes les activités d'accompagnement, du CRM et des émargements "
    "(le CRM l'emporte pour un même atelier le même jour).",
    "int_activity_hours": "Heures d'accompagnement (HRS) par parcours compté et par mois.",
    "int_activity_input_signatures": "Empreinte, par participant, de ce que lisent les modèles "
    "incrémentaux des activités : seuls les participants modifiés sont recalculés.",
    "int_distinct_counts": "Comptes distincts par périmètre et période : participants entrés "
    "(ENT_P) et entreprises engagées (EMP_ENG).",
    "int_employer_engagements": "Événements entreprises derrière EMP_ENG : jobdatings, visites "
    "et actions de sensibilisation, avec l'antenne de l'entreprise.",
    "int_employment_delays": "Délai médian d'accès à l'emploi (DELAI_EMPLOI) par périmètre, "
    "période et ventilation.",
    "int_employment_survival": "Temps de l'entrée au premier emploi de chaque parcours compté, "
    "pour la courbe de Kaplan–Meier.",
    "int_enrolment_outcomes": "Résultats de chaque parcours compté : à la sortie et à 6 mois "
    "(meilleure situation trouvée dans la fenêtre).",
    "int_enrolments_counted": "Parcours comptés dans les indicateurs, avec l'âge à l'entrée et "
    "la valeur de chaque ventilation.",
    "int_enrolments_status": "Chaque parcours et s'il compte dans les indicateurs (participant "
    "inconnu, dates incohérentes, etc. : écarté avec le motif).",
    "int_followup_contacts": "Contacts de suivi aboutis (CRM et enquête de suivi), vue.",
    "int_followup_contacts_counted": "Contacts de suivi aboutis de participants connus, datés "
    "au plus tard à la date d'arrêté : base du suivi à 6 mois.",
    "int_indicator_association": "Indicateurs de l'association entière (tableurs de "
    "communication, jalons, satisfaction, retours) par période, périmètre et ventilation.",
    "int_indicator_association_records": "Lignes de tableurs lues par les indicateurs de "
    "l'association, avec leur périmètre.",
    "int_indicator_association_scopes": "Périmètres pour lesquels chaque indicateur issu des "
    "tableurs est publié.",
    "int_indicator_costs": "Coûts par participant et par sortie dynamique (COUT_PART, COUT_SD) "
    "par périmètre et période.",
    "int_indicator_monthly": "Contribution des enregistrements aux indicateurs additifs, par "
    "programme, antenne, mois et ventilation.",
    "int_indicator_period_measures": "Mesures additives agrégées par périmètre de publication et "
    "par période.",
    "int_indicator_period_values": "Toutes les valeurs calculées, par indicateur, période, "
    "périmètre et ventilation.",
    "int_indicator_scopes": "Périmètres pour lesquels chaque indicateur du catalogue est publié.",
    "int_indicator_totals": "Lignes « total » du mart des indicateurs : chaque indicateur du "
    "catalogue pour chaque période et périmètre, avec cibles et atteinte.",
    "int_indicator_values": "Valeurs du mart des indicateurs : les totaux et les lignes "
    "ventilées dont la population est non nulle.",
    "int_period_months": "Correspondance entre chaque mois et les périodes qui le contiennent "
    "(mois, trimestre, année, cumul de l'année).",
    "int_periods": "Périodes de publication : mois, trimestres et années depuis le début du "
    "projet jusqu'à la date d'arrêté.",
    "int_programme_ancestry": "Pour chaque programme, lui-même et les programmes au-dessus de "
    "lui (un programme parent couvre ses sous-programmes).",
    "int_scope_map": "Pour chaque couple programme × antenne, les périmètres de publication "
    "dans lesquels il compte.",
    "int_situations_classified": "Chaque situation (CRM et enquête de suivi) avec sa classe de "
    "résultat et si elle compte.",
    "int_situations_unioned": "Situations du CRM et de l'enquête de suivi réunies (le CRM "
    "l'emporte), vue.",
    "int_targets": "Objectifs du tableur « objectifs », normalisés (codes, TOUS → ALL, taux en "
    "pourcentage).",
    # -- marts: what readers, reports and the dashboard use --
    "action_plan": "Plan d'action SEA : une ligne par action avec son axe, ses responsables, "
    "sa fenêtre, son statut et où elle en est à la date d'arrêté.",
    "budget_lines": "Lignes de budget et de dépenses du tableur « budget » : ce que somment "
    "l'exécution budgétaire et les coûts.",
    "cohorts": "Cohortes d'entrée par trimestre et périmètre, suivies jusqu'à la date d'arrêté : "
    "actifs, sorties, abandons, résultats à la sortie et à 6 mois.",
    "data_quality_scorecard": "Tableau de bord qualité par antenne et par mois : contrôles "
    "appliqués et en échec par dimension, taux de réussite, délai de saisie, rejets.",
    "dq_issues": "Liste des corrections à faire derrière le tableau de bord qualité : une ligne "
    "par enregistrement et règle non respectée, avec l'identifiant pour le retrouver dans "
    "le CRM.",
    "dq_quarantine": "Ce qui n'a pas pu être chargé, compté par antenne et par mois : "
    "enregistrements du CRM en quarantaine et lignes de tableurs refusées.",
    "dq_rule_results": "Qualité par règle : pour chaque antenne, mois, table et règle, les "
    "enregistrements concernés et ceux en défaut.",
    "evaluation_calendar": "Calendrier des évaluations : une ligne par évaluation et par mois de "
    "sa fenêtre prévue, pour les diagrammes de Gantt.",
    "evaluation_lessons": "Entrées du journal d'apprentissage qui nourrissent chaque évaluation "
    "et son dossier de preuves.",
    "evaluation_plan": "Plan d'évaluation : une ligne par évaluation avec ses critères CAD-OCDE, "
    "ses questions, ses indicateurs, son statut et son échéance.",
    "evaluation_plan_criteria": "Critères CAD-OCDE de chaque évaluation, un par ligne.",
    "evaluation_plan_indicators": "Indicateurs rattachés à chaque évaluation, un par ligne.",
    "evaluation_plan_questions": "Questions évaluatives de chaque évaluation, une par ligne.",
    "evaluation_recommendations": "Recommandations qui nourrissent chaque évaluation et son "
    "dossier de preuves, avec leur provenance.",
    "funder_grants": "Financeurs et conventions du tableur « financements » : période, "
    "programmes, antennes et axes couverts, montant, indicateurs suivis, fréquence des "
    "rapports.",
    "funder_targets": "Objectifs propres à un financeur (lignes « objectifs » avec un "
    "financeur), pour son seul rapport.",
    "funder_year_to_date": "Pour chaque objectif annuel d'un financeur, la valeur cumulée depuis "
    "le 1er janvier à la fin de chaque trimestre.",
    "indicator_baselines": "Valeur de référence de chaque indicateur par périmètre : celle du "
    "catalogue, sinon la valeur de l'année 2020.",
    "indicator_values": "Le mart des indicateurs : une ligne par indicateur, période, périmètre "
    "et ventilation, calculée à la date d'arrêté, avec cibles et atteinte.",
    "learning_log": "Journal d'apprentissage : fiches de capitalisation, RETEX, ateliers de "
    "réflexion et synthèses d'évaluation, avec leur périmètre et leurs recommandations.",
    "learning_log_indicators": "Indicateurs concernés par chaque entrée du journal "
    "d'apprentissage, un par ligne.",
    "learning_sheet_issues": "Lignes des tableurs d'apprentissage lues mais non retenues "
    "(doublons, dates incohérentes, source introuvable), avec le motif.",
    "participant_journeys": "Un parcours compté par ligne, pseudonymisé : programme, antenne, "
    "dates, sortie, ventilations, heures reçues et résultats. Pour l'analyse détaillée, "
    "jamais publié tel quel.",
    "published_testimonies": "Témoignages publiables, avec un consentement écrit et daté ; un "
    "consentement retiré les retire.",
    "recommendation_status_history": "Historique des statuts de chaque recommandation, tiré de "
    "l'instantané pris à chaque actualisation.",
    "recommendations": "Suivi des recommandations : source, statut et depuis quand, retards et "
    "échéances à la date d'arrêté.",
    "recommendations_by_quarter": "Suivi des recommandations par trimestre : réalisées et "
    "abandonnées dans le trimestre, ouvertes et en retard à sa fin.",
    "time_to_employment": "Estimation de Kaplan–Meier du temps de l'entrée au premier emploi, "
    "par programme, par pas de 30 jours.",
    # -- reference: the seeds, versioned with the code --
    "age_bands": "Tranches d'âge de la ventilation par âge (âge à l'entrée en parcours).",
    "axes": "Les sept axes du projet PIC d'AERé, qui couvrent toute son activité.",
    "code_lists": "Toutes les listes fermées et les libellés français des codes (CRM et "
    "tableurs) réunis en un seul endroit.",
    "disaggregations": "Ventilations du mart des indicateurs et leurs libellés français.",
    "indicator_catalogue": "Catalogue des indicateurs du cadre de redevabilité : type de calcul, "
    "unité, périodicité, valeur de référence.",
    "level_bands": "Tranches du niveau de français (CECRL) et du niveau d'études.",
    "logframe": "Cadre logique d'AERé : objectif global, objectifs spécifiques, résultats "
    "attendus et activités, avec leurs indicateurs, sources de vérification et hypothèses.",
    "neutral_exit_reasons": "Motifs de sortie neutres (par défaut aucun), retirés du numérateur "
    "et du dénominateur des indicateurs de sortie.",
    "programme_reference": "Hiérarchie des programmes : un programme couvre ses "
    "sous-programmes (SOCLE couvre SOCLE_FEMMES).",
    "sea_parameters": "Paramètres chiffrés et dates des règles de calcul des indicateurs, en "
    "données : on les change ici, pas dans le SQL.",
    "situation_class_mapping": "Règles qui classent une situation d'emploi, de formation ou de "
    "création d'entreprise dans une classe de résultat.",
    "situation_classes": "Classes de résultat et leur rang : la meilleure classe des situations "
    "trouvées est le résultat du parcours.",
    # -- snapshots: history that cannot be rebuilt --
    "recommendation_status_snapshot": "Historique des statuts du tableur « recommandations », "
    "pris à chaque actualisation : ne peut pas être reconstruit, à sauvegarder.",
}
