"""Per-version checks of CRM records, as `docs/crm-api.md` sorts them.

Three outcomes for a record version:
- *fatal* (`CRMRecordError`): no `id`, no `updated_at`, an expected field absent — the whole
  extraction stops, nothing of the page is written;
- *quarantined*: a null required field, an out-of-list closed code, a malformed open code, an
  unparseable required date, an `updated_at` after the extraction's start (plus a small
  tolerance) — the version is kept in raw and listed in `raw.crm_quarantine`,
  staging skips it;
- *accepted*: everything else (out-of-list descriptors and bad optional values are nulled and
  flagged later, in staging).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.crm.schema import OPEN_CODE_PATTERN, RESOURCES, Field, code_lists
from connectors.crm.version_identity import contract_hash, hashed_fields

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_OPEN_CODE = re.compile(OPEN_CODE_PATTERN)


#: How far past the extraction's start an `updated_at` (or `deleted_at`) may be before it is
#: taken for a CRM clock or import error: clocks drift a little, records from the future do not.
FUTURE_TOLERANCE = timedelta(minutes=5)


class CRMRecordError(ValueError):
    """A record the extraction cannot store at all (the run fails, naming it)."""


@dataclass(frozen=True)
class Problem:
    """Why one version is quarantined (one per offending field)."""

    field: str
    problem: str  # null_required | out_of_list | malformed_code | bad_date | bad_type |
    #               future_updated_at
    value: str | None
    reason: str  # French, for staff


def parse_date(value: Any) -> date | None:
    """`YYYY-MM-DD` only (the contract's form); None when it is not a real date."""
    if not isinstance(value, str) or not _DATE.match(value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def parse_timestamp(value: Any) -> datetime | None:
    """ISO-8601 to a naive UTC datetime (warehouses store UTC instants without zone)."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC).replace(tzinfo=None)
    return parsed


def payload_hash(resource: str, record: dict[str, Any]) -> str:
    """The version hash of a payload: its contract fields as raw stores them, extras left out
    (a CRM that adds a field creates no new version; see connectors/crm/version_identity.py)."""
    return contract_hash([as_text(record.get(name)) for name in hashed_fields(resource)])


def as_text(value: Any) -> str | None:
    """How a JSON value is kept in the raw text columns (typed again in staging)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def _type_ok(f: Field, value: Any) -> bool:
    if f.kind == "boolean":
        return isinstance(value, bool)
    if f.kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if f.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if f.kind == "date":
        return parse_date(value) is not None
    if f.kind == "timestamp":
        return parse_timestamp(value) is not None
    return isinstance(value, str)


def check_identity(resource: str, record: Any, where: str) -> tuple[str, datetime]:
    """Fail the extraction on a record that cannot be identified or versioned.

    The message names the page and the record's position in it, never the record's id: it ends
    up in run logs and Dagster's run history, which an erasure does not reach.
    """
    if not isinstance(record, dict):
        raise CRMRecordError(f"{where}: a {resource} record is not a JSON object")
    rid = record.get("id")
    if rid is None or (isinstance(rid, str) and not rid.strip()):
        raise CRMRecordError(f"{where}: a {resource} record has no `id`")
    stamp = parse_timestamp(record.get("updated_at"))
    if stamp is None:
        raise CRMRecordError(
            f"{where}: a {resource} record has no valid `updated_at` "
            f"(got {record.get('updated_at')!r})"
        )
    absent = [f.name for f in RESOURCES[resource] if f.name not in record]
    if absent:
        raise CRMRecordError(
            f"{where}: a {resource} record lacks expected field(s) {', '.join(absent)}"
        )
    return str(rid), stamp


def is_future_dated(stamp: datetime, started_at: datetime) -> bool:
    """True when `stamp` lies beyond the extraction's start plus the tolerance.

    Such a version is quarantined and never moves the watermark: trusting it would make every
    later run ask only for records changed after a date that has not come yet.
    """
    return stamp > started_at + FUTURE_TOLERANCE


def future_problem(stamp: datetime, started_at: datetime) -> Problem | None:
    """The quarantine line of a version dated after the extraction's start (None if sane)."""
    if not is_future_dated(stamp, started_at):
        return None
    return Problem(
        "updated_at", "future_updated_at", stamp.strftime("%Y-%m-%dT%H:%M:%SZ"),
        f"date de mise à jour dans le futur : {stamp:%d/%m/%Y %H:%M} (UTC), après le début de "
        f"l'extraction ({started_at:%d/%m/%Y %H:%M}) ; erreur d'horloge ou d'import du CRM, "
        "la version corrigée dans le CRM la remplacera")


def quarantine_problems(resource: str, record: dict[str, Any]) -> list[Problem]:
    """The reasons (possibly none) this version must not be staged."""
    lists = code_lists()
    problems: list[Problem] = []
    for f in RESOURCES[resource]:
        value = record.get(f.name)
        shown = as_text(value) if not f.personal else None
        if value is None or (isinstance(value, str) and not value.strip() and f.required):
            if f.required or (f.open_code and value is not None):
                problems.append(Problem(f.name, "null_required", shown,
                                        f"champ obligatoire vide : {f.name}"))
            continue
        if f.open_code:
            code = value.strip().upper() if isinstance(value, str) else ""
            if not _OPEN_CODE.match(code):
                problems.append(Problem(
                    f.name, "malformed_code", shown,
                    f"code mal formé pour {f.name} : {value!r} (attendu : lettres majuscules, "
                    "chiffres et _, commençant par une lettre)"))
            continue
        if f.closed_list is not None:
            allowed = lists[f.closed_list]
            if value not in allowed:
                problems.append(Problem(
                    f.name, "out_of_list", shown,
                    f"valeur hors liste pour {f.name} : {value!r} "
                    f"(attendu : {', '.join(sorted(allowed))})"))
            continue
        if f.required and not _type_ok(f, value):
            problem = "bad_date" if f.kind == "date" else "bad_type"
            expected = {"date": "une date AAAA-MM-JJ", "timestamp": "un horodatage ISO-8601",
                        "boolean": "vrai ou faux", "integer": "un nombre entier",
                        "number": "un nombre"}.get(f.kind, "un texte")
            problems.append(Problem(f.name, problem, shown,
                                    f"valeur invalide pour {f.name} : {value!r} "
                                    f"(attendu : {expected})"))
    return problems
