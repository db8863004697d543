"""The CRM resources as data: which fields each record carries and what each must hold.

The validator, the raw table layout and the documentation all read this one description, so a
field added to the contract is added here once. Closed lists come from the dbt seed
`code_lists.csv` (read through `common.code_lists`), which the staging models use too: one
list, every reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from common.code_lists import code_labels

OPEN_CODE_PATTERN = r"^[A-Z][A-Z0-9_]*$"


@dataclass(frozen=True)
class Field:
    """One field of a CRM resource.

    kind: `string`, `date`, `timestamp`, `boolean`, `integer`, `number`.
    required: a null sends the version to quarantine.
    closed_list: an out-of-list value sends the version to quarantine (required or not).
    descriptor_list: an out-of-list value is staged as null and flagged (done in staging).
    open_code: programme/antenna: any `^[A-Z][A-Z0-9_]*$` after trim + upper flows through.
    personal: names, contacts, free text: never beyond the raw layer.
    """

    name: str
    kind: str = "string"
    required: bool = False
    closed_list: str | None = None
    descriptor_list: str | None = None
    open_code: bool = False
    personal: bool = False


def _f(name: str, kind: str = "string", **kw: object) -> Field:
    return Field(name, kind, **kw)  # type: ignore[arg-type]


RESOURCES: dict[str, tuple[Field, ...]] = {
    "participants": (
        _f("id", required=True),
        _f("updated_at", "timestamp", required=True),
        _f("created_at", "timestamp", required=True),
        _f("first_name", required=True, personal=True),
        _f("last_name", required=True, personal=True),
        _f("email", personal=True),
        _f("phone", personal=True),
        _f("birth_date", "date"),
        _f("sex", descriptor_list="sex"),
        _f("nationality", descriptor_list="nationality"),
        _f("protection_status", descriptor_list="protection_status"),
        _f("protection_date", "date"),
        _f("arrival_date", "date"),
        _f("french_level", descriptor_list="french_level"),
        _f("education_level", descriptor_list="education_level"),
        _f("qpv", "boolean"),
        _f("rqth", "boolean"),
        _f("referrer", descriptor_list="referrer"),
        _f("antenna", required=True, open_code=True),
        _f("notes", personal=True),
    ),
    "enrolments": (
        _f("id", required=True),
        _f("updated_at", "timestamp", required=True),
        _f("participant_id", required=True),
        _f("programme", required=True, open_code=True),
        _f("antenna", required=True, open_code=True),
        _f("cohort"),
        _f("start_date", "date", required=True),
        _f("end_date", "date"),
        _f("exit_reason", closed_list="exit_reason"),
    ),
    "activities": (
        _f("id", required=True),
        _f("updated_at", "timestamp", required=True),
        _f("participant_id"),
        _f("enrolment_id"),
        _f("employer_id"),
        _f("type", required=True, closed_list="activity_type"),
        _f("date", "date", required=True),
        _f("duration_minutes", "integer"),
        _f("attended", "boolean", required=True),
        _f("reached", "boolean"),
    ),
    "situations": (
        _f("id", required=True),
        _f("updated_at", "timestamp", required=True),
        _f("participant_id", required=True),
        _f("enrolment_id"),
        _f("kind", required=True, closed_list="situation_kind"),
        _f("contract", closed_list="contract"),
        _f("training_type", closed_list="training_type"),
        _f("start_date", "date", required=True),
        _f("end_date", "date"),
        _f("hours_per_week", "number"),
        _f("rome_code"),
        _f("employer_id"),
    ),
    "employers": (
        _f("id", required=True),
        _f("updated_at", "timestamp", required=True),
        _f("name", required=True),
        _f("naf_code"),
        _f("size_band", descriptor_list="size_band"),
        _f("antenna", required=True, open_code=True),
    ),
}

DELETION_FIELDS = ("resource", "id", "deleted_at")

# The order the nightly refresh extracts them: referenced records first.
RESOURCE_ORDER = ("participants", "employers", "enrolments", "situations", "activities")


def raw_table(resource: str) -> str:
    return f"raw.crm_{resource}"


def field_names(resource: str) -> list[str]:
    return [f.name for f in RESOURCES[resource]]


@cache
def code_lists() -> dict[str, frozenset[str]]:
    """The closed lists of the contract, read from the dbt seed shared with staging."""
    return {name: frozenset(codes) for name, codes in code_labels().items()}
