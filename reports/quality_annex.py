"""The data lead's internal data-quality annex: `<internal_dir>/<YYYY-Qn>/annexe_qualite_v<N>`.

The report that is sent states each failing rule in French with its count; the data lead needs
the detail to fix the CRM: the check's key and table, and the offending records (pseudonyms,
CRM ids, spreadsheet files and rows). That detail is written here, beside the warehouse and
never inside `SEA_OUTPUT_DIR` (settings refuse an internal folder inside it), as a JSON file
(the data) and an HTML page rendered from it, one pair per delivered version.

An annex holds ids, so an erasure must reach it: `scrub_erased_from_annexes` removes from every
annex each id the deletion log names (records, and the pseudonyms of erased participants) and
renders the page again. The CRM extraction calls it after applying the night's deletions; an
annex remembers the last erasure it was scrubbed for, so a night without a new erasure costs a
glance at each file's header.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from common.quarters import Quarter
from common.warehouse import Warehouse
from connectors.pseudonyms import pseudonym
from reports.catalogue import list_labels
from reports.publication import antenna_label

STEM = "annexe_qualite"
_TOKEN = re.compile(r"[A-Za-z0-9_\-]+")
SEVERITY_FR = list_labels("check_severity")


def annex_path(internal_dir: Path, quarter: str, version: int) -> Path:
    """The HTML page of a version's annex (its data is the `.json` beside it)."""
    return Path(internal_dir) / quarter / f"{STEM}_v{version}.html"


def write_quality_annex(internal_dir: Path, *, quarter: str, version: int, as_of: str,
                        evaluated_at: str, checks: list[dict[str, Any]]) -> Path:
    """Write the annex of one delivered version; `checks` as `GateResult.annex_checks()`."""
    path = annex_path(internal_dir, quarter, version)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"quarter": quarter, "version": version, "as_of": as_of,
            "evaluated_at": evaluated_at, "scrubbed_through": None, "erased_ids_removed": 0,
            "checks": checks}
    _save(path, data)
    return path


def _save(path: Path, data: dict[str, Any]) -> None:
    path.with_suffix(".json").write_text(
        json.dumps(data, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    path.write_text(render_annex(data), encoding="utf-8")


# -- erasure ---------------------------------------------------------------------------------
def erased_identifiers(wh: Warehouse, pseudonym_key: str) -> tuple[set[str], str | None]:
    """Every id the deletion log names, with erased participants' pseudonyms, and the time of
    the latest erasure (None: nobody was ever erased)."""
    if not wh.table_exists("raw.deletion_log"):
        return set(), None
    rows = wh.fetchall("select resource, id, erased_at from raw.deletion_log")
    ids = {str(i) for _, i, _ in rows}
    ids |= {pseudonym(pseudonym_key, str(i)) for r, i, _ in rows if r == "participants"}
    latest = max((str(e) for _, _, e in rows if e is not None), default=None)
    return ids, latest


def scrub_erased_from_annexes(internal_dir: Path, erased: set[str],
                              erased_through: str | None) -> int:
    """Remove erased ids from every annex not yet scrubbed up to `erased_through`; returns
    the number of annexes rewritten."""
    if erased_through is None or not Path(internal_dir).is_dir():
        return 0
    rewritten = 0
    for data_path in sorted(Path(internal_dir).glob(f"*/{STEM}_v*.json")):
        data = json.loads(data_path.read_text(encoding="utf-8"))
        if (data.get("scrubbed_through") or "") >= erased_through:
            continue
        data["erased_ids_removed"] = int(data.get("erased_ids_removed") or 0) + _scrub(
            data["checks"], erased)
        data["scrubbed_through"] = erased_through
        _save(data_path.with_suffix(".html"), data)
        rewritten += 1
    return rewritten


def _scrub(checks: list[dict[str, Any]], erased: set[str]) -> int:
    """Drop every sample whose id or detail names an erased record or person."""
    removed = 0
    for check in checks:
        kept_ids, kept_details = [], []
        details = list(check.get("sample_details") or [])
        details += [None] * (len(check["sample_ids"]) - len(details))
        for record_id, detail in zip(check["sample_ids"], details, strict=False):
            tokens = set(_TOKEN.findall(f"{record_id} {detail or ''}"))
            if tokens & erased:
                removed += 1
                continue
            kept_ids.append(record_id)
            kept_details.append(detail)
        check["sample_ids"], check["sample_details"] = kept_ids, kept_details
    return removed


# -- the page --------------------------------------------------------------------------------
def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _antennas(pairs: Iterable[Iterable[Any]]) -> str:
    return " ; ".join(f"{antenna_label(a)} : {n}" for a, n in pairs) or "non ventilé"


def render_annex(data: dict[str, Any]) -> str:
    """The annex as one self-contained HTML page (French, for the data lead)."""
    try:
        label = Quarter.parse(data["quarter"]).label_fr
    except ValueError:
        label = data["quarter"]
    parts = [
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">",
        f"<title>Annexe interne qualité des données — {_e(label)} v{_e(data['version'])}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
        "table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #bbb;"
        "padding:.2em .5em;text-align:left;font-size:.9em}code{font-size:.9em}"
        ".warning{background:#fff3cd;padding:.7em;border:1px solid #e0c060}</style></head><body>",
        f"<h1>Annexe interne — qualité des données, {_e(label)}, "
        f"version {_e(data['version'])}</h1>",
        "<p class=\"warning\"><strong>Document interne, à ne pas diffuser.</strong> Il contient "
        "des pseudonymes et des identifiants d'enregistrements du CRM et des tableurs ; il "
        "n'est jamais joint aux livrables et il est réécrit quand une personne est effacée.</p>",
        f"<p>Données arrêtées au {_e(data['as_of'])} ; contrôle qualité du "
        f"{_e(data['evaluated_at'])}. Les identifiants de la dernière exécution du contrôle "
        "sont aussi dans l'entrepôt (table <code>marts.dq_check_failures</code>).</p>",
    ]
    if data.get("erased_ids_removed"):
        parts.append(f"<p>{_e(data['erased_ids_removed'])} identifiant(s) retiré(s) de cette "
                     "annexe après l'effacement de personnes ou d'enregistrements "
                     f"(jusqu'au {_e(data['scrubbed_through'])}).</p>")
    if not data["checks"]:
        parts.append("<p>Aucun contrôle en échec.</p>")
    for check in data["checks"]:
        shown = len(check["sample_ids"])
        parts += [
            f"<h2>{_e(check['rule'])}</h2>",
            "<table><tbody>",
            f"<tr><th>Contrôle</th><td><code>{_e(check['check'])}</code></td></tr>",
            f"<tr><th>Table</th><td><code>{_e(check['table'])}</code></td></tr>",
            f"<tr><th>Sévérité</th><td>{_e(SEVERITY_FR.get(check['severity']))}"
            f"{' (dérogation)' if check.get('waiver') else ''}</td></tr>",
            f"<tr><th>Enregistrements en échec</th><td>{_e(check['row_count'])}"
            f" ({shown} listé(s) ci-dessous)</td></tr>",
            f"<tr><th>Antennes</th><td>{_e(_antennas(check.get('antennas') or []))}</td></tr>",
            f"<tr><th>Où les retrouver</th><td><code>{_e(check['ids_location'])}</code>"
            "</td></tr>",
            "</tbody></table>",
        ]
        if check.get("error"):
            parts.append(f"<p>Contrôle impossible : {_e(check['error'])}</p>")
        if shown:
            details = list(check.get("sample_details") or []) + [None] * shown
            parts.append("<table><thead><tr><th>Identifiant (pseudonyme pour une personne ; "
                         "fichier et ligne pour un tableur)</th><th>Détail</th></tr></thead>"
                         "<tbody>")
            parts += [f"<tr><td><code>{_e(i)}</code></td><td>{_e(d)}</td></tr>"
                      for i, d in zip(check["sample_ids"], details, strict=False)]
            parts.append("</tbody></table>")
    parts.append(f"<p><small>Produit le {_e(datetime.now().strftime('%d/%m/%Y %H:%M'))}."
                 "</small></p></body></html>")
    return "\n".join(parts) + "\n"
