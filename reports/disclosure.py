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
import os
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

DEFAULT_K = 5
SECRET_MARK = "s"
NOT_COMPUTABLE_MARK = "–"

Kind = Literal["count", "rate", "sum", "median"]
Status = Literal["published", "primary", "secondary", "hidden", "not_computable"]

_INF = math.inf
_EPS = 1e-9


def k_from_env(env: Mapping[str, str] | None = None) -> int:
    """`DISCLOSURE_K` (default 5): the same validation as the settings module, readable alone."""
    raw = (os.environ if env is None else env).get("DISCLOSURE_K")
    if raw is None or raw.strip() == "":
        return DEFAULT_K
    try:
        k = int(raw)
    except ValueError:
        raise ValueError(f"DISCLOSURE_K={raw!r} is not valid: expected a whole number >= 2") from None
    if k < 2:
        raise ValueError(f"DISCLOSURE_K={raw!r} is not valid: expected a whole number >= 2")
    return k


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
        self.groups: list[tuple[int, list[int]]] = []
        for g in groups:
            if kind == "median":
                raise ValueError("medians are not additive: a median table has no groups")
            members = [g.total, *g.parts]
            missing = [m for m in members if m not in self.index]
            if missing:
                raise KeyError(f"group refers to unknown cells: {missing!r}")
            self.groups.append((self.index[g.total], [self.index[p] for p in g.parts]))
        self.groups_of: list[list[int]] = [[] for _ in range(n)]
        self.total_of: list[bool] = [False] * n
        for gi, (t, parts) in enumerate(self.groups):
            self.total_of[t] = True
            for i in {t, *parts}:
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
        """Public bounds of an unknown value (same for every layer but counts' own)."""
        if self.kind == "count":
            if self.status[i] == "primary":
                return 1.0, (_INF if i in self.masked else float(self.k - 1))
            if self.status[i] == "secondary":
                return float(self.k), _INF
        return 0.0, _INF

    def _group_interval(self, i: int, gi: int, layer: list[float]) -> tuple[float, float]:
        """The range a reader can give cell i from group gi alone (with public bounds)."""
        total, parts = self.groups[gi]
        signs: dict[int, int] = {}
        for p in parts:
            signs[p] = signs.get(p, 0) + 1
        signs[total] = signs.get(total, 0) - 1
        s_i = signs.get(i, 0)
        if s_i == 0:
            return -_INF, _INF
        known = 0.0
        lo_r = hi_r = 0.0
        for j, s in signs.items():
            if j == i or s == 0:
                continue
            if self.unknown(j):
                lo, hi = self.bounds(j)
                a, b = (s * lo, s * hi) if s > 0 else (s * hi, s * lo)
                lo_r += a
                hi_r += b
            else:
                known += s * layer[j]
        # s_i * x_i = -known - rest, rest in [lo_r, hi_r]
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
        """Protected unknowns whose value is the same in every solution of the equations."""
        unknowns = [i for i in range(len(self.keys)) if self.unknown(i)]
        if not unknowns:
            return []
        col = {i: c for c, i in enumerate(unknowns)}
        rows = []
        for total, parts in self.groups:
            row = np.zeros(len(unknowns))
            touched = False
            for p in parts:
                if p in col:
                    row[col[p]] += 1
                    touched = True
            if total in col:
                row[col[total]] -= 1
                touched = True
            if touched:
                rows.append(row)
        if not rows:
            return []
        a = np.array(rows)
        _, sing, vt = np.linalg.svd(a)
        rank = int((sing > 1e-9 * max(1.0, sing.max(initial=0.0))).sum())
        null = vt[rank:]  # rows spanning the null space
        out = []
        for i in unknowns:
            if not self.needs_protection(i):
                continue
            if null.shape[0] == 0 or np.abs(null[:, col[i]]).max() < 1e-9:
                out.append(i)
        return out

    def first_leak(self) -> tuple[int, int | None] | None:
        """A protected cell a reader could recompute, and the group that does it (if one)."""
        for i in range(len(self.keys)):
            if not self.needs_protection(i) or i in self.accepted:
                continue
            for gi in self.groups_of[i]:
                if self.interval_leak(i, gi):
                    return i, gi
        det = [i for i in self.determined() if i not in self.accepted]
        return (det[0], None) if det else None

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
        cands = sorted({j for g in group_ids for j in self._members(g) if self._candidate(j)})
        if not cands:
            # the leak goes through a chain of groups: look wider, at every group with unknowns
            cands = sorted({j for g in range(len(self.groups)) for j in self._members(g)
                            if self._candidate(j)
                            and any(self.unknown(m) for m in self._members(g))})
        if not cands:
            return None

        def cost(j: int) -> tuple:
            fixes = True
            if gi is not None:
                self.status[j] = "secondary"
                fixes = not self.interval_leak(i, gi)
                self.status[j] = "published"
            lone = sum(1 for g in self.groups_of[j]
                       if not any(self.unknown(m) for m in self._members(g)))
            both_layers = all(layer[j] > 0 for layer in self.layers)
            return (not fixes, lone, self.total_of[j], not both_layers, self._weight(j), j)

        return min(cands, key=cost)

    def _members(self, gi: int) -> list[int]:
        total, parts = self.groups[gi]
        return [total, *parts]

    def run(self) -> Protection:
        unresolved: list[Hashable] = []
        while True:  # ends: every round withholds one more published figure, or stops
            leak = self.first_leak()
            if leak is None:
                break
            i, gi = leak
            j = self.choose_partner(i, gi)
            if j is not None:
                self.status[j] = "secondary"
                continue
            m = self.choose_mask(i, gi)
            if m is not None:
                self.masked.add(m)
                continue
            # every non-zero figure around it is withheld already: nothing more can be done
            unresolved.append(self.keys[i])
            self.accepted.add(i)
        return Protection({key: self.status[i] for i, key in enumerate(self.keys)}, unresolved,
                          {self.keys[i] for i in self.masked})

    def choose_mask(self, i: int, gi: int | None) -> int | None:
        """Last resort when no figure is left to withhold: show a small count as `s` rather
        than `< k`, because the ranges of the markers pin a value (tiny tables only)."""
        if gi is None or self.kind != "count":
            return None
        members = [m for m in self._members(gi)
                   if self.status[m] == "primary" and m not in self.masked]
        if not members:
            return None

        def cost(m: int) -> tuple:
            self.masked.add(m)
            fixes = not self.interval_leak(i, gi)
            self.masked.discard(m)
            return (not fixes, m != i, not self.total_of[m], m)

        return min(members, key=cost)


def protect(kind: Kind, cells: Mapping[Hashable, Cell], groups: Iterable[Group],
            k: int = DEFAULT_K) -> Protection:
    """Decide the status of every cell of one table (see the module docstring for the rules).

    Deterministic: the same table gives the same pattern, so a quarter re-published unchanged
    keeps its suppressions (different patterns over the same data would leak by comparison).
    """
    if k < 2:
        raise ValueError("k must be >= 2")
    return _Engine(kind, cells, list(groups), k).run()
