"""The bad records the fake CRM serves on demand, one mutation per kind.

Each kind maps to one rule of ``docs/crm-api.md`` / ``docs/indicators.md`` that the pipeline must
enforce (fail the extraction, quarantine the version, stage a null and flag it, …), so a test can
prove the rule by injecting exactly one offending record. A mutation takes the JSON rendering of a
good version and returns the payload(s) to serve instead; ``orphan`` is built by the world itself
because it creates a new record rather than a new version.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from .schema import FIELDS, ds

BAD_RECORD_KINDS: tuple[str, ...] = (
    "missing_id",
    "missing_updated_at",
    "absent_field",
    "null_required",
    "bad_closed_code",
    "bad_descriptor",
    "bad_open_code",
    "impossible_date",
    "end_before_start",
    "extra_field",
    "duplicate_id",
    "orphan",
    "future_date",
    "future_updated_at",
)

#: resource used when the caller does not name one
DEFAULT_RESOURCE: dict[str, str] = {
    "missing_id": "participants",
    "missing_updated_at": "participants",
    "absent_field": "participants",
    "null_required": "enrolments",
    "bad_closed_code": "situations",
    "bad_descriptor": "participants",
    "bad_open_code": "enrolments",
    "impossible_date": "participants",
    "end_before_start": "enrolments",
    "extra_field": "participants",
    "duplicate_id": "activities",
    "orphan": "situations",
    "future_date": "activities",
    "future_updated_at": "participants",
}

#: default field per (kind, resource); a resource absent here does not support the kind
DEFAULT_FIELD: dict[str, dict[str, str]] = {
    "absent_field": {
        "participants": "email",
        "enrolments": "cohort",
        "activities": "reached",
        "situations": "rome_code",
        "employers": "naf_code",
    },
    "null_required": {
        "participants": "last_name",
        "enrolments": "programme",
        "activities": "type",
        "situations": "kind",
        "employers": "name",
    },
    "bad_closed_code": {"enrolments": "exit_reason", "activities": "type", "situations": "kind"},
    "bad_descriptor": {"participants": "sex", "employers": "size_band"},
    "bad_open_code": {"enrolments": "programme", "participants": "antenna", "employers": "antenna"},
    "impossible_date": {
        "participants": "birth_date",
        "enrolments": "start_date",
        "activities": "date",
        "situations": "start_date",
    },
    "end_before_start": {"enrolments": "end_date", "situations": "end_date"},
    "future_date": {"activities": "date", "situations": "start_date", "enrolments": "start_date"},
}

#: the out-of-list value served, per (resource, field)
BAD_VALUES: dict[tuple[str, str], Any] = {
    ("enrolments", "exit_reason"): "moved",
    ("activities", "type"): "party",
    ("situations", "kind"): "stage",
    ("situations", "contract"): "CDX",
    ("situations", "training_type"): "apprentissage",
    ("participants", "sex"): "Z",
    ("participants", "french_level"): "D9",
    ("participants", "nationality"): "AFGH",
    ("participants", "protection_status"): "asile",
    ("participants", "education_level"): "bac+2",
    ("participants", "referrer"): "internet",
    ("employers", "size_band"): "3-7",
    ("enrolments", "programme"): "so cle!",
    ("enrolments", "antenna"): "",
    ("participants", "antenna"): "",
    ("employers", "antenna"): "",
}

Mutator = Callable[[str, dict[str, Any], dict[str, Any], int], list[dict[str, Any]]]


class BadRecordError(ValueError):
    """The requested kind cannot be applied to that resource or field."""


def field_for(kind: str, resource: str, params: dict[str, Any]) -> str:
    """The field a kind alters: the caller's ``field`` or the default of the resource."""
    name = params.get("field") or DEFAULT_FIELD.get(kind, {}).get(resource)
    if name is None:
        raise BadRecordError(f"{kind} is not available for {resource}")
    if name not in FIELDS[resource] and kind != "extra_field":
        raise BadRecordError(f"{resource} has no field {name!r}")
    return name


def mutate(
    kind: str, resource: str, record: dict[str, Any], params: dict[str, Any], today: int
) -> list[dict[str, Any]]:
    """Payload(s) to serve instead of ``record`` (two for ``duplicate_id``).

    ``today`` is the world's current date ordinal, for ``future_date``.
    """
    return _MUTATORS[kind](resource, record, params, today)


def _missing_id(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    del record["id"]
    return [record]


def _missing_updated_at(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    del record["updated_at"]
    return [record]


def _absent_field(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    del record[field_for("absent_field", resource, params)]
    return [record]


def _null_required(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    record[field_for("null_required", resource, params)] = None
    return [record]


def _set_listed_value(kind: str, resource: str, record: dict, params: dict) -> str:
    name = field_for(kind, resource, params)
    if "value" in params:
        record[name] = params["value"]
    elif (resource, name) in BAD_VALUES:
        record[name] = BAD_VALUES[resource, name]
    else:
        raise BadRecordError(f"no default bad value for {resource}.{name}: pass value=")
    return name


def _bad_closed_code(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    name = _set_listed_value("bad_closed_code", resource, record, params)
    if resource == "situations" and name == "contract":
        record.update(kind="employment", training_type=None)
    elif resource == "situations" and name == "training_type":
        record.update(kind="training", contract=None)
    return [record]


def _bad_descriptor(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    _set_listed_value("bad_descriptor", resource, record, params)
    return [record]


def _bad_open_code(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    _set_listed_value("bad_open_code", resource, record, params)
    return [record]


def _impossible_date(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    name = field_for("impossible_date", resource, params)
    year = (record.get(name) or "2024")[:4]
    record[name] = params.get("value", f"{year}-02-30")
    return [record]


def _end_before_start(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    field_for("end_before_start", resource, params)
    start = date.fromisoformat(record["start_date"]).toordinal()
    record["end_date"] = ds(start - int(params.get("days", 10)))
    if resource == "enrolments" and record["exit_reason"] is None:
        record["exit_reason"] = "completed"
    return [record]


def _extra_field(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    if "field" in params:
        name, value = params["field"], params.get("value", "x")
    elif resource == "participants":
        name = "linkedin_url"
        value = params.get("value", f"https://www.linkedin.com/in/{record['id'].lower()}")
    else:
        name, value = "legacy_ref", params.get("value", f"OLD-{record['id']}")
    if name in FIELDS[resource]:
        raise BadRecordError(f"{name!r} is a known field of {resource}")
    record[name] = value
    return [record]


def _duplicate_id(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    twin = dict(record)
    if resource == "participants":
        twin["notes"] = "Doublon de saisie."
    elif resource == "enrolments":
        twin["cohort"] = f"{record['cohort'] or 'COHORTE'}-BIS"
    elif resource == "activities":
        twin["duration_minutes"] = (record["duration_minutes"] or 45) + 15
    elif resource == "situations":
        twin["hours_per_week"] = (record["hours_per_week"] or 35) - 5
    else:
        twin["name"] = f"{record['name']} (doublon)"
    return [record, twin]


def _future_date(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    name = field_for("future_date", resource, params)
    record[name] = ds(today + int(params.get("days", 30)))
    if resource in ("situations", "enrolments") and name == "start_date":
        record["end_date"] = None
        if resource == "enrolments":
            record["exit_reason"] = None
    return [record]


#: where ``future_updated_at`` puts a version by default: a CRM clock or import error
FUTURE_UPDATED_AT = "2099-01-01T00:00:00Z"


def _future_updated_at(resource: str, record: dict, params: dict, today: int) -> list[dict]:
    """The same content stamped far in the future (``at`` overrides the instant)."""
    record["updated_at"] = str(params.get("at", FUTURE_UPDATED_AT))
    return [record]


_MUTATORS: dict[str, Mutator] = {
    "missing_id": _missing_id,
    "missing_updated_at": _missing_updated_at,
    "absent_field": _absent_field,
    "null_required": _null_required,
    "bad_closed_code": _bad_closed_code,
    "bad_descriptor": _bad_descriptor,
    "bad_open_code": _bad_open_code,
    "impossible_date": _impossible_date,
    "end_before_start": _end_before_start,
    "extra_field": _extra_field,
    "duplicate_id": _duplicate_id,
    "future_date": _future_date,
    "future_updated_at": _future_updated_at,
}
