"""French labels of the roles and codes staff type in the learning spreadsheets.

Roles arrive normalised by the loader (`Chargé suivi-évaluation` → `charge_suivi_evaluation`);
documents read by staff and evaluators must show them as people write them. Known roles are
listed here; any other role is shown from its code (`responsable_programme` → « Responsable
programme »), so a new role in a sheet needs no code change.
"""

from __future__ import annotations

ROLES_FR: dict[str, str] = {
    "direction": "Direction",
    "charge_suivi_evaluation": "Chargé·e de suivi-évaluation",
    "responsable_antenne": "Responsable d'antenne",
    "charge_d_accompagnement": "Chargé·e d'accompagnement",
    "charge_accompagnement": "Chargé·e d'accompagnement",
    "charges_d_accompagnement": "Chargé·es d'accompagnement",
    "charge_relations_entreprises": "Chargé·e de relations entreprises",
    "responsable_programme": "Responsable de programme",
    "evaluateur_externe": "Évaluateur·rice externe",
    "comite_de_pilotage": "Comité de pilotage",
}

DAC_CRITERIA_FR: dict[str, tuple[str, str]] = {
    # code: (label, the OECD-DAC question, as the 2019 French version of the criteria puts it)
    "pertinence": ("Pertinence", "L'intervention répond-elle aux besoins ?"),
    "coherence": ("Cohérence", "L'intervention est-elle compatible avec les autres "
                  "interventions menées ?"),
    "efficacite": ("Efficacité", "L'intervention atteint-elle ses objectifs ?"),
    "efficience": ("Efficience", "Les ressources sont-elles utilisées de façon optimale ?"),
    "impact": ("Impact", "Quelle différence l'intervention fait-elle ?"),
    "viabilite": ("Viabilité", "Les bénéfices seront-ils durables ?"),
}


def role_fr(code: str | None) -> str:
    """« Chargé·e de suivi-évaluation » for `charge_suivi_evaluation`; '' for nothing."""
    if not code:
        return ""
    code = str(code).strip()
    if code in ROLES_FR:
        return ROLES_FR[code]
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def roles_fr(codes: str | None) -> str:
    """A comma-separated list of role codes, in French, joined by commas."""
    if not codes:
        return ""
    return ", ".join(role_fr(c) for c in str(codes).split(",") if c.strip())


def programme_fr(code: str | None) -> str:
    """Programme codes as staff say them; `ALL` is every programme."""
    if not code or code == "ALL":
        return "Tous programmes"
    return {"SOCLE_FEMMES": "SOCLE Femmes"}.get(code, code)


def antenna_fr(code: str | None) -> str:
    if not code or code == "ALL":
        return "Toutes antennes"
    return code[:1].upper() + code[1:].lower()


def scope_fr(programme: str | None, antenna: str | None) -> str:
    """« SOCLE — Paris », « Tous programmes — Toutes antennes »."""
    return f"{programme_fr(programme)} — {antenna_fr(antenna)}"
