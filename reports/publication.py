"""The published figures of one quarterly delivery: every number any deliverable shows.

Everything a delivery shows for one quarter is one table for disclosure control: every
indicator, every scope (programme x antenna, with the `ALL` rollups) crossed with the total and
the published breakdowns (sex, age band). It is protected as a whole, with every relation a
reader knows:
* a rate's denominator is a published count of the same cell (exits for the exit rates, entries
  for the share of women), and the share of women's numerator is the entries of women;
* a scope's total = the sum of each of its breakdowns;
* a programme's `ALL` antenna figure = the sum over its antennas;
* the `ALL` programme figure = the sum over the top-level programmes, and a parent programme =
  its own part (never shown: a *hidden* cell) + its children (from the programme reference).
Both deliverables draw from this one object, so the workbook and the report can never show
different protections of the same figure, and it records every figure actually rendered: that
record is `figures.csv`, which version diffs compare.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

import pandas as pd

from common.quarters import Quarter, last_quarters
from reports import catalogue as catalogue_labels
from reports.catalogue import Catalogue, Indicator
from reports.disclosure import (
    Cell,
    Entry,
    Group,
    Kind,
    Layer,
    Protection,
    PublishedValue,
    Status,
    Suppressed,
    is_not_computable,
    protect_table,
    publish,
)
from reports.formatting import achievement as fmt_achievement
from reports.formatting import by_kind
from reports.inputs import ReportInputs
from reports.targets import WITHHELD, TargetStatus
from reports.targets import achievement as target_achievement
from reports.targets import status as target_status

ALL = "ALL"
PUBLISHED_DIMENSIONS: tuple[str, ...] = ("sex", "age_band")
# The spreadsheet indicators (axes 3 to 7, the participants' voice) are sent per programme and
# for the organisation only, never per antenna: a row typed TOUTES counts in no antenna, so the
# antennas do not add up to the total and the difference would single out the rows typed for
# the whole association (a sensitive report is staged that way). Their one published breakdown
# is the axis, which the report shows them by.
SPREADSHEET_DIMENSIONS: tuple[str, ...] = ("axe",)
# The breakdowns' names come from the `disaggregations` seed, their categories, in the order the
# deliverables list them, from the code lists (`breakdown_<dimension>`), like every other label.
DEFAULT_CATEGORIES: dict[str, tuple[str, ...]] = {
    dim: catalogue_labels.list_codes(f"breakdown_{dim}") for dim in PUBLISHED_DIMENSIONS}
DIMENSION_LABELS_FR: dict[str, str] = catalogue_labels.dimension_labels()
CATEGORY_LABELS_FR: dict[str, dict[str, str]] = {
    dim: catalogue_labels.list_labels(f"breakdown_{dim}")
    for dim in ("total", *PUBLISHED_DIMENSIONS)}
_EPS = 1e-9
# rates are published to one decimal of a percent: compare published values at that precision
_ROUND = {"count": 0, "sum": 1, "rate": 4, "median": 1}

CellKey = tuple[str, str, str, str]  # programme, antenna, dimension, dimension_value


def programme_label(code: str) -> str:
    """The programme's name from the reference data (« SOCLE Femmes »), never its code."""
    return catalogue_labels.programme_label(code)


def antenna_label(code: str) -> str:
    """The antenna's name from the reference data (« Bordeaux »); a new one, tidied up."""
    return catalogue_labels.antenna_label(code)


def category_label(dimension: str, value: str) -> str:
    return CATEGORY_LABELS_FR.get(dimension, {}).get(value, value)


def _scope_order(code: str) -> tuple[int, str]:
    return (0 if code == ALL else 1, code)


@dataclass(frozen=True)
class Figure:
    """One published figure and its protection."""

    indicator_code: str
    quarter: str
    programme: str
    antenna: str
    dimension: str
    dimension_value: str
    kind: Kind
    status: Status
    value: PublishedValue
    target: float | None = None
    achievement: PublishedValue = None
    basis: str | None = None  # quarter, year_to_date or year (reports.targets)
    compared: PublishedValue = None  # what the target is compared with (the year to date)

    @property
    def ytd(self) -> bool:
        """Achievement of the year to date against an annual target of a count or sum."""
        return self.basis == "year_to_date"

    def target_status(self, quarter_number: int) -> TargetStatus | None:
        """The status the legend of `reports.targets` defines; None without a target."""
        if self.target is None:
            return None
        if isinstance(self.achievement, Suppressed):
            return WITHHELD
        return target_status(self.achievement, self.basis or "quarter", quarter_number)

    @property
    def shown(self) -> bool:
        return not isinstance(self.value, Suppressed) and self.value is not None

    def display(self, unit: str | None = None) -> str:
        if isinstance(self.value, Suppressed):
            return self.value.display()
        return by_kind(self.value, self.kind, unit)

    def achievement_display(self) -> str:
        if isinstance(self.achievement, Suppressed):
            return self.achievement.display()
        return fmt_achievement(self.achievement)

    def compared_display(self, unit: str | None = None) -> str:
        """The value the target is compared with (the year to date for a cumulated annual
        target), withheld with its achievement."""
        if isinstance(self.achievement, Suppressed):
            return self.achievement.display()
        if isinstance(self.compared, Suppressed):
            return self.compared.display()
        return by_kind(self.compared, self.kind, unit)


@dataclass
class Publication:
    """The protected figures of the trend window ending with the reporting quarter."""

    quarter: Quarter
    k: int
    catalogue: Catalogue
    quarters: list[Quarter]
    cubes: dict[tuple[str, str], dict[CellKey, Figure]] = field(default_factory=dict)
    categories: dict[str, list[str]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)
    _used: dict[tuple, dict] = field(default_factory=dict)

    # -- access ------------------------------------------------------------------------------
    def figure(self, code: str, quarter: Quarter | str | None = None, programme: str = ALL,
               antenna: str = ALL, dimension: str = "total", value: str = "total", *,
               record: bool = True) -> Figure | None:
        """A published figure (None when the mart has no such scope); records it as shown."""
        q = Quarter.parse(quarter) if quarter is not None else self.quarter
        cube = self.cubes.get((code, q.code))
        if cube is None:
            return None
        fig = cube.get((programme, antenna, dimension, value))
        if fig is not None and record:
            self._record(fig)
        return fig

    def programmes(self, quarter: Quarter | None = None) -> list[str]:
        """Programme codes (not ALL) present in the quarter's data: sections loop over these."""
        return self._scope_codes(0, quarter)

    def antennas(self, quarter: Quarter | None = None) -> list[str]:
        return self._scope_codes(1, quarter)

    def _scope_codes(self, pos: int, quarter: Quarter | None) -> list[str]:
        q = (quarter or self.quarter).code
        codes = {key[pos] for (code, qq), cube in self.cubes.items() if qq == q
                 for key in cube if key[pos] != ALL}
        return sorted(codes, key=_scope_order)

    def indicators(self) -> list[Indicator]:
        """Catalogue indicators that have data in the reporting quarter, catalogue order."""
        present = {code for code, q in self.cubes if q == self.quarter.code}
        return [i for i in self.catalogue if i.code in present]

    # -- the record of what is shown -----------------------------------------------------------
    def _record(self, fig: Figure) -> None:
        ind = self.catalogue.get(fig.indicator_code)
        unit = ind.unit if ind else None
        base = {
            "indicator_code": fig.indicator_code, "quarter": fig.quarter,
            "programme": fig.programme, "antenna": fig.antenna, "dimension": fig.dimension,
            "dimension_value": fig.dimension_value,
        }
        self._used[(*base.values(), "value")] = {
            **base, "measure": "value", "kind": fig.kind, "status": fig.status,
            "value": _number(fig.value, fig.kind), "display": fig.display(unit),
        }
        if fig.target is not None:
            self._used[(*base.values(), "target")] = {
                **base, "measure": "target", "kind": fig.kind, "status": "published",
                "value": fig.target, "display": _target_display(fig.target, fig.kind),
            }
            self._used[(*base.values(), "achievement")] = {
                **base, "measure": "achievement", "kind": "ratio",
                "status": _status_of(fig.achievement),
                "value": _number(fig.achievement, "rate"), "display": fig.achievement_display(),
            }
            if fig.ytd:  # the year-to-date value the annual target is compared with
                self._used[(*base.values(), "year_to_date")] = {
                    **base, "measure": "year_to_date", "kind": fig.kind,
                    "status": _status_of(fig.achievement),
                    "value": None if isinstance(fig.achievement, Suppressed)
                    else _number(fig.compared, fig.kind),
                    "display": fig.compared_display(unit),
                }

    def record_extra(self, indicator_code: str, programme: str, dimension: str,
                     dimension_value: str, measure: str, value: float | None, display: str,
                     status: str = "published") -> None:
        """Figures outside the indicator mart (survival curves, cohorts) shown in a report."""
        row = {"indicator_code": indicator_code, "quarter": self.quarter.code,
               "programme": programme, "antenna": ALL, "dimension": dimension,
               "dimension_value": dimension_value, "measure": measure, "kind": "extra",
               "status": status, "value": value, "display": display}
        self._used[tuple(row[c] for c in ("indicator_code", "quarter", "programme", "antenna",
                                          "dimension", "dimension_value", "measure"))] = row

    def records(self) -> pd.DataFrame:
        """Every figure shown by the deliverables (the content of `figures.csv`), sorted."""
        cols = ["indicator_code", "quarter", "programme", "antenna", "dimension",
                "dimension_value", "measure", "kind", "status", "value", "display"]
        df = pd.DataFrame(list(self._used.values()), columns=cols)
        return df.sort_values(cols[:7], kind="stable").reset_index(drop=True)


def _number(value: PublishedValue, kind: str) -> float | None:
    if value is None or isinstance(value, Suppressed):
        return None
    return round(float(value), _ROUND.get(kind, 4))


def _status_of(value: PublishedValue) -> str:
    if isinstance(value, Suppressed):
        return value.reason
    return "not_computable" if value is None else "published"


def _target_display(target: float, kind: str) -> str:
    if kind == "rate":  # targets for rates are in % (docs/indicators.md#9-targets-and-achievement)
        return by_kind(target / 100, "rate")
    return by_kind(target, kind)


def _nz(value: object) -> float:
    if value is None:
        return 0.0
    v = float(value)  # type: ignore[arg-type]
    return 0.0 if math.isnan(v) else v


def _opt(value: object) -> float | None:
    if value is None:
        return None
    v = float(value)  # type: ignore[arg-type]
    return None if math.isnan(v) else v


# -- building ----------------------------------------------------------------------------------
@dataclass
class _Table:
    """One indicator's cells for one quarter, before protection."""

    indicator: Indicator
    kind: Kind
    cells: dict[CellKey, Cell]
    groups: list[Group]
    lookup: dict


class _Builder:
    """Builds the protected cubes of every indicator for every quarter of the window."""

    def __init__(self, inputs: ReportInputs, pub: Publication) -> None:
        self.inputs, self.pub = inputs, pub
        self.parents = inputs.programme_parents
        self.year_targets = _year_targets(inputs.year_targets)
        self.truth: dict[tuple[str, str], dict[CellKey, Cell]] = {}
        df = inputs.indicators
        for dim in PUBLISHED_DIMENSIONS:
            seen = set(df.loc[df["dimension"] == dim, "dimension_value"])
            base = list(DEFAULT_CATEGORIES.get(dim, ()))
            extra = sorted(seen - set(base) - {"unknown"})
            cats = [c for c in base if c != "unknown"] + extra + ["unknown"]
            pub.categories[dim] = cats
        for dim in SPREADSHEET_DIMENSIONS:  # the axes, in the seed's order
            seen = set(df.loc[df["dimension"] == dim, "dimension_value"])
            order = [code for code, _label in catalogue_labels.axes()]
            pub.categories[dim] = [c for c in order if c in seen] + sorted(seen - set(order))
        if self.parents is None:
            pub.notes.append(
                "Référentiel des programmes non trouvé : les emboîtements de programmes sont "
                "déduits des données (additivité vérifiée) pour le secret statistique.")

    def build(self) -> None:
        df = self.inputs.indicators
        order = {"count": 0, "sum": 1, "rate": 2, "median": 3}
        # A stage's rank (ESS_ETAPE) is no count, sum, rate or median: the disclosure rules
        # below do not apply to it and it is not published in the quarterly deliverables.
        indicators = sorted((i for i in self.pub.catalogue if i.type in order),
                            key=lambda i: order[i.type])
        for q in self.pub.quarters:
            qdf = df[df["quarter"] == q.code]
            by_code = dict(tuple(qdf.groupby("indicator_code")))
            tables = [self._table(ind, q, rows) for ind in indicators
                      if (rows := by_code.get(ind.code)) is not None and not rows.empty]
            self._protect_quarter(q, tables)

    # -- one quarter: one table ------------------------------------------------------------------
    def _table(self, ind: Indicator, q: Quarter, rows: pd.DataFrame) -> _Table:
        """One indicator's cells and the relations between them (not yet protected)."""
        kind: Kind = ind.type  # type: ignore[assignment]
        totals = rows[rows["dimension"] == "total"]
        scopes = sorted(set(zip(totals["programme"], totals["antenna"], strict=True)),
                        key=lambda s: (_scope_order(s[0]), _scope_order(s[1])))
        if ind.scope_basis == "spreadsheet":
            scopes = [s for s in scopes if s[1] == ALL]
            dims = [d for d in SPREADSHEET_DIMENSIONS if ind.disaggregated
                    and (rows["dimension"] == d).any()]
        else:
            dims = [d for d in PUBLISHED_DIMENSIONS if ind.disaggregated]
        dimcells = [("total", "total")] + [(d, v) for d in dims for v in self.pub.categories[d]]
        lookup = {(r.programme, r.antenna, r.dimension, r.dimension_value): r
                  for r in rows.itertuples(index=False)}
        cells: dict[CellKey, Cell] = {}
        for p, a in scopes:
            for d, v in dimcells:
                cells[(p, a, d, v)] = self._cell(kind, lookup.get((p, a, d, v)), (p, a, d, v), q)
        cells = {key: replace(c, priority=_priority(key)) for key, c in cells.items()}
        groups: list[Group] = []
        if kind != "median":
            groups = self._groups(ind, q, scopes, dims, dimcells, cells)
        self.truth[(ind.code, q.code)] = {key: c for key, c in cells.items() if c.visible}
        return _Table(ind, kind, cells, groups, lookup)

    def _protect_quarter(self, q: Quarter, tables: list[_Table]) -> None:
        """Everything the delivery shows for the quarter is one table for disclosure control:
        every indicator's cells, their additivity, and the links between indicators (a rate's
        denominator is a published count, the share of women's numerator is the entries of
        women). Protected one by one, a figure withheld in one table could be recomputed from
        another (5,0 % of 20 published exits is one person)."""
        entries: dict[tuple[str, CellKey], Entry] = {}
        groups: list[Group] = []
        protected = [t for t in tables if t.indicator.disclosure != "open"]
        for t in protected:
            code = t.indicator.code
            entries.update({(code, key): Entry(t.kind, c) for key, c in t.cells.items()})
            groups.extend(Group((code, g.total), tuple((code, p) for p in g.parts))
                          for g in t.groups)
        for t in protected:
            if t.kind == "rate":
                groups.extend(self._links(q, t))
        protection = protect_table(entries, groups, self.pub.k)
        for t in tables:  # the association's own activity is about no one: sent as it is
            if t.indicator.disclosure == "open":
                protection.status.update(
                    {(t.indicator.code, key): "not_computable" if is_not_computable(t.kind, c)
                     else "published" for key, c in t.cells.items() if c.visible})
        for key in protection.unresolved:
            self.pub.unresolved.append(f"{key[0]} {q.code} {key[1]}")
        for t in tables:
            self._cube(t, q, protection)

    def _links(self, q: Quarter, t: _Table) -> list[Group]:
        """The rate's layers as cells of count tables, found by their values (the catalogue
        needs no extra column): its denominator equals a count in every cell (exits for the
        exit rates, entries for the share of women), its numerator on the scope totals equals
        one category of a count (the entries of women)."""
        code = t.indicator.code
        visible = {key: c for key, c in t.cells.items() if c.visible}
        links: list[Group] = []
        counts = [(c, truth) for (c, qq), truth in self.truth.items()
                  if qq == q.code and self.pub.catalogue[c].type == "count"
                  and self.pub.catalogue[c].disclosure != "open"]
        for count, truth in counts:
            if all(_nz(truth[key].value) == _nz(c.denominator) if key in truth
                   else _nz(c.denominator) == 0 for key, c in visible.items()):
                links.extend(Group((count, key), (Layer((code, key), "den"),))
                             for key in visible if key in truth)
                break
        totals = {key: _nz(c.numerator) for key, c in visible.items() if key[2] == "total"}
        if sum(1 for v in totals.values() if v) < 2:
            return links
        for count, truth in counts:
            for dim, values in self.pub.categories.items():
                for value in values:
                    if all(_nz(truth[(p, a, dim, value)].value) == n
                           if (p, a, dim, value) in truth else n == 0
                           for (p, a, _d, _v), n in totals.items()):
                        links.extend(Group((count, (p, a, dim, value)),
                                           (Layer((code, (p, a, d, v)), "num"),))
                                     for (p, a, d, v) in totals if (p, a, dim, value) in truth)
                        return links
        return links

    def _cube(self, t: _Table, q: Quarter, protection: Protection) -> None:
        """The published figures of one indicator, from the quarter's protection."""
        ind, kind, lookup = t.indicator, t.kind, t.lookup
        cube: dict[CellKey, Figure] = {}
        for key, cell in t.cells.items():
            if not cell.visible:
                continue
            status = protection.status[(ind.code, key)]
            value = publish(kind, cell, status, self.pub.k,
                            masked=(ind.code, key) in protection.masked)
            target = basis = None
            achievement: PublishedValue = None
            compared: PublishedValue = None
            if key[2] == "total":
                target, basis, raw_ach, compared = self._target(ind, q, key, cell, lookup)
                if target is not None and raw_ach is not None:
                    achievement = self._achievement(ind, q, key, status, raw_ach,
                                                    basis == "year_to_date", compared)
                if basis != "year_to_date":
                    compared = value
            cube[key] = Figure(ind.code, q.code, *key, kind=kind, status=status, value=value,
                               target=target, achievement=achievement, basis=basis,
                               compared=compared)
        self.pub.cubes[(ind.code, q.code)] = cube

    def _cell(self, kind: Kind, row, key: CellKey, q: Quarter) -> Cell:
        """The exact figure of one cell; absent disaggregated rows are zeros (mart contract)."""
        if kind == "count":
            return Cell(_nz(row.value) if row is not None else 0.0)
        if kind == "rate":
            if row is None:
                return Cell(None, numerator=0.0, denominator=0.0)
            num, den, value = _opt(row.numerator), _opt(row.denominator), _opt(row.value)
            if den is None and value is not None:  # no population to check: withhold it
                return Cell(value, numerator=0.0, denominator=1.0, force=True)
            den = den or 0.0
            return Cell(value if den else None, numerator=num if num is not None else 0.0,
                        denominator=den)
        # sums and medians: the population is the enrolments the value is computed over — the
        # mart's `population` (a median's own population: the exits that found a job, not all
        # exits), else its denominator, else the enrolments of the same cell (ACT for hours,
        # SOR for the median time to employment)
        value = _opt(row.value) if row is not None else None
        pop = None
        if row is not None:
            pop = _opt(getattr(row, "population", None))
            if pop is None:
                pop = _opt(row.denominator)
        if pop is None:
            pop = self._true_count("ACT" if kind == "sum" else "SOR", q, key)
        if kind == "sum":
            return Cell(value or 0.0, population=pop)
        return Cell(value, population=pop)

    def _true_count(self, code: str, q: Quarter, key: CellKey) -> float:
        cube = self.truth.get((code, q.code), {})
        cell = cube.get(key)
        return _nz(cell.value) if cell is not None else 0.0

    def _target(self, ind: Indicator, q: Quarter, key: CellKey, cell: Cell, lookup: dict
                ) -> tuple[float | None, str | None, float | None, float | None]:
        """(target, basis, exact achievement, exact value compared) of a total cell: the
        mart's target and achievement on the quarter row (a quarterly target, or an annual
        count or sum target on the year to date); else, for a rate or a median, the annual
        target of the year row applied to the quarter's value (see reports.targets)."""
        row = lookup.get(key)
        target = _opt(row.target) if row is not None else None
        if target is not None:
            raw = _opt(row.achievement)
            basis = getattr(row, "target_basis", None)
            if basis not in ("quarter", "year_to_date"):  # a mart without the column
                ytd = raw is not None and _is_ytd(ind, cell.value, target, raw)
                basis = "year_to_date" if ytd else "quarter"
            compared = _opt(getattr(row, "achievement_value", None))
            if compared is None and raw is not None and basis == "year_to_date":
                compared = raw * target  # counts and sums: higher is better
            return target, basis, raw, compared
        if ind.type not in ("rate", "median"):
            return None, None, None, None
        p, a, _d, _v = key
        annual = self.year_targets.get((ind.code, q.year, p, a))
        if annual is None:
            return None, None, None, None
        raw = target_achievement(cell.value, annual, ind.type, ind.lower_is_better)
        return annual, "year", raw, cell.value

    def _achievement(self, ind: Indicator, q: Quarter, key: CellKey, status: Status,
                     raw: float, ytd: bool, compared: float | None = None) -> PublishedValue:
        """Achievement gives the value back (value = achievement x target): shown only with a
        shown value, and a year-to-date one only when every quarter of the year is shown and
        the year-to-date count itself may be shown (not 1..k-1: an active caseload or distinct
        persons over the year are not the sum of the quarters)."""
        if status != "published":
            return Suppressed("secondary", ind.type, self.pub.k)  # type: ignore[arg-type]
        if ytd and ind.type == "count" and compared is not None \
                and 0 < compared < self.pub.k:
            return Suppressed("primary", ind.type, self.pub.k)  # type: ignore[arg-type]
        if ytd:
            for n in range(1, q.number):
                prev = self.pub.cubes.get((ind.code, Quarter(q.year, n).code), {}).get(key)
                if prev is None or prev.status not in ("published", "not_computable"):
                    return Suppressed("secondary", ind.type, self.pub.k)  # type: ignore[arg-type]
        return raw

    # -- additivity known to readers -----------------------------------------------------------
    def _groups(self, ind: Indicator, q: Quarter, scopes: Sequence[tuple[str, str]],
                dims: Sequence[str], dimcells: Sequence[tuple[str, str]],
                cells: dict[CellKey, Cell]) -> list[Group]:
        scope_set = set(scopes)
        groups: list[Group] = []
        for p, a in scopes:  # total = each breakdown
            for d in dims:
                parts = tuple((p, a, d, v) for v in self.pub.categories[d])
                groups.append(Group((p, a, "total", "total"), parts))
        programmes = sorted({p for p, _ in scopes if p != ALL})
        antennas = sorted({a for _, a in scopes if a != ALL})
        for p in [ALL, *programmes]:  # antenna ALL = sum over antennas
            ants = [a for a in antennas if (p, a) in scope_set]
            if (p, ALL) in scope_set and ants:
                for d, v in dimcells:
                    groups.append(_sum_group(cells, (p, ALL, d, v),
                                             [(p, a, d, v) for a in ants], f"~toutes:{p}"))
        parents = self._parents(programmes, scopes, cells, dimcells)
        if parents is None:
            return groups
        roots = [p for p in programmes if parents.get(p) not in programmes]
        children = {p: [c for c in programmes if parents.get(c) == p] for p in programmes}
        for a in [ALL, *antennas]:
            rs = [r for r in roots if (r, a) in scope_set]
            if (ALL, a) in scope_set and rs:
                for d, v in dimcells:
                    groups.append(_sum_group(cells, (ALL, a, d, v),
                                             [(r, a, d, v) for r in rs], "~tous"))
            for parent, kids in children.items():
                kids_here = [c for c in kids if (c, a) in scope_set]
                if (parent, a) not in scope_set or not kids_here:
                    continue
                for d, v in dimcells:
                    own = (f"~own:{parent}", a, d, v)
                    cells[own] = _difference(cells[(parent, a, d, v)],
                                             [cells[(c, a, d, v)] for c in kids_here])
                    groups.append(Group((parent, a, d, v),
                                        (own, *((c, a, d, v) for c in kids_here))))
        return groups

    def _parents(self, programmes: Sequence[str], scopes, cells, dimcells
                 ) -> dict[str, str | None] | None:
        """The programme tree; without a reference, accept a flat list only if the data add up
        (ALL = sum of programmes everywhere), else leave programme sums out (noted)."""
        if self.parents is not None:
            return self.parents
        scope_set = set(scopes)
        for a in {a for _, a in scopes}:
            if (ALL, a) not in scope_set:
                continue
            for d, v in dimcells:
                total = _additive(cells[(ALL, a, d, v)])
                parts = [_additive(cells[(p, a, d, v)]) for p in programmes if (p, a) in scope_set]
                if any(abs(t - sum(x)) > 1e-6 for t, x in zip(total, zip(*parts, strict=True),
                                                               strict=True)):
                    note = ("Sans référentiel des programmes, les totaux par programme ne sont "
                            "pas additifs (programmes emboîtés) : contrôlé par antenne seulement.")
                    if note not in self.pub.notes:
                        self.pub.notes.append(note)
                    return None
        return {p: None for p in programmes}


def _priority(key: CellKey) -> int:
    """How much a reader needs a figure (withheld last): the organisation's total first, then
    programme and antenna totals, then breakdowns of wide scopes, then the innermost cells."""
    programme, antenna, dimension, _ = key
    wide = (programme == ALL) + (antenna == ALL)
    if dimension == "total":
        return (3, 10, 100)[wide]
    return (0, 1, 3)[wide]


def _sum_group(cells: dict[CellKey, Cell], total: CellKey, parts: list[CellKey],
               rest: str) -> Group:
    """`total` = the sum of `parts`, plus a hidden remainder when the records do not all fall in
    a part (a spreadsheet row typed TOUS / TOUTES counts in the total only). The remainder is
    never shown but a reader gets it by difference, so it takes part in the protection like a
    parent programme's own enrolments. A total below its parts (distinct persons counted in two
    antennas) keeps the plain relation, as before."""
    t = _additive(cells[total])
    diff = [a - b for a, b in zip(t, map(sum, zip(*(_additive(cells[k]) for k in parts),
                                                      strict=True)), strict=True)]
    if any(d > _EPS for d in diff) and all(d > -_EPS for d in diff):
        key = (rest, *total[1:])  # unique: one remainder per relation
        cells[key] = _difference(cells[total], [cells[k] for k in parts])
        return Group(total, (*parts, key))
    return Group(total, tuple(parts))


def _additive(cell: Cell) -> tuple[float, ...]:
    if cell.numerator is not None or cell.denominator is not None:
        return (_nz(cell.numerator), _nz(cell.denominator))
    return (_nz(cell.value),)


def _difference(parent: Cell, kids: Iterable[Cell]) -> Cell:
    """A parent programme's own part, never shown but derivable by differencing."""
    kids = list(kids)
    if parent.denominator is not None or parent.numerator is not None:
        num = _nz(parent.numerator) - sum(_nz(c.numerator) for c in kids)
        den = _nz(parent.denominator) - sum(_nz(c.denominator) for c in kids)
        return Cell(num / den if den else None, numerator=num, denominator=den, visible=False)
    value = _nz(parent.value) - sum(_nz(c.value) for c in kids)
    pop = None
    if parent.population is not None:
        pop = _nz(parent.population) - sum(_nz(c.population) for c in kids)
    return Cell(value, population=pop, visible=False)


def _year_targets(frame: pd.DataFrame | None) -> dict[tuple[str, int, str, str], float]:
    """Annual targets of the mart's year rows, by (indicator, year, programme, antenna)."""
    if frame is None or frame.empty:
        return {}
    out = {}
    for r in frame.itertuples(index=False):
        target = _opt(r.target)
        if target is not None:
            out[(str(r.indicator_code).strip().upper(), int(r.year),
                 str(r.programme).strip().upper(), str(r.antenna).strip().upper())] = target
    return out


def _is_ytd(ind: Indicator, value: float | None, target: float | None, achievement: float) -> bool:
    """True when the mart's achievement is not this quarter's value against its target, i.e. an
    annual target compared with the year to date
    (docs/indicators.md#9-targets-and-achievement)."""
    if target is None or value is None or target == 0:
        return False
    if ind.lower_is_better:
        plain = target / value if value else None
    elif ind.type == "rate":
        plain = value * 100 / target
    else:
        plain = value / target
    return plain is None or abs(plain - achievement) > 1e-6 * max(1.0, abs(plain))


def build_publication(inputs: ReportInputs, quarter: Quarter | str, k: int,
                      trend_quarters: int = 8) -> Publication:
    """Protect every indicator of every quarter of the trend window (oldest first, so a
    year-to-date achievement can check the earlier quarters of its year)."""
    q = Quarter.parse(quarter)
    window = last_quarters(q, max(trend_quarters, q.number))
    pub = Publication(q, k, inputs.catalogue, window)
    pub.notes.extend(inputs.notes)
    _Builder(inputs, pub).build()
    return pub
