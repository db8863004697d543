"""The whole association's figures in an evidence pack (docs/outputs.md#evidence-packs):
costs for the `efficience` criterion, the participants' voice for `pertinence` and `impact`.

- **Costs** (COUT_PART, COUT_SD, BUD_EXEC of `marts.indicator_values`), for the organisation
  and each programme the mart computes them for (antenna `ALL`), per complete year of the pack's
  window and per quarter where quarterly budget lines exist (a yearly line belongs to its year
  and to no quarter, so a cost is computed for years, and for quarters only where it can be). A
  cost divides spending by people (people accompanied, dynamic exits): a cost over fewer than k
  people is not shown (`s`), as any sum over fewer than k enrolments; over none it is not
  computable (`–`). The budget execution rate is euros over euros, about no person: shown as is.
  Costs are internal indicators absent from the quarterly deliverables, so no other publication
  can be differenced against them; the spending behind them is never printed.
- **The participants' voice** (SAT, RECO, RET_RECUS, RET_DELAI_30J) for the organisation as a
  whole only, per quarter of the pack (no total over the period: quarters and their sum would be
  a table to protect as a whole), with the primary rule of `reports.disclosure`: a count of
  1..k-1 is `< k`, a rate over fewer than k answers, or whose numerator or its complement is
  1..k-1, is `s`. Where the quarterly deliverables publish the same cell, the pack shows what
  they show (their secondary suppression included), never more. Sensitive reports are in these
  totals and in nothing finer (staged at the organisation level).
- **Testimonies** of `marts.published_testimonies` only (consented, dated consent; a withdrawn
  consent leaves the mart at the next refresh, and so every pack generated after it): the
  text, its theme and its date, nothing else.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from common.quarters import Quarter
from common.warehouse import Warehouse
from reports.catalogue import Catalogue
from reports.disclosure import Cell, PublishedValue, Suppressed, is_primary, publish
from reports.formatting import NBSP, NOT_COMPUTABLE, number, percent
from reports.publication import ALL, Publication, programme_label

EFFICIENCY_CRITERION = "efficience"
VOICE_CRITERIA = ("pertinence", "impact")
COSTS = ("COUT_PART", "COUT_SD", "BUD_EXEC")
VOICE = ("SAT", "RECO", "RET_RECUS", "RET_DELAI_30J")
ORGANISATION_FR = "Ensemble de l'association"


@dataclass(frozen=True)
class Period:
    """A column of a figure table: a complete year or a quarter."""

    key: str  # `2025` or `2026-Q1`
    label: str  # « Année 2025 », « T1 2026 »
    period_type: str  # `year` or `quarter`
    start: date


@dataclass
class FigureTable:
    """One indicator's protected figures: rows are scopes, columns periods. `cells[(row key,
    period key)]` is a number, a `Suppressed` marker or None (not computable); an absent cell is
    a period the mart has no figure for (shown `–` as well)."""

    code: str
    label: str
    description: str
    kind: str  # `cost` (euros), `rate` or `count`
    periods: list[Period]
    rows: list[tuple[str, str]]  # (row key, French label)
    cells: dict[tuple[str, str], PublishedValue] = field(default_factory=dict)

    def display(self, row: str, period: str) -> str:
        return display_value(self.cells.get((row, period)), self.kind)

    @property
    def withheld(self) -> int:
        """How many cells are withheld (for a word to the reader)."""
        return sum(1 for v in self.cells.values() if isinstance(v, Suppressed))


@dataclass
class AssociationFigures:
    """What the pack shows of the whole association's indicators for its criteria."""

    costs: list[FigureTable] = field(default_factory=list)
    voice: list[FigureTable] = field(default_factory=list)
    testimonies: list[dict] = field(default_factory=list)  # date, theme, text
    shows_costs: bool = False
    shows_voice: bool = False
    notes: list[str] = field(default_factory=list)


def display_value(value: PublishedValue, kind: str) -> str:
    """A protected figure as the pack prints it: `12 345 €`, `91,4 %`, `8`, or its marker."""
    if isinstance(value, Suppressed):
        return value.display()
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_COMPUTABLE
    if kind == "cost":
        return number(value, 0) + NBSP + "€"
    if kind == "rate":
        return percent(value)
    return number(value, 0)


def _float(value: object) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def cost_periods(quarters: Sequence[Quarter]) -> list[Period]:
    """The complete years of the pack's window (a year whose last quarter is in it: a year to
    date could be differenced against the full year later), then its quarters."""
    if not quarters:
        return []
    last = quarters[-1]
    years = sorted({q.year for q in quarters
                    if Quarter.parse(f"{q.year}-Q4") <= last})
    periods = [Period(str(y), f"Année {y}", "year", date(y, 1, 1)) for y in years]
    periods += [Period(q.code, q.label_fr, "quarter", q.start) for q in quarters]
    return periods


def _rows(wh: Warehouse, codes: Sequence[str], first: date, last: date,
          organisation_only: bool) -> pd.DataFrame:
    marks = ", ".join("?" for _ in codes)
    scope = "and programme = 'ALL'" if organisation_only else ""
    return wh.fetch_df(
        f"select indicator_code, period_type, period_start, programme, numerator, denominator, "
        f"value, population from marts.indicator_values "
        f"where indicator_code in ({marks}) and period_type in ('year', 'quarter') "
        f"and dimension = 'total' and antenna = 'ALL' {scope} "
        f"and period_start >= ? and period_start <= ?",
        [*codes, first, last])


def _period_key(period_type: str, start: object) -> str:
    day = pd.Timestamp(start).date()
    return str(day.year) if period_type == "year" else Quarter.of(day).code


def _cost_cell(code: str, row: dict, k: int) -> PublishedValue:
    value = _float(row["value"])
    if code == "BUD_EXEC":  # euros over euros: no person behind it
        return value
    cell = Cell(value, population=_float(row["population"]) or 0.0)
    if is_primary("sum", cell, k):
        return Suppressed("primary", "sum", k)
    return None if value is None else value


def read_costs(wh: Warehouse, catalogue: Catalogue, quarters: Sequence[Quarter],
               k: int) -> list[FigureTable]:
    """COUT_PART, COUT_SD and BUD_EXEC for the organisation and each programme, protected."""
    codes = [c for c in COSTS if c in catalogue]
    periods = cost_periods(quarters)
    if not codes or not periods or not wh.table_exists("marts.indicator_values"):
        return []
    df = _rows(wh, codes, periods[0].start, quarters[-1].start, organisation_only=False)
    wanted = {(p.period_type, p.key) for p in periods}
    tables = []
    for code in codes:
        ind = catalogue[code]
        table = FigureTable(code, ind.label_fr, ind.description_fr or "",
                            "rate" if ind.type == "rate" else "cost", periods, [])
        programmes: set[str] = set()
        for r in df[df["indicator_code"] == code].to_dict("records"):
            key = _period_key(r["period_type"], r["period_start"])
            if (r["period_type"], key) not in wanted:
                continue
            table.cells[(r["programme"], key)] = _cost_cell(code, r, k)
            if r["programme"] != ALL and (_float(r["value"]) is not None
                                          or (_float(r["population"]) or 0) > 0):
                programmes.add(r["programme"])
        table.rows = [(ALL, ORGANISATION_FR)] + [(p, programme_label(p))
                                                 for p in sorted(programmes)]
        tables.append(table)
    return _trim(tables)


def _has_figure(value: PublishedValue) -> bool:
    """Something to read: a withheld figure, or a number other than the 0 of a period before
    any record (the mart's rows are dense)."""
    return isinstance(value, Suppressed) or (value is not None and value != 0)


def _trim(tables: list[FigureTable], *, leading_only: bool = False) -> list[FigureTable]:
    """Drop the periods no table has a figure for (years before the budget was followed, the
    quarters of a year budgeted yearly), the same columns in every table; with `leading_only`,
    only those before the first figure (the spreadsheet did not exist yet)."""
    periods = tables[0].periods if tables else []
    filled = [any(_has_figure(v) for t in tables for (_, key), v in t.cells.items()
                  if key == p.key) for p in periods]
    if leading_only:
        first = next((i for i, f in enumerate(filled) if f), len(periods))
        kept = periods[first:]
    else:
        kept = [p for p, f in zip(periods, filled, strict=True) if f]
    for t in tables:
        t.periods = list(kept)
    return tables


def _voice_cell(code: str, kind: str, row: dict | None, pub: Publication | None, quarter: Quarter,
                k: int) -> PublishedValue:
    """The organisation's figure for one quarter: the quarterly deliverables' own when they
    publish it (never show what they withhold), else the primary rule on the exact value."""
    fig = pub.figure(code, quarter, ALL, ALL, record=False) if pub is not None else None
    if fig is not None:
        pub.figure(code, quarter, ALL, ALL)  # recorded as shown in this delivery
        return fig.value
    if row is None:
        return None
    value = _float(row["value"])
    if kind == "count":
        cell = Cell(value or 0.0)
        return Suppressed("primary", "count", k) if is_primary("count", cell, k) else (value or 0.0)
    cell = Cell(value, numerator=_float(row["numerator"]) or 0.0,
                denominator=_float(row["denominator"]) or 0.0)
    if not cell.denominator:
        return None
    status = "primary" if is_primary("rate", cell, k) else "published"
    return publish("rate", cell, status, k)


def read_voice(wh: Warehouse, catalogue: Catalogue, quarters: Sequence[Quarter], k: int,
               pub: Publication | None = None) -> list[FigureTable]:
    """SAT, RECO, RET_RECUS and RET_DELAI_30J of the organisation per quarter, protected."""
    codes = [c for c in VOICE if c in catalogue]
    if not codes or not quarters or not wh.table_exists("marts.indicator_values"):
        return []
    df = _rows(wh, codes, quarters[0].start, quarters[-1].start, organisation_only=True)
    df = df[df["period_type"] == "quarter"]
    periods = [Period(q.code, q.label_fr, "quarter", q.start) for q in quarters]
    tables = []
    for code in codes:
        ind = catalogue[code]
        kind = "rate" if ind.type == "rate" else "count"
        by_quarter = {_period_key("quarter", r["period_start"]): r
                      for r in df[df["indicator_code"] == code].to_dict("records")}
        table = FigureTable(code, ind.label_fr, ind.description_fr or "", kind, periods,
                            [(ALL, ORGANISATION_FR)])
        for q in quarters:
            table.cells[(ALL, q.code)] = _voice_cell(code, kind, by_quarter.get(q.code), pub, q,
                                                     k)
        tables.append(table)
    return _trim(tables, leading_only=True)


def _in_scope(programme: str, antenna: str, scope_programme: str, scope_antenna: str,
              parents: dict[str, str | None] | None) -> bool:
    """A testimony belongs to an evaluation's scope: the programme or one of its descendants
    (SOCLE includes SOCLE Femmes), and the antenna; `ALL` covers every one."""
    if scope_antenna != ALL and antenna != scope_antenna:
        return False
    if scope_programme == ALL:
        return True
    seen, code = set(), programme
    while code and code not in seen:
        if code == scope_programme:
            return True
        seen.add(code)
        code = (parents or {}).get(code)
    return False


def read_testimonies(wh: Warehouse, programme: str, antenna: str, until: date,
                     parents: dict[str, str | None] | None = None) -> list[dict]:
    """The consented testimonies of the scope dated up to `until`, most recent first: date,
    theme and text only (the mart holds nothing that leads back to a person or a sheet row)."""
    if not wh.table_exists("marts.published_testimonies"):
        return []
    out = []
    for r in wh.fetch_df(
            "select testimony_date, theme, testimony_text, programme, antenna "
            "from marts.published_testimonies where testimony_date <= ? "
            "order by testimony_date desc, testimony_key", [until]).to_dict("records"):
        if not _in_scope(r["programme"], r["antenna"], programme, antenna, parents):
            continue
        theme = r["theme"]
        theme = "" if theme is None or (isinstance(theme, float) and math.isnan(theme)) \
            else str(theme).replace("_", " ")
        out.append({"date": pd.Timestamp(r["testimony_date"]).date(), "theme": theme,
                    "text": str(r["testimony_text"]).strip()})
    return out


def read_association(wh: Warehouse, catalogue: Catalogue, criteria: Sequence[str],
                     quarters: Sequence[Quarter], k: int, *, programme: str, antenna: str,
                     until: date, pub: Publication | None = None,
                     parents: dict[str, str | None] | None = None) -> AssociationFigures:
    """The costs when the evaluation examines efficiency, the participants' voice when it
    examines relevance or impact; nothing otherwise."""
    found = AssociationFigures(shows_costs=EFFICIENCY_CRITERION in criteria,
                               shows_voice=any(c in criteria for c in VOICE_CRITERIA))
    if found.shows_costs:
        found.costs = read_costs(wh, catalogue, quarters, k)
        if any(t.withheld for t in found.costs):
            found.notes.append(
                f"Coûts : un coût calculé sur moins de {k} personnes n'est pas publié (s) ; "
                "les montants dépensés ne figurent pas dans ce dossier.")
    if found.shows_voice:
        found.voice = read_voice(wh, catalogue, quarters, k, pub)
        found.testimonies = read_testimonies(wh, programme, antenna, until, parents)
    return found
