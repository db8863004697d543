"""The few current figures the guide and the training deck quote, read from the published state
(what readers and the dashboard see, never the warehouse being written), with their date.

Organisation-level counts of the last complete quarter only, under the primary disclosure rule
(a count of 1..k-1 shows as « < k »): the guide is internal, but a sentence copied from it into
an e-mail must not carry a small count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from common.quarters import Quarter, date_fr, last_complete_quarter
from reports.formatting import number

# (indicator code, French phrase) quoted by the guide, in this order
QUOTED = (("ACT", "parcours suivis (file active)"), ("ENT_P", "personnes entrées"))


@dataclass(frozen=True)
class CurrentFigures:
    """What the published state says for the last complete quarter, organisation level."""

    as_of: date
    published_on: date | None
    quarter: Quarter
    values: dict[str, float | None]  # indicator code -> exact value in the published mart
    shown: dict[str, str]  # indicator code -> as printed
    k: int

    @property
    def date_line(self) -> str:
        """« données arrêtées au 20 novembre 2026, publiées le 21 novembre 2026 »."""
        line = f"données arrêtées au {date_fr(self.as_of)}"
        if self.published_on:
            line += f", publiées le {date_fr(self.published_on)}"
        return line


def _shown(value: float | None, k: int) -> str:
    if value is None or pd.isna(value):
        return "non disponible"
    if 0 < value < k:
        return f"< {k}"
    return number(value, 0)


def read_current_figures(warehouse: str, published: str, k: int) -> CurrentFigures | None:
    """The quoted figures, or None when nothing was published yet (first night, or a
    publication withheld since the start): the documents then say so instead of a number."""
    from reports.dashboard import DashboardError, _Published

    try:
        pub = _Published(warehouse, published)
    except DashboardError:
        return None
    try:
        if not pub.has("publication") or not pub.has("indicator_values"):
            return None
        as_of, published_at = pub.rows("select as_of, published_at from {t}publication")[0]
        as_of = pd.Timestamp(as_of).date()
        quarter = last_complete_quarter(as_of)
        codes = ", ".join(f"'{code}'" for code, _ in QUOTED)
        rows = pub.rows(
            "select indicator_code, value from {t}indicator_values where period_type = "
            f"'quarter' and period_start = date '{quarter.start.isoformat()}' and programme = "
            f"'ALL' and antenna = 'ALL' and dimension = 'total' and indicator_code in ({codes})")
    finally:
        pub.close()
    values = {code: None for code, _ in QUOTED}
    values.update({code: None if value is None else float(value) for code, value in rows})
    return CurrentFigures(
        as_of=as_of,
        published_on=pd.Timestamp(published_at).date() if published_at is not None else None,
        quarter=quarter, values=values,
        shown={code: _shown(value, k) for code, value in values.items()}, k=k)
