"""Statistical disclosure control (outputs.md § publication rules).

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
  (successes and the others): both must be impossible to recompute. Medians are not additive
  (no median can be recomputed from others), so they only get primary suppression.
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
    """The primary rule of outputs.md for one figure."""
    if kind == "count":
        v = cell.value or 0
        return 0 < v < k
    if kind == "rate":
        d = cell.denominator or 0
        return 0 < d < k
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
class _Engine:
    """Greedy secondary suppression with an audit after each step (see module docstring)."""

    def __init__(self, kind: Kind, cells: Mapping[Hashable, Cell], groups: Sequence[Group],
                 k: int) -> None:
        self.kind, self.k = kind, k
        self.keys = list(cells)
        self.index = {key: i for i, key in enumerate(self.keys)}
        self.cells = [cells[key] for key in self.keys]
        n = len(self.keys)
        self.members: list[list[int]] = []
        self.signs: list[dict[int, int]] = []  # part +1, total -1: sum(sign * value) = 0
        for g in groups:
            if kind == "median":
                raise ValueError("medians are not additive: a median table has no groups")
            missing = [m for m in (g.total, *g.parts) if m not in self.index]
            if missing:
                raise KeyError(f"group refers to unknown cells: {missing!r}")
            signs: dict[int, int] = {}
            for part in g.parts:
                signs[self.index[part]] = signs.get(self.index[part], 0) + 1
            t = self.index[g.total]
            signs[t] = signs.get(t, 0) - 1
            self.signs.append({j: v for j, v in signs.items() if v})
            self.members.append([t, *(self.index[p] for p in g.parts)])
        self.groups_of: list[list[int]] = [[] for _ in range(n)]
        self.total_of: list[int] = [0] * n  # how many groups a cell is the total of
        for gi, members in enumerate(self.members):
            self.total_of[members[0]] += 1
            for i in set(members):
                self.groups_of[i].append(gi)
        self.layers = self._layers()
        self.status: list[Status] = []
        for c in self.cells:
            if not c.visible:
                self.status.append("hidden")
            elif is_primary(kind, c, k):
                self.status.append("primary")
            elif c.force:
                self.status.append("secondary")
            elif is_not_computable(kind, c):
                self.status.append("not_computable")
            else:
                self.status.append("published")
        # hidden cells need protection only when they are sensitive themselves
        self.sensitive_hidden = [not c.visible and is_primary(kind, c, k) for c in self.cells]
        self.masked: set[int] = set()
        self.accepted: set[int] = set()

    def _layers(self) -> list[list[float]]:
        """The additive quantities the equations hold for (two for a rate)."""
        if self.kind == "rate":
            num = [float(c.numerator or 0) for c in self.cells]
            den = [float(c.denominator or 0) for c in self.cells]
            return [num, [d - x for d, x in zip(den, num, strict=True)]]
        if self.kind == "median":
            return []
        return [[float(c.value or 0) for c in self.cells]]

    # -- what the reader knows -------------------------------------------------------------
    def unknown(self, i: int) -> bool:
        return self.status[i] in ("primary", "secondary", "hidden")

    def needs_protection(self, i: int) -> bool:
        s = self.status[i]
        return s in ("primary", "secondary") or (s == "hidden" and self.sensitive_hidden[i])

    def bounds(self, i: int) -> tuple[float, float]:
        """Public bounds of an unknown value: `< k` says 1..k-1, an `s` count is >= k (smaller
        ones would be `< k`); anything else only >= 0."""
        if self.kind == "count":
            if self.status[i] == "primary":
                return 1.0, (_INF if i in self.masked else float(self.k - 1))
            if self.status[i] == "secondary":
                return float(self.k), _INF
        return 0.0, _INF

    def _group_interval(self, i: int, gi: int, layer: list[float]) -> tuple[float, float]:
        """The range a reader can give cell i from group gi alone (with public bounds)."""
        signs = self.signs[gi]
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
                known += s * layer[j]
        # s_i * x_i = -known - rest, with rest in [lo_r, hi_r]
        a, b = -known - hi_r, -known - lo_r
        lo, hi = (a / s_i, b / s_i) if s_i > 0 else (b / s_i, a / s_i)
        own_lo, own_hi = self.bounds(i)
        return max(lo, own_lo), min(hi, own_hi)

    def interval_leak(self, i: int, gi: int) -> bool:
        own_lo, own_hi = self.bounds(i)
        if own_hi - own_lo <= _EPS:
            return False  # the marker itself says it all (`< 2` with k = 2): the rule's choice
        for layer in self.layers:
            lo, hi = self._group_interval(i, gi, layer)
            if math.isfinite(lo) and math.isfinite(hi) and abs(hi - lo) <= _EPS * max(1, abs(hi)):
                return True
        return False

    def determined(self) -> list[int]:
        """Protected unknowns whose value is the same in every solution of the equations.

        Exact: the equations restricted to the unknowns are brought to reduced row echelon
        form over the rationals; an unknown is determined iff it is a pivot whose row has no
        other (free) unknown. Rows are sparse, so this stays fast on hundreds of cells.
        """
        pivots: dict[int, dict[int, Fraction]] = {}
        for signs in self.signs:
            row = {j: Fraction(s) for j, s in signs.items() if self.unknown(j)}
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
            row = {c: v / inv for c, v in row.items()}
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
        return sorted(pc for pc, row in pivots.items()
                      if len(row) == 1 and self.needs_protection(pc))

    # -- choosing a partner ------------------------------------------------------------------
    def _candidate(self, j: int) -> bool:
        if self.status[j] != "published":
            return False
        return any(layer[j] > 0 for layer in self.layers)

    def _weight(self, j: int) -> float:
        if self.kind == "rate":
            return float(self.cells[j].denominator or 0)
        return sum(layer[j] for layer in self.layers)

    def choose_partner(self, i: int, gi: int | None) -> int | None:
        group_ids = [gi] if gi is not None else list(self.groups_of[i])
        cands = sorted({j for g in group_ids for j in self.members[g] if self._candidate(j)})
        if not cands:
            # the leak goes through a chain of groups: look wider, at every group with unknowns
            cands = sorted({j for g, members in enumerate(self.members) for j in members
                            if self._candidate(j) and any(self.unknown(m) for m in members)})
        if not cands:
            return None

        def cost(j: int) -> tuple:
            fixes = True
            if gi is not None:
                self.status[j] = "secondary"
                fixes = not self.interval_leak(i, gi)
                self.status[j] = "published"
            # a hidden difference that is not sensitive protects nothing: it does not count
            lone = sum(1 for g in self.groups_of[j]
                       if not any(self.needs_protection(m) for m in self.members[g]))
            both_layers = all(layer[j] > 0 for layer in self.layers)
            # innermost cells first (totals of no group): withholding a total cascades into
            # every table it sums up, and totals are what readers need most
            # figures readers need most (priority: totals) last; then those whose withholding
            # creates no new lone unknown elsewhere (no cascade); then inner cells; then small
            return (not fixes, self.cells[j].priority, lone, self.total_of[j], not both_layers,
                    self._weight(j), j)

        return min(cands, key=cost)

    def choose_mask(self, i: int, gi: int | None) -> int | None:
        """Last resort when no figure is left to withhold: show a small count as `s` rather
        than `< k`, because the ranges of the markers pin a value (tiny tables only)."""
        if gi is None or self.kind != "count":
            return None
        members = [m for m in self.members[gi]
                   if self.status[m] == "primary" and m not in self.masked]
        if not members:
            return None

        def cost(m: int) -> tuple:
            self.masked.add(m)
            fixes = not self.interval_leak(i, gi)
            self.masked.discard(m)
            return (not fixes, m != i, not self.total_of[m], m)

        return min(members, key=cost)

    # -- the loop ----------------------------------------------------------------------------
    def run(self) -> Protection:
        """Close leaks until none is left.

        Withholding one more figure, or hiding the range of a `< k`, only widens what a reader
        can infer about the others: a cell that was safe stays safe. So after a first full
        scan only the cells touched by a change are checked again (a work list); the
        whole-system check runs each time that list is empty.
        """
        unresolved: list[Hashable] = []
        pending = deque(i for i in range(len(self.keys)) if self.needs_protection(i))
        while True:
            while pending:
                i = pending.popleft()
                if i in self.accepted or not self.needs_protection(i):
                    continue
                gi = next((g for g in self.groups_of[i] if self.interval_leak(i, g)), None)
                if gi is None:
                    continue
                if not self._close(i, gi, pending):
                    unresolved.append(self.keys[i])
                pending.append(i)
            det = [i for i in self.determined() if i not in self.accepted]
            if not det:
                break
            if not self._close(det[0], None, pending):
                unresolved.append(self.keys[det[0]])
            pending.append(det[0])
        return Protection({key: self.status[i] for i, key in enumerate(self.keys)}, unresolved,
                          {self.keys[i] for i in self.masked})

    def _close(self, i: int, gi: int | None, pending: deque[int]) -> bool:
        """One step against the leak of cell i: withhold a partner, else hide a range; False
        when nothing is left to do (every non-zero figure around it is withheld already)."""
        j = self.choose_partner(i, gi)
        if j is not None:
            self.status[j] = "secondary"
            pending.append(j)
            return True
        m = self.choose_mask(i, gi)
        if m is not None:
            self.masked.add(m)
            pending.append(m)
            return True
        self.accepted.add(i)
        return False


def protect(kind: Kind, cells: Mapping[Hashable, Cell], groups: Iterable[Group],
            k: int = DEFAULT_K) -> Protection:
    """Decide the status of every cell of one table (see the module docstring for the rules).

    Deterministic: the same table gives the same pattern, so a quarter re-published unchanged
    keeps its suppressions (different patterns over the same data would leak by comparison).
    """
    if k < 2:
        raise ValueError("k must be >= 2")
    return _Engine(kind, cells, list(groups), k).run()
