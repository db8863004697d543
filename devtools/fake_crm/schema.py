"""Record layout of the fake CRM: field order, compact versions and their JSON rendering.

A served version is kept as a plain tuple of field values in the order of ``FIELDS`` (with
``updated_at`` — and ``created_at`` for participants — as integer epoch seconds), because a
100 000-participant world holds ~2 million of them and a tuple is the cheapest Python object
that can carry them. Versions that cannot be expressed as such a tuple (the bad records injected
on demand: a missing key, an unknown key, a wrong type) are ``Raw`` entries carrying a ready JSON
payload.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from operator import itemgetter
from typing import Any

RESOURCES: tuple[str, ...] = ("participants", "enrolments", "activities", "situations", "employers")
DELETIONS = "deletions"

FIELDS: dict[str, tuple[str, ...]] = {
    "participants": (
        "id",
        "updated_at",
        "created_at",
        "first_name",
        "last_name",
        "email",
        "phone",
        "birth_date",
        "sex",
        "nationality",
        "protection_status",
        "protection_date",
        "arrival_date",
        "french_level",
        "education_level",
        "qpv",
        "rqth",
        "referrer",
        "antenna",
        "notes",
    ),
    "enrolments": (
        "id",
        "updated_at",
        "participant_id",
        "programme",
        "antenna",
        "cohort",
        "start_date",
        "end_date",
        "exit_reason",
    ),
    "activities": (
        "id",
        "updated_at",
        "participant_id",
        "enrolment_id",
        "employer_id",
        "type",
        "date",
        "duration_minutes",
        "attended",
        "reached",
    ),
    "situations": (
        "id",
        "updated_at",
        "participant_id",
        "enrolment_id",
        "kind",
        "contract",
        "training_type",
        "start_date",
        "end_date",
        "hours_per_week",
        "rome_code",
        "employer_id",
    ),
    "employers": ("id", "updated_at", "name", "naf_code", "size_band", "antenna"),
}

#: position of each field in a version tuple, per resource
IDX: dict[str, dict[str, int]] = {
    res: {name: i for i, name in enumerate(names)} for res, names in FIELDS.items()
}

#: sort key of every served entry and deletion entry: (updated_at or deleted_at, id)
KEY = itemgetter(1, 0)

EPOCH_ORD = date(1970, 1, 1).toordinal()
DAY = 86_400

_DATE_CACHE: dict[int, str] = {}


class Raw(tuple):
    """A served version that is not a well-formed tuple: ``(sort_id, ts, payload, base)``.

    ``sort_id`` and ``ts`` place it in the (updated_at, id) order even when the payload lacks
    ``id`` or ``updated_at``; ``base`` is the good version it replaced (None for a record that
    only ever existed as a bad one), so it can be repaired or patched later.
    """

    __slots__ = ()

    @property
    def payload(self) -> dict[str, Any]:
        return self[2]

    @property
    def base(self) -> tuple | None:
        return self[3]


def ds(ordinal: int) -> str:
    """ISO date of a proleptic ordinal, cached so millions of records share a few thousand
    strings."""
    text = _DATE_CACHE.get(ordinal)
    if text is None:
        text = _DATE_CACHE[ordinal] = date.fromordinal(ordinal).isoformat()
    return text


def day_ts(ordinal: int) -> int:
    """Epoch seconds of 00:00 UTC on a date given as ordinal."""
    return (ordinal - EPOCH_ORD) * DAY


def ts_ord(ts: int) -> int:
    """Date ordinal (UTC) of an epoch-seconds instant."""
    return ts // DAY + EPOCH_ORD


def iso(ts: int) -> str:
    """ISO-8601 UTC timestamp with a ``Z``, the CRM's wire format."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def to_ts(moment: datetime) -> int:
    """Epoch seconds of an aware datetime (naive ones are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)


def render(resource: str, entry: tuple) -> dict[str, Any]:
    """JSON-ready dict of a served entry (a fresh dict: callers may mutate it)."""
    if type(entry) is Raw:
        return dict(entry[2])
    record = dict(zip(FIELDS[resource], entry, strict=True))
    record["updated_at"] = iso(entry[1])
    if resource == "participants":
        record["created_at"] = iso(entry[2])
    return record


def render_deletion(entry: tuple[str, int, str]) -> dict[str, Any]:
    """Deletion entries are ``(id, deleted_at, resource)`` tuples."""
    return {"resource": entry[2], "id": entry[0], "deleted_at": iso(entry[1])}


def entries_of(value: tuple | list) -> tuple | list:
    """The served entries of a stored value: a single version, or a list for a duplicate id."""
    return value if type(value) is list else (value,)


def good_version(value: tuple | list) -> tuple | None:
    """The well-formed version behind a stored value (None for an injected orphan)."""
    first = value[0] if type(value) is list else value
    return first[3] if type(first) is Raw else first


def current_ts(value: tuple | list) -> int:
    first = value[0] if type(value) is list else value
    return first[1]


def refs(resource: str, value: tuple | list) -> tuple[str | None, str | None]:
    """(participant_id, enrolment_id) a stored value points at, for the GDPR cascade."""
    first = value[0] if type(value) is list else value
    if type(first) is Raw:
        payload = first[2]
        pid, eid = payload.get("participant_id"), payload.get("enrolment_id")
        if resource == "enrolments":
            eid = payload.get("id", first[0])
        return pid, eid
    if resource == "enrolments":
        return first[2], first[0]
    if resource in ("activities", "situations"):
        return first[2], first[3]
    return None, None
