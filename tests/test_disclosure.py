"""Property tests of the disclosure control
(docs/outputs.md#5-disclosure-control).

The oracle here is written independently of `reports.disclosure`: exact rational arithmetic
(fractions) decides whether a suppressed figure is determined by the published ones, and the
public bounds a reader gets from the markers (`< k` = 1..k-1, `s` count >= k, any value >= 0)
are checked group by group.
"""

from __future__ import annotations

import os
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reports.disclosure import (
    Cell,
    Entry,
    Group,
    Layer,
    Suppressed,
    is_primary,
    protect,
    protect_table,
    publish,
)

UNKNOWN = ("primary", "secondary", "hidden")

small_counts = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40))


# -- the oracle --------------------------------------------------------------------------------
def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by Gauss-Jordan elimination over the rationals (exact)."""
    m = [row[:] for row in rows]
    rank, ncols = 0, len(m[0]) if m else 0
    for c in range(ncols):
        pivot = next((r for r in range(rank, len(m)) if m[r][c] != 0), None)
        if pivot is None:
            continue
        m[rank], m[pivot] = m[pivot], m[rank]
        for r in range(len(m)):
            if r != rank and m[r][c] != 0:
                f = m[r][c] / m[rank][c]
                m[r] = [a - f * b for a, b in zip(m[r], m[rank], strict=True)]
        rank += 1
    return rank


def determined_cells(status: dict, groups: list[Group]) -> set:
    """Unknown cells whose value is fixed by the published equations: e_c in the row space."""
    unknowns = sorted((key for key, s in status.items() if s in UNKNOWN), key=repr)
    if not unknowns:
        return set()
    col = {key: i for i, key in enumerate(unknowns)}
    rows = []
    for g in groups:
        row = [Fraction(0)] * len(unknowns)
        for p in g.parts:
            if p in col:
                row[col[p]] += 1
        if g.total in col:
            row[col[g.total]] -= 1
        if any(row):
            rows.append(row)
    if not rows:
        return set()
    base = _rank(rows)
    out = set()
    for key in unknowns:
        unit = [Fraction(0)] * len(unknowns)
        unit[col[key]] = Fraction(1)
        if _rank([*rows, unit]) == base:
            out.add(key)
    return out


def reader_bounds(status: str, k: int, counts: bool, masked: bool = False):
    if counts and status == "primary":
        return (1, float("inf")) if masked else (1, k - 1)
    if counts and status == "secondary":
        return k, float("inf")
    return 0, float("inf")


def group_interval(key, group: Group, status: dict, layer: dict, k: int, counts: bool,
                   masked: set):
    """What a reader infers for `key` from one equation and the public bounds."""
    members = [(p, 1) for p in group.parts] + [(group.total, -1)]
    coef = sum(s for m, s in members if m == key)
    if coef == 0:
        return None
    rhs = 0.0  # coef * x = rhs - sum(other unknowns, signed)
    lo_rest = hi_rest = 0.0
    for m, s in members:
        if m == key:
            continue
        if status[m] in UNKNOWN:
            lo, hi = reader_bounds(status[m], k, counts, m in masked)
            lo_rest += min(s * lo, s * hi)
            hi_rest += max(s * lo, s * hi)
        else:
            rhs -= s * layer[m]
    candidates = [(rhs - hi_rest) / coef, (rhs - lo_rest) / coef]
    lo, hi = min(candidates), max(candidates)
    own_lo, own_hi = reader_bounds(status[key], k, counts, key in masked)
    return max(lo, own_lo), min(hi, own_hi)


def assert_protected(kind, cells: dict, groups: list[Group], k: int) -> dict:
    result = protect(kind, cells, groups, k)
    status = result.status
    # a leak may stay open only when every non-zero figure of its equations is withheld already
    for key in result.unresolved:
        for g in groups:
            members = (g.total, *g.parts)
            if key in members:
                assert all(status[m] != "published" or not cells[m].value for m in members)
    # primary rule, and nothing sensitive published
    for key, cell in cells.items():
        if cell.visible and is_primary(kind, cell, k):
            assert status[key] == "primary", key
        shown = (publish(kind, cell, status[key], k, masked=key in result.masked)
                 if status[key] != "hidden" else None)
        if kind == "count" and not isinstance(shown, Suppressed) and shown is not None:
            assert not 1 <= shown <= k - 1, (key, shown)
            assert shown == cell.value  # published values are the true values
        if isinstance(shown, Suppressed):
            assert cell.value != 0 or kind == "rate", "a zero count is never withheld"
    # every equation touching a protected unknown has at least two unknowns (a lone unknown
    # is derivable: fine only for a hidden difference that is not sensitive itself)
    sensitive_hidden = {key for key, c in cells.items()
                        if status[key] == "hidden" and is_primary(kind, c, k)}
    for g in groups:
        unknown = [m for m in (g.total, *g.parts) if status[m] in UNKNOWN]
        if len(unknown) == 1:
            assert status[unknown[0]] == "hidden" and unknown[0] not in sensitive_hidden, g
    # no withheld figure is fixed by the whole system of published equations
    withheld = {key for key, s in status.items() if s in ("primary", "secondary")}
    assert not (determined_cells(status, groups) & (withheld | sensitive_hidden))
    # nor pinned by one equation and the bounds the markers give away
    layers = ([{key: c.numerator for key, c in cells.items()},
               {key: c.denominator - c.numerator for key, c in cells.items()}]
              if kind == "rate" else [{key: c.value for key, c in cells.items()}])
    for key in withheld - set(result.unresolved):
        own_lo, own_hi = reader_bounds(status[key], k, kind == "count", key in result.masked)
        if own_hi == own_lo:
            continue  # k = 2: `< 2` means 1 by the rule itself
        for g in groups:
            for layer in layers:
                if kind == "rate" and layer[key] == 0:
                    continue  # a zero layer is not sensitive (nobody to single out)
                iv = group_interval(key, g, status, layer, k, kind == "count",
                                    result.masked)
                if iv is not None:
                    assert iv[1] - iv[0] > 1e-9, (key, g, iv)
    return status


# -- tables ------------------------------------------------------------------------------------
@st.composite
def joint_tables(draw):
    """A sex x age contingency, published as a total with two one-way breakdowns."""
    rows = draw(st.integers(2, 4))
    cols = draw(st.integers(2, 4))
    grid = [[draw(small_counts) for _ in range(cols)] for _ in range(rows)]
    return grid


def total_and_breakdowns(grid: list[list[int]]) -> tuple[dict, list[Group]]:
    cells = {"total": Cell(float(sum(map(sum, grid))))}
    for r, row in enumerate(grid):
        cells[("sex", r)] = Cell(float(sum(row)))
    for c in range(len(grid[0])):
        cells[("age", c)] = Cell(float(sum(row[c] for row in grid)))
    groups = [
        Group("total", tuple(("sex", r) for r in range(len(grid)))),
        Group("total", tuple(("age", c) for c in range(len(grid[0])))),
    ]
    return cells, groups


def row_by_column(grid: list[list[int]]) -> tuple[dict, list[Group]]:
    nr, nc = len(grid), len(grid[0])
    cells = {(r, c): Cell(float(grid[r][c])) for r in range(nr) for c in range(nc)}
    for r in range(nr):
        cells[(r, "T")] = Cell(float(sum(grid[r])))
    for c in range(nc):
        cells[("T", c)] = Cell(float(sum(grid[r][c] for r in range(nr))))
    cells[("T", "T")] = Cell(float(sum(map(sum, grid))))
    groups = [Group((r, "T"), tuple((r, c) for c in range(nc))) for r in range(nr)]
    groups += [Group(("T", c), tuple((r, c) for r in range(nr))) for c in range(nc)]
    groups.append(Group(("T", "T"), tuple((r, "T") for r in range(nr))))
    groups.append(Group(("T", "T"), tuple(("T", c) for c in range(nc))))
    return cells, groups


ks = st.sampled_from([2, 3, 5, 10])
# SEA_HYPOTHESIS_EXAMPLES raises the effort for a deeper local run (default keeps CI fast)
fast = settings(max_examples=int(os.environ.get("SEA_HYPOTHESIS_EXAMPLES", "150")),
                deadline=None, suppress_health_check=[HealthCheck.too_slow])


@fast
@given(joint_tables(), ks)
def test_total_with_two_breakdowns(grid, k):
    cells, groups = total_and_breakdowns(grid)
    assert_protected("count", cells, groups, k)


@fast
@given(st.integers(2, 4), st.integers(2, 5), st.data(), ks)
def test_row_by_column_table(nr, nc, data, k):
    grid = [[data.draw(small_counts) for _ in range(nc)] for _ in range(nr)]
    cells, groups = row_by_column(grid)
    assert_protected("count", cells, groups, k)


@st.composite
def rate_grids(draw):
    """Joint (denominator, numerator) per sex x age cell, numerator <= denominator."""
    rows, cols = draw(st.integers(2, 3)), draw(st.integers(2, 3))
    dens = [[draw(small_counts) for _ in range(cols)] for _ in range(rows)]
    nums = [[draw(st.integers(0, d)) for d in row] for row in dens]
    return dens, nums


@fast
@given(rate_grids(), ks)
def test_rates_with_two_breakdowns(grids, k):
    dens, nums = grids

    def cell(pairs):
        d = float(sum(x for x, _ in pairs))
        n = float(sum(y for _, y in pairs))
        return Cell(n / d if d else None, numerator=n, denominator=d)

    joint = [[(dens[r][c], nums[r][c]) for c in range(len(dens[0]))] for r in range(len(dens))]
    cells = {"total": cell([p for row in joint for p in row])}
    for r, row in enumerate(joint):
        cells[("sex", r)] = cell(row)
    for c in range(len(joint[0])):
        cells[("age", c)] = cell([row[c] for row in joint])
    groups = [Group("total", tuple(("sex", r) for r in range(len(joint)))),
              Group("total", tuple(("age", c) for c in range(len(joint[0]))))]
    status = assert_protected("rate", cells, groups, k)
    for key, c in cells.items():
        if c.denominator == 0:
            assert status[key] == "not_computable"


@fast
@given(st.lists(small_counts, min_size=2, max_size=4), small_counts, ks)
def test_hidden_differences_are_protected(children, own, k):
    """parent = own (never shown) + children: a small own part must not be derivable."""
    cells = {"parent": Cell(float(own + sum(children))), "own": Cell(float(own), visible=False)}
    cells.update({("child", i): Cell(float(v)) for i, v in enumerate(children)})
    groups = [Group("parent", ("own", *[("child", i) for i in range(len(children))]))]
    status = assert_protected("count", cells, groups, k)
    if 0 < own < k:
        assert "own" not in determined_cells(status, groups)


# -- worked examples (the cases the brief names) -------------------------------------------------
def test_only_other_cell_is_the_total():
    """All entrants are women except 2 of unknown sex; M and X are 0 (published, known)."""
    cells = {"total": Cell(30.0), "F": Cell(28.0), "M": Cell(0.0), "X": Cell(0.0),
             "U": Cell(2.0), "<26": Cell(10.0), "26-44": Cell(20.0)}
    groups = [Group("total", ("F", "M", "X", "U")), Group("total", ("<26", "26-44"))]
    status = assert_protected("count", cells, groups, 5)
    assert status["U"] == "primary"
    assert status["F"] == "secondary"  # the only non-zero partner that is not the total
    assert status["M"] == status["X"] == "published"


def test_single_part_forces_the_total_and_the_other_breakdown():
    """One sex cell equals the total: suppressing it means suppressing the total, which in
    turn needs a second unknown in the age breakdown."""
    cells = {"total": Cell(3.0), "F": Cell(3.0), "M": Cell(0.0),
             "<26": Cell(1.0), "26-44": Cell(2.0), "45+": Cell(0.0)}
    groups = [Group("total", ("F", "M")), Group("total", ("<26", "26-44", "45+"))]
    status = assert_protected("count", cells, groups, 5)
    assert status["total"] == status["F"] == "primary"
    assert status["M"] == status["45+"] == "published"


def test_boundary_partner_is_rejected():
    """total 50: F=1 (< 5), M=5, X=44. Pairing F with M would let a reader compute F = 1,
    since M shown as `s` is known to be >= 5 and F + M = 6."""
    cells = {"total": Cell(50.0), "F": Cell(1.0), "M": Cell(5.0), "X": Cell(44.0)}
    status = assert_protected("count", cells, [Group("total", ("F", "M", "X"))], 5)
    assert status["F"] == "primary"
    assert status["M"] == "published" and status["X"] == "secondary"


def test_medians_only_get_primary_suppression():
    cells = {"all": Cell(80.0, population=12), "F": Cell(70.0, population=3),
             "M": Cell(85.0, population=9), "X": Cell(None, population=0)}
    status = protect("median", cells, [], 5).status
    assert status == {"all": "published", "F": "primary", "M": "published",
                      "X": "not_computable"}


def test_markers():
    assert Suppressed("primary", "count", 5).display() == "< 5"
    assert Suppressed("secondary", "count", 5).display() == "s"
    assert Suppressed("primary", "rate", 5).display() == "s"




# -- the rules of one delivery ------------------------------------------------------------------
def test_rate_with_a_small_numerator_or_complement_is_primary():
    """5,0 % of 20 published exits is one person; 95,0 % tells the one other."""
    assert is_primary("rate", Cell(0.05, numerator=1.0, denominator=20.0), 5)
    assert is_primary("rate", Cell(0.95, numerator=19.0, denominator=20.0), 5)
    assert not is_primary("rate", Cell(0.5, numerator=10.0, denominator=20.0), 5)
    assert not is_primary("rate", Cell(0.0, numerator=0.0, denominator=20.0), 5)
    cells = {"all": Cell(11 / 40, numerator=11.0, denominator=40.0),
             "F": Cell(1 / 20, numerator=1.0, denominator=20.0),
             "M": Cell(10 / 20, numerator=10.0, denominator=20.0)}
    status = assert_protected("rate", cells, [Group("all", ("F", "M"))], 5)
    assert status["F"] == "primary" and status["M"] == "secondary"


def test_withheld_cells_hide_at_least_k_units():
    """total 125 with two `< 5` cells holding 3: a reader knows 3 people are X or unknown."""
    cells = {"total": Cell(125.0), "F": Cell(60.0), "M": Cell(62.0), "X": Cell(2.0),
             "U": Cell(1.0)}
    status = assert_protected("count", cells, [Group("total", ("F", "M", "X", "U"))], 5)
    assert status["X"] == status["U"] == "primary"
    assert status["F"] == "secondary" and status["M"] == "published"  # hidden: 63 >= 5
    hidden = sum(c.value for key, c in cells.items()
                 if key != "total" and status[key] != "published")
    assert hidden >= 5


def test_one_table_links_a_rate_to_its_denominator():
    """Exits withheld in the count table cannot come back through a rate shown beside it:
    the rate's two layers add up to the exits of the same cell."""
    counts = {("SOR", "all"): Cell(40.0), ("SOR", "F"): Cell(3.0), ("SOR", "M"): Cell(37.0)}
    rates = {("SD", "all"): Cell(21 / 40, numerator=21.0, denominator=40.0),
             ("SD", "F"): Cell(1 / 3, numerator=1.0, denominator=3.0),
             ("SD", "M"): Cell(20 / 37, numerator=20.0, denominator=37.0)}
    entries = {**{k: Entry("count", c) for k, c in counts.items()},
               **{k: Entry("rate", c) for k, c in rates.items()}}
    groups = [Group(("SOR", "all"), (("SOR", "F"), ("SOR", "M"))),
              Group(("SD", "all"), (("SD", "F"), ("SD", "M")))]
    groups += [Group(("SOR", v), (Layer(("SD", v), "den"),)) for v in ("all", "F", "M")]
    status = protect_table(entries, groups, 5).status
    assert status[("SOR", "F")] == "primary" and status[("SOR", "M")] == "secondary"
    # M's rate shown with the total would give back M's exits, hence F's: withheld too
    assert status[("SD", "F")] == "primary" and status[("SD", "M")] != "published"
