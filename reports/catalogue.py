"""The indicator catalogue as the reports use it (a dbt seed: data, not code).

Labels, types, units and directions all come from here, so a new indicator or a relabelled one
reaches the deliverables without a code change.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import pandas as pd

from common import code_lists
from common.code_lists import CODE_LISTS_CSV, code_labels

_SEEDS = CODE_LISTS_CSV.parent

_TRUE = {"true", "t", "1", "yes", "oui", "vrai", "x"}


def _bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return str(value).strip().lower() in _TRUE


def _text(value: object) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def _float(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


@dataclass(frozen=True)
class Indicator:
    """One row of `reference.indicator_catalogue`."""

    code: str
    label_fr: str
    level: str | None
    type: str  # count, sum, rate, median
    unit: str | None
    direction: str  # higher, lower
    source: str | None
    frequency: str | None
    owner: str | None
    baseline_value: float | None
    baseline_year: int | None
    pic: bool
    disaggregated: bool
    description_fr: str | None
    # `enrolment`: counted from the CRM's enrolments (scopes add up over antennas); `spreadsheet`:
    # from a shared spreadsheet, where a row typed TOUS / TOUTES counts in the `ALL` scope only
    scope_basis: str = "enrolment"
    axes: tuple[str, ...] = ()  # codes of the project's axes the indicator serves
    # `protected`: about persons, under the disclosure rules; `open`: the association's own
    # activity (milestones, budget…), sent exactly (docs/outputs.md#5-disclosure-control)
    disclosure: str = "protected"

    @property
    def lower_is_better(self) -> bool:
        return self.direction == "lower"


class Catalogue:
    """Indicators by code, in catalogue order."""

    def __init__(self, indicators: list[Indicator]) -> None:
        self._by_code = {i.code: i for i in indicators}

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> Catalogue:
        out = []
        for row in df.to_dict("records"):
            itype = (_text(row.get("indicator_type")) or "count").lower()
            if itype not in ("count", "sum", "rate", "median", "rank", "ratio"):
                raise ValueError(f"indicator {row.get('indicator_code')}: unknown type {itype!r}")
            year = _float(row.get("baseline_year"))
            out.append(Indicator(
                code=str(row["indicator_code"]).strip().upper(),
                label_fr=_text(row.get("label_fr")) or str(row["indicator_code"]),
                level=_text(row.get("level")),
                type=itype,
                unit=_text(row.get("unit")),
                direction=(_text(row.get("direction")) or
                           ("lower" if itype == "median" else "higher")).lower(),
                source=_text(row.get("source")),
                frequency=_text(row.get("frequency")),
                owner=_text(row.get("owner")),
                baseline_value=_float(row.get("baseline_value")),
                baseline_year=int(year) if year is not None else None,
                pic=_bool(row.get("pic")),
                disaggregated=_bool(row.get("disaggregated")),
                description_fr=_text(row.get("description_fr")),
                scope_basis=(_text(row.get("scope_basis")) or "enrolment").lower(),
                axes=tuple(a.strip().upper() for a in (_text(row.get("axes")) or "").split(";")
                           if a.strip()),
                disclosure=(_text(row.get("disclosure")) or "protected").lower(),
            ))
        return cls(out)

    def __iter__(self) -> Iterator[Indicator]:
        return iter(self._by_code.values())

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __getitem__(self, code: str) -> Indicator:
        return self._by_code[code]

    def get(self, code: str) -> Indicator | None:
        return self._by_code.get(code)

    def codes(self) -> list[str]:
        return list(self._by_code)

    def pic(self) -> list[Indicator]:
        return [i for i in self if i.pic]


# -- labels of the codes a reader meets ------------------------------------------------------------
# One source for every French label of a code (programmes, antennas, roles, DAC criteria, exit
# reasons, units, the learning sheets' statuses, the breakdown categories…): the `code_lists`
# seed, versioned with the reference data and read through `common.code_lists`, as the loaders
# read it. A code the seed does not know yet (a new antenna typed in the CRM) is shown tidied up,
# never raw or as an error.
ALL = "ALL"


def list_codes(list_name: str) -> tuple[str, ...]:
    """The allowed codes of one list, in the seed's order (e.g. the breakdown categories)."""
    return code_lists.codes(list_name)


def list_labels(list_name: str) -> dict[str, str]:
    """`{code: label_fr}` of one list, in the seed's order."""
    return code_lists.labels(list_name)


def tidy_code(code: str) -> str:
    """`NANTES` → « Nantes », `responsable_programme` → « Responsable programme »: a code
    without a label, readable but recognisably not curated."""
    text = str(code).replace("_", " ").strip()
    if text.isupper() or text.islower():
        text = text.lower()
    return text[:1].upper() + text[1:]


def label(list_name: str, code: object, default: str | None = None) -> str:
    """The French label of `code` in `list_name` ('' for an empty code)."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return ""
    key = str(code).strip()
    if not key:
        return ""
    found = code_labels().get(list_name, {}).get(key)
    if found is None:
        found = code_labels().get(list_name, {}).get(key.upper() if list_name in (
            "programme", "antenna") else key.lower())
    if found is not None:
        return found
    return default if default is not None else tidy_code(key)


def programme_label(code: object) -> str:
    """« SOCLE Femmes » for `SOCLE_FEMMES`, « Tous programmes » for `ALL` or nothing."""
    if code is None or str(code).strip() in ("", ALL):
        return label("programme", ALL)
    key = str(code).strip()
    return label("programme", key, default=key.replace("_", " "))


def antenna_label(code: object) -> str:
    """« Bordeaux » for `BORDEAUX`, « Toutes antennes » for `ALL`, `TOUTES` or nothing."""
    if code is None or str(code).strip() in ("", ALL):
        return label("antenna", ALL)
    key = str(code).strip()
    return label("antenna", key, default=key.replace("_", " ").title())


def scope_label(programme: object, antenna: object) -> str:
    """« SOCLE Femmes — Paris », « Tous programmes — Toutes antennes »."""
    return f"{programme_label(programme)} — {antenna_label(antenna)}"


def labels_of(list_name: str, codes: object, sep: str = ", ") -> str:
    """A comma-separated list of codes (`efficacite,viabilite`) as labels, joined by `sep`."""
    if codes is None or (isinstance(codes, float) and math.isnan(codes)):
        return ""
    return sep.join(label(list_name, c.strip()) for c in str(codes).split(",") if c.strip())


@cache
def axes() -> tuple[tuple[str, str], ...]:
    """The project's seven axes as (code, French name), in their order: the `axes` seed, read
    from the file like the code lists so a report never depends on a table being built."""
    with (_SEEDS / "axes.csv").open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["axis_order"]))
    return tuple((r["axis"].strip().upper(), r["label_fr"].strip()) for r in rows)


@cache
def programme_axes() -> dict[str, str]:
    """`{programme: axis}` from the programme reference seed (a programme without one: SOCLE,
    the default axis of the accompaniment programmes,
    docs/spreadsheets.md#the-spreadsheets-of-the-whole-association)."""
    with (_SEEDS / "programme_reference.csv").open(encoding="utf-8", newline="") as handle:
        return {r["programme"].strip().upper(): (r.get("axis") or "SOCLE").strip().upper()
                for r in csv.DictReader(handle)}


@cache
def dimension_labels() -> dict[str, str]:
    """`{dimension: French name}` of the breakdowns (« Sexe », « Tranche d'âge à l'entrée »):
    the `disaggregations` seed, the one home of a breakdown's name, order and value list."""
    with (_SEEDS / "disaggregations.csv").open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["sort_order"]))
    return {r["dimension"]: r["label_fr"] for r in rows}
