"""Statistical disclosure control (docs/outputs.md#5-disclosure-control).

Everything that leaves AERé is about refugees: a published table must never let a reader single
out a person, directly (a count of 1..k-1) or by arithmetic on other published figures. The
internal marts stay exact; this module decides, for one table of figures linked by additivity
("this total is the sum of those parts"), which figures are shown, which are shown as `< k`, and
which are withheld.

Rules applied (the reading of the spec is spelled out because it is ambiguous in places):

* **Primary suppression.** A count of 1..k-1 is shown as `< k`. A rate whose denominator, or a
  median or sum whose population (enrolments behind it), is 1..k-1 is not shown (`s`). A zero
  is not sensitive and is shown; a rate over 0 enrolments is "not computable" (`–`).
* **Secondary suppression.** Every suppressed figure must stay unknown to a reader who has every
  published figure of the table and knows the additivity relations (a total equals the sum of
  each of its breakdowns; a programme-level figure equals the sum over antennas, ...). Two
  attacks are checked after every added suppression, until neither succeeds:
    1. *exact linear recomputation*: a suppressed value is determined when it is the same in
       every solution of the published equations (checked on the whole system at once, so a
       chain of subtractions across several totals is caught, not only a single row or column);
    2. *recomputation with the public bounds* of one equation: `< k` tells the reader the
       value is in 1..k-1, an `s` count is known to be >= k (every smaller count would be `< k`),
       every value is >= 0. With `total = 7`, `F = "< 5"`, `M = "s"`, the reader knows
       `F = 7 - M <= 7 - 5 = 2`; with `M = 6`, `F = 1` exactly. Such a partner is rejected.
  A partner is a published, non-zero figure of a group that needs it: zeros are not sensitive and
  suppressing one protects nothing (a reader would assume it). Parts are preferred to totals, and
  figures whose suppression does not create a new lone unknown elsewhere, then the smallest.
* **Hidden figures.** A figure never shown can still be derived by differencing (a parent
  programme's own enrolments = parent - child). Such a cell takes part in the equations as
  unknown, and when it is itself sensitive it is protected like a suppressed one.
* **Rates** are protected on their two additive layers, numerator and denominator - numerator
  (successes and the others): both must be impossible to recompute. A rate shown beside its
  denominator (anywhere in the same delivery) gives both layers back, so a rate whose
  numerator or `denominator - numerator` is 1..k-1 is itself primary (5,0 % of 20 exits is
  one person). Medians are not additive (no median can be recomputed from others), so they
  only get primary suppression.
* **k units per relation.** The withheld parts of a row, column or breakdown whose total is
  shown hide `total - shown parts` people together; that must be 0 or at least k (two `< 5`
  cells holding 3 between them tell that those 3 people are in one of two cells), otherwise one
  more part is withheld.
* **One table per delivery.** Everything published together is protected as one table
  (`protect_table`): counts, rates (two variables each, withheld together), sums and medians,
  with every relation a reader knows, the relations between tables included (a rate's
  denominator is the exits count of the same cell). Protecting the tables one by one would let
  a figure withheld in one be recomputed from another.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

DEFAULT_K = 5
SECRET_MARK = "s"
NOT_COMPUTABLE_MARK = "–"

Kind = Literal["count", "rate", "sum", "median"]
Status = Literal["published", "primary", "secondary", "hidden", "not_computable"]

_INF = math.inf
_EPS = 1e-9


# -- what a reader sees -----------------------------------------------------------------------
@dataclass(frozen=True)
class Suppressed:
    """A withheld figure. `primary`: sensitive itself; `secondary`: withheld so that a primary
    one cannot be recomputed. Only a primary *count* says how small it is (`< k`)."""

    reason: Literal["primary", "secondary"]
    kind: Kind
    k: int
    ranged: bool = True  # False: a small count shown `s` because `< k` would give it away

    def display(self) -> str:
        if self.reason == "primary" and self.kind == "count" and self.ranged:
            return f"< {self.k}"
        return SECRET_MARK

    def __str__(self) -> str:
        return self.display()


PublishedValue = float | Suppressed | None
"""A published figure: its exact value, a `Suppressed` marker, or None (not computable)."""


def legend_fr(k: int) -> list[tuple[str, str]]:
    """The legend printed with every published table (symbol, meaning)."""
    return [
        (f"< {k}", f"effectif compris entre 1 et {k - 1}, non publié (secret statistique)"),
        (SECRET_MARK, f"valeur non publiée : calculée sur moins de {k} parcours, ou masquée "
                      "pour qu'une valeur non publiée ne puisse pas être recalculée par "
                      "différence (secret statistique secondaire)"),
        (NOT_COMPUTABLE_MARK, "non calculable (aucun parcours concerné)"),
    ]


# -- the table to protect ---------------------------------------------------------------------
@dataclass(frozen=True)
class Cell:
    """One figure of a table, with what its protection needs to know.

    `value` is the exact figure (count, sum, fraction, median) or None when not computable.
    Rates also carry `numerator`/`denominator`; sums and medians their `population` (number of
    enrolments behind the figure). `visible=False` marks a figure that is never shown but is
    derivable by differencing. `force=True` withholds the figure from the start (e.g. a rate
    whose denominator count is withheld in another published table).
    """

    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    population: float | None = None
    visible: bool = True
    force: bool = False
    priority: int = 0  # how much readers need it: withheld last among partners (totals)


@dataclass(frozen=True)
class Group:
    """An additivity relation known to readers: `total` = sum of `parts`."""

    total: Hashable
    parts: tuple[Hashable, ...]


@dataclass
class Protection:
    """The outcome of `protect`: a status per cell, and any leak that could not be closed."""

    status: dict[Hashable, Status]
    unresolved: list[Hashable] = field(default_factory=list)
    masked: set[Hashable] = field(default_factory=set)

    def suppressed(self) -> set[Hashable]:
        return {key for key, s in self.status.items() if s in ("primary", "secondary")}


def is_primary(kind: Kind, cell: Cell, k: int) -> bool:
    """The primary rule of docs/outputs.md#5-disclosure-control for one figure."""
    if kind == "count":
        v = cell.value or 0
        return 0 < v < k
    if kind == "rate":
        # rate x its published denominator gives the numerator back, 1 - rate the others
        d = cell.denominator or 0
        n = cell.numerator or 0
        return any(0 < x < k for x in (d, n, d - n))
    pop = cell.population or 0
    return 0 < pop < k


def is_not_computable(kind: Kind, cell: Cell) -> bool:
    if kind == "count":
        return False
    if kind == "rate":
        return not cell.denominator
    return cell.value is None or (isinstance(cell.value, float) and math.isnan(cell.value))


def publish(kind: Kind, cell: Cell, status: Status, k: int, *,
            masked: bool = False) -> PublishedValue:
    """What a reader gets for one cell: the value, a marker, or None (not computable)."""
    if status == "primary":
        return Suppressed("primary", kind, k, ranged=not masked)
    if status == "secondary":
        return Suppressed("secondary", kind, k)
    if status == "hidden":
        raise ValueError("a hidden cell is never published")
    if status == "not_computable" or cell.value is None:
        return None
    return float(cell.value)


def display(value: PublishedValue, kind: Kind, formatter=None) -> str:
    """Render a published value (formatter formats plain numbers; defaults to str)."""
    if isinstance(value, Suppressed):
        return value.display()
    if value is None:
        return NOT_COMPUTABLE_MARK
    return formatter(value) if formatter else str(value)


# -- the engine --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Layer:
    """One additive layer of a rate cell, to state a relation with another table: `num` (the
    successes), `comp` (denominator - numerator) or `den` (both)."""

    key: Hashable
    layer: Literal["num", "comp", "den"]


@dataclass(frozen=True)
class Entry:
    """A cell of a mixed table (one delivery): its kind and its figure."""

    kind: Kind
    cell: Cell


@dataclass
class _Eq:
    """sum(sign * value) = 0 over variables; `parts`/`totals` for the k-units rule."""

    signs: dict[int, int]
    parts: list[int]
    totals: list[int]
    counts: bool  # people behind every term (counts, rate layers), not hours


def _determined(rows: Sequence[Mapping[int, int]]) -> list[int]:
    """Variables fixed by these equations (sum(sign * x) = known): brought to reduced row
    echelon form over the rationals (exact), a variable is determined iff it is a pivot whose
    row has no other (free) variable. Rows are sparse, so this stays fast."""
    # coefficients stay plain integers while pivots are +-1 (the usual case: sums of cells),
    # and become exact fractions only when needed
    pivots: dict[int, dict[int, int | Fraction]] = {}
    for signs in rows:
        row: dict[int, int | Fraction] = dict(signs)
        for pc in [c for c in row if c in pivots]:
            f = row.get(pc)
            if not f:
                continue
            for c, v in pivots[pc].items():
                nv = row.get(c, 0) - f * v
                if nv:
                    row[c] = nv
                else:
                    row.pop(c, None)
        if not row:
            continue
        pc = min(row)
        inv = row[pc]
        if inv in (1, -1):
            row = {c: v * inv for c, v in row.items()}
        else:
            row = {c: Fraction(v) / inv for c, v in row.items()}
        for other in pivots.values():
            f = other.get(pc)
            if not f:
                continue
            for c, v in row.items():
                nv = other.get(c, 0) - f * v
                if nv:
                    other[c] = nv
                else:
                    other.pop(c, None)
        pivots[pc] = row
    return sorted(pc for pc, row in pivots.items() if len(row) == 1)


class _Engine:
    """Greedy secondary suppression with an audit after each step (see module docstring).

    The engine works on additive *variables*: a count or a sum is one variable, a rate two
    (its successes and the others), tied together (withheld together); a median none.
    """

    def __init__(self, entries: Mapping[Hashable, Entry], groups: Sequence[Group],
                 k: int) -> None:
        self.k = k
        self.keys = list(entries)
        self.entries = [entries[key] for key in self.keys]
        self.entry_status: list[Status] = [self._initial(e, k) for e in self.entries]
        # variables
        self.var_entry: list[int] = []
        self.values: list[float] = []
        self.counted: list[bool] = []  # count semantics: `< k` is 1..k-1, `s` is >= k
        self.vars_of: list[list[int]] = []
        self.layer_var: dict[tuple[Hashable, str | None], int] = {}
        for ei, (key, e) in enumerate(zip(self.keys, self.entries, strict=True)):
            own: list[int] = []
            if e.kind == "rate":
                num = float(e.cell.numerator or 0)
                den = float(e.cell.denominator or 0)
                for layer, value in (("num", num), ("comp", den - num)):
                    self.layer_var[(key, layer)] = len(self.values)
                    own.append(len(self.values))
                    self.var_entry.append(ei)
                    self.values.append(value)
                    self.counted.append(False)
            elif e.kind in ("count", "sum"):
                self.layer_var[(key, None)] = len(self.values)
                own.append(len(self.values))
                self.var_entry.append(ei)
                self.values.append(float(e.cell.value or 0))
                self.counted.append(e.kind == "count")
            self.vars_of.append(own)
        n = len(self.values)
        self.eqs: list[_Eq] = []
        for g in groups:
            self.eqs.extend(self._equations(g))
        self.groups_of: list[list[int]] = [[] for _ in range(n)]
        self.total_of: list[int] = [0] * n  # how many equations a variable is the total of
        for gi, eq in enumerate(self.eqs):
            for i in eq.totals:
                self.total_of[i] += 1
            for i in eq.signs:
                self.groups_of[i].append(gi)
        # hidden cells need protection only when they are sensitive themselves
        self.sensitive_hidden = [not e.cell.visible and is_primary(e.kind, e.cell, k)
                                 for e in self.entries]
        self.masked: set[int] = set()  # entries shown `s` instead of `< k`
        self.accepted: set[int] = set()
        self._solved: dict[frozenset[int], list[int]] = {}

    @staticmethod
    def _initial(e: Entry, k: int) -> Status:
        return ("hidden" if not e.cell.visible else "primary" if is_primary(e.kind, e.cell, k)
                else "secondary" if e.cell.force
                else "not_computable" if is_not_computable(e.kind, e.cell) else "published")

    def _terms(self, member: Hashable | Layer, layer: str | None) -> list[int]:
        if isinstance(member, Layer):
            names = ("num", "comp") if member.layer == "den" else (member.layer,)
            return [self.layer_var[(member.key, name)] for name in names]
        if (member, layer) not in self.layer_var:
            if member in self.keys:
                raise ValueError("medians are not additive: a median table has no groups")
            raise KeyError(f"group refers to unknown cells: {member!r}")
        return [self.layer_var[(member, layer)]]

    def _equations(self, g: Group) -> list[_Eq]:
        """One equation per layer: a rate group holds for successes and for the others; a
        group naming `Layer`s links tables (a rate's denominator is a published count)."""
        members = (g.total, *g.parts)
        linked = any(isinstance(m, Layer) for m in members)
        rates = not linked and any((m, "num") in self.layer_var for m in members)
        out = []
        for layer in (("num", "comp") if rates else (None,)):
            signs: dict[int, int] = {}
            parts: list[int] = []
            for part in g.parts:
                for v in self._terms(part, layer):
                    signs[v] = signs.get(v, 0) + 1
                    parts.append(v)
            totals = self._terms(g.total, layer)
            for v in totals:
                signs[v] = signs.get(v, 0) - 1
            signs = {j: s for j, s in signs.items() if s}
            counts = all(self.entries[self.var_entry[j]].kind != "sum" for j in signs)
            out.append(_Eq(signs, parts, totals, counts))
        return out

    # -- what the reader knows -------------------------------------------------------------
    def status(self, i: int) -> Status:
        return self.entry_status[self.var_entry[i]]

    def unknown(self, i: int) -> bool:
        return self.status(i) in ("primary", "secondary", "hidden")

    def needs_protection(self, i: int) -> bool:
        """Withheld (or sensitive hidden) and not a zero layer of a rate: a zero is not
        sensitive (no one to single out), and the share of women of a women-only programme
        is 100 % by design."""
        e = self.var_entry[i]
        s = self.entry_status[e]
        if not self.counted[i] and self.values[i] == 0:
            return False
        return s in ("primary", "secondary") or (s == "hidden" and self.sensitive_hidden[e])

    def bounds(self, i: int) -> tuple[float, float]:
        """Public bounds of an unknown value: `< k` says 1..k-1, an `s` count is >= k (smaller
        ones would be `< k`); anything else only >= 0."""
        if self.counted[i]:
            if self.status(i) == "primary":
                return 1.0, (_INF if self.var_entry[i] in self.masked else float(self.k - 1))
            if self.status(i) == "secondary":
                return float(self.k), _INF
        return 0.0, _INF

    def _group_interval(self, i: int, gi: int) -> tuple[float, float]:
        """The range a reader can give variable i from equation gi alone (public bounds)."""
        signs = self.eqs[gi].signs
        s_i = signs.get(i, 0)
        if s_i == 0:
            return -_INF, _INF
        known = lo_r = hi_r = 0.0
        for j, s in signs.items():
            if j == i:
                continue
            if self.unknown(j):
                lo, hi = self.bounds(j)
                if s > 0:
                    lo_r, hi_r = lo_r + s * lo, hi_r + s * hi
                else:
                    lo_r, hi_r = lo_r + s * hi, hi_r + s * lo
            else:
                known += s * self.values[j]
        # s_i * x_i = -known - rest, with rest in [lo_r, hi_r]
        a, b = -known - hi_r, -known - lo_r
        lo, hi = (a / s_i, b / s_i) if s_i > 0 else (b / s_i, a / s_i)
        own_lo, own_hi = self.bounds(i)
        return max(lo, own_lo), min(hi, own_hi)

    def interval_leak(self, i: int, gi: int) -> bool:
        own_lo, own_hi = self.bounds(i)
        if own_hi - own_lo <= _EPS:
            return False  # the marker itself says it all (`< 2` with k = 2): the rule's choice
        lo, hi = self._group_interval(i, gi)
        return math.isfinite(lo) and math.isfinite(hi) and abs(hi - lo) <= _EPS * max(1, abs(hi))

    def hidden_mass(self, gi: int) -> float | None:
        """What the withheld parts of an equation hide together, when its total is shown (the
        reader gets it as total - shown parts); None when the total is unknown too."""
        eq = self.eqs[gi]
        if not eq.counts or any(self.unknown(t) for t in eq.totals):
            return None
        if not any(self.needs_protection(j) for j in eq.parts):
            return None
        return sum(self.values[j] for j in eq.parts if self.unknown(j))

    def mass_leak(self, gi: int) -> bool:
        """The k-units rule: withheld cells of a row, column or breakdown hide at least k
        people together (two `< 5` cells holding 3 between them single out 3 people)."""
        mass = self.hidden_mass(gi)
        return mass is not None and _EPS < mass < self.k - _EPS

    def leak(self, i: int, gi: int) -> bool:
        return self.interval_leak(i, gi) or self.mass_leak(gi)

    def determined(self) -> list[int]:
        """Protected unknowns whose value is the same in every solution of the equations.

        The equations restricted to the unknowns fall apart into independent blocks (shown
        figures cut them); each block is solved exactly and remembered, so after one more
        withheld figure only the block it joins is solved again.
        """
        rows = [{j: s for j, s in eq.signs.items() if self.unknown(j)} for eq in self.eqs]
        parent: dict[int, int] = {}

        def find(x: int) -> int:
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for row in rows:
            it = iter(row)
            first = next(it, None)
            for j in it:
                parent[find(j)] = find(first)  # type: ignore[arg-type]
        blocks: dict[int, list[dict[int, int]]] = {}
        for row in rows:
            if row:
                blocks.setdefault(find(next(iter(row))), []).append(row)
        out: list[int] = []
        for block_rows in blocks.values():
            key = frozenset(j for row in block_rows for j in row)
            if key not in self._solved:
                self._solved[key] = _determined(block_rows)
            out.extend(j for j in self._solved[key] if self.needs_protection(j))
        return sorted(out)

    # -- choosing a partner ------------------------------------------------------------------
    def _candidate(self, j: int) -> bool:
        e = self.var_entry[j]
        return (self.entry_status[e] == "published"
                and any(self.values[v] > 0 for v in self.vars_of[e]))

    def _weight(self, j: int) -> float:
        return sum(self.values[v] for v in self.vars_of[self.var_entry[j]])

    def _set(self, j: int, status: Status) -> None:
        self.entry_status[self.var_entry[j]] = status

    def choose_partner(self, i: int, gi: int | None) -> int | None:
        group_ids = [gi] if gi is not None else list(self.groups_of[i])
        cands = sorted({j for g in group_ids for j in self.eqs[g].signs if self._candidate(j)})
        if not cands:
            # the leak goes through a chain of equations: look wider, at every one with unknowns
            cands = sorted({j for eq in self.eqs for j in eq.signs
                            if self._candidate(j) and any(self.unknown(m) for m in eq.signs)})
        if not cands:
            return None

        def cost(j: int) -> tuple:
            fixes = True
            if gi is not None:
                self._set(j, "secondary")
                fixes = not self.leak(i, gi)
                self._set(j, "published")
            e = self.var_entry[j]
            # a hidden difference that is not sensitive protects nothing: it does not count
            lone = sum(1 for v in self.vars_of[e] for g in self.groups_of[v]
                       if not any(self.needs_protection(m) for m in self.eqs[g].signs))
            every_layer = all(self.values[v] > 0 for v in self.vars_of[e])
            # first what fixes the leak; then the figures readers need least (priority: totals
            # last); then those whose withholding creates no new lone unknown elsewhere (no
            # cascade); then inner cells (totals of nothing); then small ones
            return (not fixes, self.entries[e].cell.priority, lone,
                    sum(self.total_of[v] for v in self.vars_of[e]), not every_layer,
                    self._weight(j), j)

        return min(cands, key=cost)

    def choose_mask(self, i: int, gi: int | None) -> int | None:
        """Last resort when no figure is left to withhold: show a small count as `s` rather
        than `< k`, because the ranges of the markers pin a value (tiny tables only)."""
        if gi is None:
            return None
        members = [m for m in self.eqs[gi].signs
                   if self.counted[m] and self.status(m) == "primary"
                   and self.var_entry[m] not in self.masked]
        if not members:
            return None

        def cost(m: int) -> tuple:
            self.masked.add(self.var_entry[m])
            fixes = not self.leak(i, gi)
            self.masked.discard(self.var_entry[m])
            return (not fixes, m != i, not self.total_of[m], m)

        return min(members, key=cost)

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Protection:
        """Close leaks until none is left.

        Withholding one more figure, or hiding the range of a `< k`, only widens what a reader
        can infer about the others: a cell that was safe stays safe. So after a first full
        scan only the variables touched by a change are checked again (a work list); the
        whole-system check runs each time that list is empty.
        """
        unresolved: list[Hashable] = []
        pending = deque(i for i in range(len(self.values)) if self.needs_protection(i))
        while True:
            while pending:
                i = pending.popleft()
                if i in self.accepted or not self.needs_protection(i):
                    continue
                gi = next((g for g in self.groups_of[i] if self.leak(i, g)), None)
                if gi is None:
                    continue
                if not self._close(i, gi, pending):
                    unresolved.append(self.keys[self.var_entry[i]])
                pending.append(i)
            det = [i for i in self.determined() if i not in self.accepted]
            if not det:
                break
            if not self._close(det[0], None, pending):
                unresolved.append(self.keys[self.var_entry[det[0]]])
            pending.append(det[0])
        return Protection(dict(zip(self.keys, self.entry_status, strict=True)),
                          list(dict.fromkeys(unresolved)),
                          {self.keys[e] for e in self.masked})

    def _close(self, i: int, gi: int | None, pending: deque[int]) -> bool:
        """One step against the leak of variable i: withhold a partner, else hide a range;
        False when nothing is left to do (every non-zero figure around it is withheld)."""
        j = self.choose_partner(i, gi)
        if j is not None:
            self._set(j, "secondary")
            pending.extend(self.vars_of[self.var_entry[j]])
            # the others of the equations it sits in may now hide too little together
            pending.extend(m for v in self.vars_of[self.var_entry[j]] for g in self.groups_of[v]
                           for m in self.eqs[g].signs if self.needs_protection(m))
            return True
        m = self.choose_mask(i, gi)
        if m is not None:
            self.masked.add(self.var_entry[m])
            pending.append(m)
            return True
        self.accepted.update(v for v in self.vars_of[self.var_entry[i]])
        return False


def protect_table(entries: Mapping[Hashable, Entry], groups: Iterable[Group],
                  k: int = DEFAULT_K) -> Protection:
    """Decide the status of every cell of one mixed table: everything published together
    (counts, rates, sums, medians of one delivery), with the relations between its tables
    stated by groups over `Layer`s (a rate's denominator or numerator is a published count).

    Deterministic: the same table gives the same pattern, so a quarter re-published unchanged
    keeps its suppressions (different patterns over the same data would leak by comparison).
    """
    if k < 2:
        raise ValueError("k must be >= 2")
    return _Engine(entries, list(groups), k).run()


def protect(kind: Kind, cells: Mapping[Hashable, Cell], groups: Iterable[Group],
            k: int = DEFAULT_K) -> Protection:
    """Decide the status of every cell of one table of a single kind (see the module
    docstring for the rules): `protect_table` with every cell of that kind."""
    return protect_table({key: Entry(kind, c) for key, c in cells.items()}, groups, k)
