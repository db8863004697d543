"""Learning log, recommendations follow-up and evaluation plan, as the report shows them.

Their marts may not exist yet, so the caller passes plain DataFrames (optional). Columns are
those of the shared spreadsheets (`docs/spreadsheets.md`: `titre`, `statut`, ...); English names a
mart might use are accepted too. What is selected for a quarter is decided here, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import pandas as pd

from common.quarters import Quarter
from reports import catalogue as labels

_ALIASES = {
    "antenna": "antenne", "title": "titre", "context": "contexte", "findings": "constats",
    "lessons": "enseignements", "indicators": "indicateurs", "recommendation": "recommandation",
    "owner": "responsable", "priority": "priorite", "due_date": "echeance", "status": "statut",
    "status_date": "date_statut", "planned_start": "debut_prevu", "planned_end": "fin_prevue",
    "criteria": "criteres", "kind": "type", "entry_date": "date",
}
# Codes of the learning spreadsheets and their French labels: the `code_lists` seed, as the
# loader's allowed values and the learning marts' labels. A table cell takes the short label
# where the seed has one (`lesson_type_short`: « RETEX »), the full one otherwise.
STATUS_REC_FR = labels.list_labels("recommendation_status")
STATUS_EVAL_FR = labels.list_labels("evaluation_status")
PRIORITY_FR = labels.list_labels("priority")
_OPEN = labels.list_codes("recommendation_status_open")  # counted as open, as the marts do


@dataclass(frozen=True)
class LearningInputs:
    """Optional frames; a section is rendered only for those given."""

    learning_log: pd.DataFrame | None = None
    recommendations: pd.DataFrame | None = None
    evaluation_plan: pd.DataFrame | None = None


def _norm(df: pd.DataFrame | None) -> pd.DataFrame | None:
    if df is None:
        return None
    out = df.rename(columns=lambda c: _ALIASES.get(str(c).strip().lower(),
                                                   str(c).strip().lower()))
    return out


def _date(value: object) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        return None
    return None if pd.isna(ts) else ts.date()


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value).strip()


def _short_label(list_name: str, code: str) -> str:
    """The label of a table cell: the seed's short one, else its full one, else the code."""
    full = labels.label(list_name, code, default=code)
    return labels.label(f"{list_name}_short", code, default=full)


def _scope(r: dict) -> str:
    """« AVEC — Bordeaux »: programme and antenna by their names, as staff say them."""
    programme, antenna = _text(r.get("programme")), _text(r.get("antenne"))
    if not programme and not antenna:
        return ""
    return labels.scope_label(programme, antenna)


def learning_entries(df: pd.DataFrame | None, quarter: Quarter) -> list[dict] | None:
    """Capitalisation sheets, RETEX, workshops dated in the quarter (oldest first)."""
    df = _norm(df)
    if df is None:
        return None
    rows = []
    for r in df.to_dict("records"):
        d = _date(r.get("date"))
        if d is None or not quarter.contains(d):
            continue
        rows.append({
            "id": _text(r.get("id")), "date": d,
            "type": _short_label("lesson_type", _text(r.get("type"))),
            "scope": _scope(r),
            "titre": _text(r.get("titre")), "constats": _text(r.get("constats")),
            "enseignements": _text(r.get("enseignements")),
            "indicateurs": _text(r.get("indicateurs")),
        })
    return sorted(rows, key=lambda x: (x["date"], x["id"]))


def recommendation_followup(df: pd.DataFrame | None, quarter: Quarter) -> dict | None:
    """Open recommendations and those whose status changed in the quarter; overdue flagged."""
    df = _norm(df)
    if df is None:
        return None
    rows, counts = [], {code: 0 for code in STATUS_REC_FR}
    for r in df.to_dict("records"):
        status = _text(r.get("statut"))
        changed = _date(r.get("date_statut"))
        if status in counts:
            counts[status] += 1
        if status not in _OPEN and not (changed and quarter.contains(changed)):
            continue
        due = _date(r.get("echeance"))
        rows.append({
            "id": _text(r.get("id")), "source": _text(r.get("source_id")),
            "texte": _text(r.get("recommandation")),
            "responsable": labels.label("role", _text(r.get("responsable"))),
            "priorite": PRIORITY_FR.get(_text(r.get("priorite")), _text(r.get("priorite"))),
            "echeance": due, "statut": STATUS_REC_FR.get(status, status),
            "overdue": bool(due and due <= quarter.end and status in _OPEN),
            "date_statut": changed,
        })
    rows.sort(key=lambda x: (not x["overdue"], x["echeance"] or date.max, x["id"]))
    return {"rows": rows, "counts": {STATUS_REC_FR[c]: n for c, n in counts.items()},
            "overdue": sum(1 for r in rows if r["overdue"])}


def evaluation_status(df: pd.DataFrame | None, quarter: Quarter) -> list[dict] | None:
    """Evaluations running in the quarter, in progress, or due to start in the next two."""
    df = _norm(df)
    if df is None:
        return None
    horizon = quarter.shift(2).end
    rows = []
    for r in df.to_dict("records"):
        start, end = _date(r.get("debut_prevu")), _date(r.get("fin_prevue"))
        status = _text(r.get("statut")) or "prevue"
        overlaps = start is not None and start <= quarter.end and (end is None or
                                                                   end >= quarter.start)
        upcoming = start is not None and quarter.end < start <= horizon
        if not (overlaps or upcoming or status == "en_cours"):
            continue
        late = (status == "prevue" and start is not None and start <= quarter.end) or (
            status == "en_cours" and end is not None and end < quarter.start)
        rows.append({
            "id": _text(r.get("id")),
            "scope": _scope(r),
            "type": _short_label("evaluation_type", _text(r.get("type"))),
            "mode": _text(r.get("mode")), "debut": start, "fin": end,
            "criteres": labels.labels_of("dac_criterion", _text(r.get("criteres"))),
            "statut": STATUS_EVAL_FR.get(status, status), "late": late,
        })
    return sorted(rows, key=lambda x: (x["debut"] or date.max, x["id"]))


def fingerprint(inputs: LearningInputs | None, quarter: Quarter) -> dict:
    """What the report shows of these inputs (for deciding whether a re-run changed it)."""
    if inputs is None:
        return {}

    def plain(obj):
        if isinstance(obj, dict):
            return {k: plain(v) for k, v in obj.items()}
        if isinstance(obj, list):
            return [plain(v) for v in obj]
        return obj.isoformat() if isinstance(obj, date) else obj

    return plain({
        "learning": learning_entries(inputs.learning_log, quarter),
        "recommendations": recommendation_followup(inputs.recommendations, quarter),
        "evaluations": evaluation_status(inputs.evaluation_plan, quarter),
    })
