"""The indicator catalogue as the reports use it (a dbt seed: data, not code).

Labels, types, units and directions all come from here, so a new indicator or a relabelled one
reaches the deliverables without a code change.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import pandas as pd

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
            if itype not in ("count", "sum", "rate", "median"):
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
