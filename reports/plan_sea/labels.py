"""French labels of the roles, criteria, programmes and antennas the plan and the packs show.

Roles arrive normalised by the loader (`Chargé suivi-évaluation` → `charge_suivi_evaluation`);
documents read by staff and evaluators must show them as people write them. Every label comes
from the reference data (the `code_lists` seed, read by `reports.catalogue`), the same source as
the accountability report's, so « SOCLE Femmes » is spelled alike everywhere. A role, programme
or antenna the seed does not know yet is shown from its code, tidied up (`responsable_qualite`
→ « Responsable qualite »), so a new one in a sheet or the CRM needs no code change.
"""

from __future__ import annotations

from reports import catalogue as labels


def _dac_criteria() -> dict[str, tuple[str, str]]:
    """`{code: (label, OECD-DAC question)}`, the questions as the 2019 French version puts them."""
    names = labels.code_labels().get("dac_criterion", {})
    questions = labels.code_labels().get("dac_question", {})
    return {code: (name, questions.get(code, "")) for code, name in names.items()}


DAC_CRITERIA_FR: dict[str, tuple[str, str]] = _dac_criteria()
LEVELS_FR: dict[str, str] = labels.list_labels("logframe_level")  # the logframe's levels


def direction_fr(code: str | None) -> str:
    """« plus bas = mieux » for a lower-is-better indicator; '' otherwise (higher is the rule,
    not worth a word in the plan)."""
    return labels.label("direction", "lower") if code == "lower" else ""


def axis_order_fr() -> dict[str, int]:
    """Rank of each action axis by its French label (as the marts give it), in the seed's
    order: the plan's chart lists monitoring, then evaluation, learning, communication."""
    return {label: rank for rank, label in enumerate(labels.list_labels("action_axis").values())}


def role_fr(code: str | None) -> str:
    """« Chargé·e de suivi-évaluation » for `charge_suivi_evaluation`; '' for nothing."""
    return labels.label("role", code)


def roles_fr(codes: str | None) -> str:
    """A comma-separated list of role codes, in French, joined by commas."""
    return labels.labels_of("role", codes)


def programme_fr(code: str | None) -> str:
    """Programme codes as staff say them; `ALL` is every programme."""
    return labels.programme_label(code)


def antenna_fr(code: str | None) -> str:
    """« Bordeaux »; `ALL` (or the sheets' `TOUTES`) is every antenna."""
    return labels.antenna_label(code)


def scope_fr(programme: str | None, antenna: str | None) -> str:
    """« SOCLE — Paris », « Tous programmes — Toutes antennes »."""
    return labels.scope_label(programme, antenna)
