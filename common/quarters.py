"""Calendar quarters: the one value type every layer uses for them.

A quarter is written `YYYY-Qn` (T1 = Jan–Mar … T4 = Oct–Dec, see `docs/indicators.md#periods`)
in waivers, on the command line and in the deliverables' records; the Dagster partitions key it
by its first day (`2026-07-01`); staff and funders read « T3 2026 ». Keeping the spellings, the
bounds and the arithmetic in one small type stops the gate, the waivers, the schedules and the
reports from re-deriving them slightly differently. It lives in `common/` because the waivers
(`expectations`) need it as much as the reports do, and neither layer may import the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_CODE = re.compile(r"^\s*(\d{4})\s*-?\s*[QqTt]([1-4])\s*$")
_STRICT_CODE = re.compile(r"^(\d{4})-Q([1-4])$")

MONTHS_FR = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
_ORDINALS_FR = ("premier", "deuxième", "troisième", "quatrième")


@dataclass(frozen=True, order=True)
class Quarter:
    """One calendar quarter; ordered chronologically."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise ValueError(f"un trimestre est numéroté de 1 à 4, pas {self.number}")

    # -- parsing and naming --------------------------------------------------------------------
    @classmethod
    def parse(cls, text: str | Quarter) -> Quarter:
        """Read `2026-Q3` (also `2026Q3`, `2026-T3`); anything else is a clear error."""
        if isinstance(text, Quarter):
            return text
        match = _CODE.match(str(text))
        if not match:
            raise ValueError(f"« {text} » n'est pas un trimestre : écrire l'année puis le "
                             "numéro du trimestre, AAAA-Tn ou AAAA-Qn (par exemple 2026-T3)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def from_code(cls, text: str) -> Quarter:
        """Only the stored form `2026-Q3` (case and surrounding blanks aside), for files read
        by the pipeline (waivers) where a looser spelling is more likely a mistake."""
        match = _STRICT_CODE.match(str(text).strip().upper())
        if not match:
            raise ValueError(f"« {text} » n'est pas un trimestre au format AAAA-Qn "
                             "(par exemple 2026-Q3)")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def from_partition_key(cls, key: str) -> Quarter:
        """A quarterly partition key: the quarter's first day (`2026-07-01`, any day of the
        quarter is accepted) or its code (`2026-Q3`, strict as `from_code`)."""
        try:
            day = date.fromisoformat(str(key).strip()[:10])
        except ValueError:
            return cls.from_code(key)
        return cls.of(day)

    @classmethod
    def of(cls, day: date) -> Quarter:
        """The quarter that contains `day`."""
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def code(self) -> str:
        """The partition key, `2026-Q3`."""
        return f"{self.year}-Q{self.number}"

    @property
    def label_fr(self) -> str:
        """The short French label, « T3 2026 »."""
        return f"T{self.number} {self.year}"

    @property
    def long_label_fr(self) -> str:
        """« troisième trimestre 2026 »."""
        return f"{_ORDINALS_FR[self.number - 1]} trimestre {self.year}"

    @property
    def partition_key(self) -> str:
        """The Dagster partition key, the first day: `2026-07-01`."""
        return self.start.isoformat()

    def __str__(self) -> str:
        return self.code

    # -- bounds and arithmetic -----------------------------------------------------------------
    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """Last day of the quarter (inclusive, as every period of the marts)."""
        return self.shift(1).start - timedelta(days=1)

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def shift(self, quarters: int) -> Quarter:
        index = self.year * 4 + (self.number - 1) + quarters
        return Quarter(index // 4, index % 4 + 1)

    def previous(self) -> Quarter:
        return self.shift(-1)

    def next(self) -> Quarter:
        return self.shift(1)

    def year_start(self) -> date:
        return date(self.year, 1, 1)


def last_complete_quarter(before: date) -> Quarter:
    """The latest quarter that ended strictly before `before` (the default quarter to report)."""
    return Quarter.of(before).previous()


def last_quarters(quarter: Quarter | str, count: int = 8) -> list[Quarter]:
    """The `count` quarters ending with `quarter`, oldest first (the trend window)."""
    last = Quarter.parse(quarter)
    return [last.shift(-i) for i in range(count - 1, -1, -1)]


def date_fr(day: date) -> str:
    """« 1er juillet 2026 », « 15 octobre 2026 »: dates as French readers write them."""
    first = "1er" if day.day == 1 else str(day.day)
    return f"{first} {MONTHS_FR[day.month - 1]} {day.year}"
