"""The protected figures of an evidence pack.

An evidence pack leaves AERé, and the same figures also reach funders in the quarterly reports.
Two publications protected differently could be combined to recompute a withheld figure, so the
quarterly figures here are taken from the quarterly deliverables' own protection
(`reports.publication.build_publication`, deterministic): every quarter cell shows exactly what
the accountability report shows or would show for that quarter, including its `< k` and `s`.
Only complete quarters are shown (a partial quarter could be differenced against the full one
published later).

The one new figure is the pooled row of the cohort table ("ensemble de la période"), a sum of
the quarters. It is protected with the quarters as its parts; when publishing it would force a
quarter to be withheld that the quarterly report shows, the pooled figure is withheld instead,
so the pack never shows less than the report nor anything that recomputes what it withholds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import pandas as pd

from common.quarters import Quarter
from reports.catalogue import Catalogue, Indicator
from reports.disclosure import Cell, Group, PublishedValue, Suppressed, protect, publish
from reports.formatting import by_kind
from reports.publication import ALL, Figure, Publication, antenna_label, programme_label

EXIT_RATES = ("SD_SORTIE", "ED_SORTIE", "EMP_SORTIE", "SP_SORTIE")
SIX_MONTH_RATES = ("SD_6M", "SUIVI_6M")
EXITS = "SOR"
DELAY = "DELAI_EMPLOI"
POOLED = "pooled"


@dataclass
class Point:
    """One quarter of one indicator as published."""

    quarter: Quarter
    figure: Figure | None

    @property
    def value(self) -> float | None:
        """The plotted value: None when withheld or not computable (a gap in the chart)."""
        fig = self.figure
        if fig is None or isinstance(fig.value, Suppressed) or fig.value is None:
            return None
        return float(fig.value)


@dataclass
class Series:
    """An indicator over the pack's quarters for the evaluation's scope (or the closest one
    the indicator is computed for, e.g. employers are counted for all programmes)."""

    indicator: Indicator
    programme: str
    antenna: str
    points: list[Point]
    note: str | None = None

    def display(self, point: Point) -> str:
        if point.figure is None:
            return "–"
        return point.figure.display(self.indicator.unit)

    def target_display(self, point: Point) -> str:
        """The target in the quarter's column (an annual one is marked with the star of the
        year to date, or applies to the quarter as it is for a rate or a median)."""
        fig = point.figure
        if fig is None or fig.target is None:
            return ""
        # rate targets are in % (docs/indicators.md#9-targets-and-achievement)
        if self.indicator.type == "rate":
            return by_kind(fig.target / 100, "rate")
        return by_kind(fig.target, self.indicator.type, self.indicator.unit)

    def target_number(self, point: Point) -> float | None:
        """The target on the value's scale (rates as fractions), for a number cell."""
        fig = point.figure
        if fig is None or fig.target is None:
            return None
        return fig.target / 100 if self.indicator.type == "rate" else float(fig.target)

    def achievement_display(self, point: Point) -> str:
        fig = point.figure
        if fig is None or fig.target is None:
            return ""
        text = fig.achievement_display()
        return f"{text} (cumul annuel)" if fig.ytd and not isinstance(
            fig.achievement, Suppressed) else text

    def achievement_short(self, point: Point) -> str:
        """Achievement for a narrow cell: a year-to-date one is starred (see the footnote)."""
        fig = point.figure
        if fig is None or fig.target is None:
            return ""
        text = fig.achievement_display()
        return text + "*" if fig.ytd and not isinstance(fig.achievement, Suppressed) else text

    def status_label(self, point: Point) -> str:
        """The status of the target, as the legend of `reports.targets` defines it."""
        fig = point.figure
        found = fig.target_status(point.quarter.number) if fig is not None else None
        return found.label if found is not None else ""

    def status_css(self, point: Point) -> str:
        fig = point.figure
        found = fig.target_status(point.quarter.number) if fig is not None else None
        return found.css if found is not None else ""

    @property
    def has_ytd(self) -> bool:
        return any(p.figure is not None and p.figure.ytd and p.figure.target is not None
                   for p in self.points)

    @property
    def mostly_withheld(self) -> bool:
        """More than half of the quarters withheld: worth a word to the reader."""
        withheld = sum(1 for p in self.points
                       if p.figure is not None and isinstance(p.figure.value, Suppressed))
        return withheld * 2 > len(self.points)

    def targets(self) -> list[float | None]:
        """Targets on the value's scale, for the chart (rates as fractions)."""
        out = []
        for p in self.points:
            t = p.figure.target if p.figure is not None else None
            if t is not None and p.figure is not None and p.figure.ytd:
                t = None  # an annual target is not comparable with one quarter's value
            out.append(None if t is None else (t / 100 if self.indicator.type == "rate" else t))
        return out

    @property
    def has_targets(self) -> bool:
        """Targets to draw (quarterly targets, or annual ones for rates and medians)."""
        return any(t is not None for t in self.targets())

    @property
    def shows_targets(self) -> bool:
        """Whether the table needs target and achievement columns."""
        return any(p.figure is not None and p.figure.target is not None for p in self.points)


def _wider_scope(programme: str, antenna: str) -> str:
    """« tous programmes — Paris », « tous programmes, toutes antennes »: the scope a series
    falls back to, in the middle of a sentence, named by the reference data's labels."""
    def inline(text: str) -> str:
        return text[:1].lower() + text[1:]

    text = inline(programme_label(ALL)) if programme == ALL else programme_label(programme)
    if antenna == ALL:
        return f"{text}, {inline(antenna_label(ALL))}"
    return f"{text} — {antenna_label(antenna)}"


def series_for(pub: Publication, indicator: Indicator, quarters: Sequence[Quarter],
               programme: str, antenna: str) -> Series:
    """The indicator's published figures for the scope; falls back to wider scopes when the
    indicator is not computed for this one (EMP_ENG exists for programme ALL only)."""
    candidates = [(programme, antenna), (ALL, antenna), (ALL, ALL)]
    for p, a in dict.fromkeys(candidates):
        points = [Point(q, pub.figure(indicator.code, q, p, a)) for q in quarters]
        if any(pt.figure is not None for pt in points):
            note = None
            if (p, a) != (programme, antenna):
                note = f"Indicateur non calculé pour ce périmètre : valeurs {_wider_scope(p, a)}."
            return Series(indicator, p, a, points, note)
    return Series(indicator, programme, antenna, [Point(q, None) for q in quarters],
                  "Aucune valeur dans l'entrepôt pour cet indicateur.")


# -- the cohort table --------------------------------------------------------------------------
@dataclass
class CohortTable:
    """Exits per quarter with their outcome rates at exit and at 6 months, plus the pooled row.

    `cells[(column, row)]` is the published value of one cell: a rate (fraction), a count, a
    `Suppressed` marker, or None (not computable). Rows are quarter codes, then `pooled`.
    """

    columns: list[tuple[str, str, str]]  # (indicator code, French header, kind)
    rows: list[tuple[str, str]]  # (row key, French label)
    cells: dict[tuple[str, str], PublishedValue] = field(default_factory=dict)

    def exit_columns(self) -> list[tuple[str, str, str]]:
        return [c for c in self.columns if c[0] not in SIX_MONTH_RATES]

    def six_month_columns(self) -> list[tuple[str, str, str]]:
        return [c for c in self.columns if c[0] in SIX_MONTH_RATES]

    def display(self, column: str, row: str) -> str:
        kind = next(k for c, _, k in self.columns if c == column)
        value = self.cells.get((column, row))
        if isinstance(value, Suppressed):
            return value.display()
        if value is None:
            return "–"
        return by_kind(value, kind)


def _exact(indicators: pd.DataFrame, code: str, quarters: Sequence[Quarter], programme: str,
           antenna: str) -> dict[str, tuple[float, float, float]]:
    """(value, numerator, denominator) per quarter code, exact, from the mart rows."""
    rows = indicators[(indicators["indicator_code"] == code)
                      & (indicators["programme"] == programme)
                      & (indicators["antenna"] == antenna)
                      & (indicators["dimension"] == "total")]
    out: dict[str, tuple[float, float, float]] = {}
    wanted = {q.code for q in quarters}
    for r in rows.itertuples(index=False):
        if r.quarter in wanted:
            out[r.quarter] = tuple(0.0 if v is None or (isinstance(v, float) and math.isnan(v))
                                   else float(v) for v in (r.value, r.numerator, r.denominator))
    return out


def _pooled(kind: str, quarter_cells: dict[str, Cell], published: dict[str, Figure | None],
            k: int, force_total: bool) -> PublishedValue:
    """Protect `pooled = sum of the quarters`; see the module docstring for the rule."""
    if kind == "count":
        total = Cell(sum(c.value or 0.0 for c in quarter_cells.values()), force=force_total)
    else:
        num = sum(c.numerator or 0.0 for c in quarter_cells.values())
        den = sum(c.denominator or 0.0 for c in quarter_cells.values())
        total = Cell(num / den if den else None, numerator=num, denominator=den,
                     force=force_total)
    cells = {POOLED: total, **quarter_cells}
    protection = protect(kind, cells, [Group(POOLED, tuple(quarter_cells))], k)  # type: ignore[arg-type]
    widened = any(protection.status[q] in ("primary", "secondary")
                  and published.get(q) is not None and published[q].status == "published"
                  for q in quarter_cells)
    if widened:
        return Suppressed("secondary", kind, k)  # type: ignore[arg-type]
    return publish(kind, total, protection.status[POOLED], k,  # type: ignore[arg-type]
                   masked=POOLED in protection.masked)


def cohort_table(pub: Publication, indicators: pd.DataFrame, catalogue: Catalogue,
                 quarters: Sequence[Quarter], programme: str, antenna: str, k: int) -> CohortTable:
    codes = [c for c in (EXITS, *EXIT_RATES, *SIX_MONTH_RATES) if c in catalogue]
    headers = {EXITS: "Sorties", "SD_SORTIE": "Sorties dynamiques",
               "ED_SORTIE": "Emploi durable", "EMP_SORTIE": "Emploi durable ou de transition",
               "SP_SORTIE": "Sorties positives (formation, SIAE)",
               "SD_6M": "Sorties dynamiques à 6 mois", "SUIVI_6M": "Situation connue à 6 mois"}
    table = CohortTable(
        columns=[(c, headers.get(c, catalogue[c].label_fr), catalogue[c].type) for c in codes],
        rows=[(q.code, q.label_fr) for q in quarters] + [(POOLED, "Ensemble de la période")],
    )
    exits_pooled_withheld = False
    for code in codes:
        kind = catalogue[code].type
        published = {q.code: pub.figure(code, q, programme, antenna) for q in quarters}
        for q in quarters:
            fig = published[q.code]
            table.cells[(code, q.code)] = fig.value if fig is not None else None
        exact = _exact(indicators, code, quarters, programme, antenna)
        cells: dict[str, Cell] = {}
        for q in quarters:
            value, num, den = exact.get(q.code, (0.0, 0.0, 0.0))
            withheld = published[q.code] is not None and published[q.code].status in (
                "primary", "secondary")
            if kind == "count":
                cells[q.code] = Cell(value, force=withheld)
            else:
                cells[q.code] = Cell(num / den if den else None, numerator=num, denominator=den,
                                     force=withheld)
        force_total = code in EXIT_RATES and exits_pooled_withheld
        pooled = _pooled(kind, cells, published, k, force_total)
        if code == EXITS:
            exits_pooled_withheld = isinstance(pooled, Suppressed)
        table.cells[(code, POOLED)] = pooled
    return table
