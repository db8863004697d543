"""An attacker's reading of a delivered quarter
(docs/outputs.md#5-disclosure-control).

A delivery is built by the real code from the simulated warehouse of `test_reports`; then
everything in the sent folder is read the way a curious recipient would (the collecteur's cells,
`figures.csv`, the HTML report's text) and every recomputation the rules name is tried:
rate x published denominator, (1 - rate) x denominator, total minus the shown cells of each
breakdown / row / column (with what the `< k` and `s` markers tell), and the exact linear system
of all these relations. The exact internal mart says whether a recomputed count is true: no
count of 1..k-1 may come out. A re-delivery must keep its diff out of the sent folder.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from html import unescape
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pandas as pd
import pytest

from common.quarters import Quarter
from tests.test_reports import (
    AS_OF,
    CATALOGUE,
    PARENTS,
    QUARTER,
    K,
    build,
    make_warehouse,
    mart,
)

KINDS = {c: t for c, _l, _v, t, *_ in CATALOGUE}
DIMS = {"sex": ("F", "M", "X", "unknown"), "age_band": ("<26", "26-44", "45+", "unknown")}
ROOTS = [p for p, parent in PARENTS.items() if parent is None]
CHILDREN = {p: [c for c, parent in PARENTS.items() if parent == p] for p in PARENTS}


# -- what was sent ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    root = tmp_path_factory.mktemp("attack")
    wh = make_warehouse(root / "warehouse.duckdb")
    result = build(wh, root / "envoi")
    return wh, result


def sent_knowledge(folder: Path) -> dict:
    """Every figure a recipient reads: {key: ('value', x) | ('lt',) | ('s',) | ('na',)},
    key = (indicator, quarter, programme, antenna, dimension, value). figures.csv is the
    machine-readable record of the report and the workbook; both are checked against it."""
    figures = pd.read_csv(folder / "figures.csv", dtype=str, keep_default_na=False)
    figures = figures[figures.measure == "value"]
    known: dict = {}
    for r in figures.itertuples(index=False):
        key = (r.indicator_code, r.quarter, r.programme, r.antenna, r.dimension,
               r.dimension_value)
        if r.status == "published" and r.value != "":
            known[key] = ("value", float(r.value))
        elif r.display == f"< {K}":
            known[key] = ("lt",)
        elif r.status in ("primary", "secondary"):
            known[key] = ("s",)
        else:
            known[key] = ("na",)
    # nothing else in the workbook or the report: every number shown there is in figures.csv
    shown = {round(v[1], 4) for v in known.values() if v[0] == "value"}
    shown |= {round(v[1] * 100, 1) for v in known.values() if v[0] == "value"}
    wb = openpyxl.load_workbook(next(folder.glob("*.xlsx")))
    for ws in wb.worksheets[1:]:
        for row in ws.iter_rows(min_row=2, values_only=True):
            for v in row:
                if isinstance(v, int | float) and not isinstance(v, bool):
                    assert round(float(v), 4) in shown or round(float(v), 1) in shown, v
    html = unescape(next(folder.glob("*.html")).read_text(encoding="utf-8"))
    text = re.sub(r"<[^>]+>", " ", re.sub(r"data:[^\"']+", "", html))
    assert "→" not in text  # no before/after of a figure
    return known


def truth_table(wh: Path) -> dict:
    exact = mart(wh)
    exact["quarter"] = [Quarter.of(pd.Timestamp(d).date()).code for d in exact["period_start"]]
    out = {}
    for r in exact.itertuples(index=False):
        key = (r.indicator_code, r.quarter, r.programme, r.antenna, r.dimension,
               r.dimension_value)
        out[key] = (r.value, r.numerator, r.denominator)
    return out


def true_count(truth: dict, key) -> float:
    v = truth.get(key)
    return 0.0 if v is None or v[0] is None or pd.isna(v[0]) else float(v[0])


def true_layers(truth: dict, key) -> tuple[float, float]:
    v = truth.get(key)
    if v is None or v[2] is None or pd.isna(v[2]):
        return 0.0, 0.0
    return float(v[1]), float(v[2]) - float(v[1])


def small(x: float) -> bool:
    return 1 - 1e-6 <= x <= K - 1 + 1e-6


# -- the relations a reader knows (the programme tree is public) --------------------------------
def relations(known: dict) -> list[tuple[tuple, list[tuple]]]:
    """(total key, part keys) of every sum a reader knows; `~own:` marks a parent programme's
    own enrolments, never shown."""
    out = []
    by_table: dict = defaultdict(set)
    for code, q, p, a, _d, _v in known:
        by_table[(code, q)].add((p, a))
    for (code, q), scopes in by_table.items():
        programmes = sorted({p for p, _ in scopes if p != "ALL"})
        antennas = sorted({a for _, a in scopes if a != "ALL"})
        cells = [("total", "total")] + [(d, v) for d, vs in DIMS.items() for v in vs]
        for p, a in scopes:
            for d, vs in DIMS.items():
                out.append(((code, q, p, a, "total", "total"),
                            [(code, q, p, a, d, v) for v in vs]))
        for d, v in cells:
            for p in ["ALL", *programmes]:
                out.append(((code, q, p, "ALL", d, v),
                            [(code, q, p, a, d, v) for a in antennas if (p, a) in scopes]))
            for a in ["ALL", *antennas]:
                out.append(((code, q, "ALL", a, d, v),
                            [(code, q, r, a, d, v) for r in ROOTS if (r, a) in scopes]))
                for parent, kids in CHILDREN.items():
                    if kids and (parent, a) in scopes:
                        out.append(((code, q, parent, a, d, v),
                                    [(code, q, f"~own:{parent}", a, d, v)]
                                    + [(code, q, c, a, d, v) for c in kids]))
    return out


DENOMINATOR = {"ENT_F": "ENT", "ABD": "SOR", "SD_SORTIE": "SOR", "ED_SORTIE": "SOR",
               "EMP_SORTIE": "SOR", "SP_SORTIE": "SOR"}


def layered(known: dict) -> dict:
    """Counts as shown, plus the two layers of every rate whose denominator is shown
    (rate x denominator, (1 - rate) x denominator)."""
    out = {}
    for key, v in known.items():
        code = key[0]
        if KINDS.get(code) == "count":
            out[key] = v
        elif KINDS.get(code) == "rate":
            den_key = (DENOMINATOR.get(code), *key[1:])
            den = known.get(den_key)
            if v[0] == "value" and den is not None and den[0] == "value":
                n = v[1] * den[1]
                out[(f"{code}#num", *key[1:])] = ("value", round(n))
                out[(f"{code}#comp", *key[1:])] = ("value", round(den[1] - n))
            elif v[0] != "na":
                out[(f"{code}#num", *key[1:])] = ("s",)
                out[(f"{code}#comp", *key[1:])] = ("s",)
    return out


def exact_of(truth: dict, key) -> float:
    code = key[0]
    if "#" in code:
        base, layer = code.split("#")
        num, comp = true_layers(truth, (base, *key[1:]))
        return num if layer == "num" else comp
    return true_count(truth, key)


# -- the attacks ---------------------------------------------------------------------------------
def attack_rates(known: dict, truth: dict) -> list:
    """rate x every shown count of the same cell, and (1 - rate) x it."""
    found = []
    counts = [c for c, t in KINDS.items() if t == "count"]
    for key, v in known.items():
        if KINDS.get(key[0]) != "rate" or v[0] != "value":
            continue
        num, comp = true_layers(truth, key)
        for count in counts:
            den = known.get((count, *key[1:]))
            if den is None or den[0] != "value":
                continue
            for guess, true in ((v[1] * den[1], num), ((1 - v[1]) * den[1], comp)):
                if abs(guess - round(guess)) < 0.05 and small(round(guess)) \
                        and round(guess) == true:
                    found.append(("rate", key, count, round(guess)))
    return found


def attack_groups(facts: dict, truth: dict, rels) -> list:
    """Total minus the shown parts of each relation, bounded by the markers."""
    found = []
    layers = ["", "#num", "#comp"]
    for total, parts in rels:
        for layer in layers:
            if layer and KINDS.get(total[0]) != "rate":
                continue
            if not layer and KINDS.get(total[0]) != "count":
                continue

            def lk(key, layer=layer, total=total):
                return (total[0] + layer, *key[1:])

            t = facts.get(lk(total))
            if t is None or t[0] != "value":
                continue
            rest, unknown = t[1], []
            for p in parts:
                f = facts.get(lk(p))
                if f is not None and f[0] == "value":
                    rest -= f[1]
                elif f is None and p[2].startswith("~"):  # never shown: ~own, ~tous
                    unknown.append((lk(p), 0.0, float("inf")))
                elif f is not None and f[0] in ("lt", "s"):
                    lo, hi = ((1.0, K - 1.0) if f[0] == "lt"
                              else (float(K), float("inf")) if not layer else (0.0, float("inf")))
                    unknown.append((lk(p), lo, hi))
            if unknown and small(rest):  # the withheld cells hide fewer than k people together
                found.append(("mass", lk(total), rest))
            for i, (key, lo, hi) in enumerate(unknown):
                others_lo = sum(x[1] for j, x in enumerate(unknown) if j != i)
                others_hi = sum(x[2] for j, x in enumerate(unknown) if j != i)
                a, b = max(lo, rest - others_hi), min(hi, rest - others_lo)
                if abs(b - a) < 1e-9 and small(a) and round(a) == exact_of(truth, key):
                    found.append(("bounds", key, a))
    return found


def attack_linear(facts: dict, truth: dict, rels, quarter: str) -> list:
    """The whole system of relations of one quarter, with rates linked to their denominators:
    a withheld count is recomputed when it is the same in every solution (null space)."""
    eqs = []
    for total, parts in rels:
        if total[1] != quarter:
            continue
        layers = ["#num", "#comp"] if KINDS.get(total[0]) == "rate" else [""]
        if KINDS.get(total[0]) not in ("rate", "count"):
            continue
        for layer in layers:
            eqs.append({(total[0] + layer, *total[1:]): -1.0,
                        **{(total[0] + layer, *p[1:]): 1.0 for p in parts}})
    for key in list(facts):
        base = key[0].split("#")[0]
        if key[1] == quarter and "#num" in key[0] and base in DENOMINATOR:
            eqs.append({key: 1.0, (f"{base}#comp", *key[1:]): 1.0,
                        (DENOMINATOR[base], *key[1:]): -1.0})
    unknown = sorted({k for e in eqs for k in e
                      if facts.get(k, ("s",))[0] != "value"}, key=repr)
    if not unknown:
        return []
    col = {k: i for i, k in enumerate(unknown)}
    a = np.zeros((len(eqs), len(unknown)))
    b = np.zeros(len(eqs))
    for r, e in enumerate(eqs):
        for k, s in e.items():
            if k in col:
                a[r, col[k]] += s
            else:
                b[r] -= s * facts[k][1]
    keep = np.abs(a).sum(axis=1) > 0
    a, b = a[keep], b[keep]
    _, sv, vt = np.linalg.svd(a, full_matrices=True)
    rank = int((sv > 1e-9).sum())
    null = vt[rank:]
    solution = np.linalg.lstsq(a, b, rcond=None)[0]
    found = []
    for k, i in col.items():
        if np.abs(null[:, i]).max(initial=0.0) < 1e-9:  # the same in every solution
            v = float(solution[i])
            if abs(v - round(v)) < 1e-6 and small(round(v)) and round(v) == exact_of(truth, k):
                found.append(("linear", k, round(v)))
    return found


def recoveries(folder: Path, wh: Path) -> list:
    known = sent_knowledge(folder)
    truth = truth_table(wh)
    facts = layered(known)
    rels = relations(known)
    found = attack_rates(known, truth) + attack_groups(facts, truth, rels)
    found += attack_linear(facts, truth, rels, QUARTER)
    return found


def test_attacker_recovers_no_small_count(delivery):
    wh, result = delivery
    found = recoveries(result.directory, wh)
    assert not found, f"{len(found)} recomputations of 1..{K - 1}: {found[:10]}"


def test_rerun_keeps_the_diff_internal(delivery, tmp_path: Path):
    wh, _ = delivery
    local = tmp_path / "wh.duckdb"
    shutil.copy(wh, local)
    out, internal = tmp_path / "envoi", tmp_path / "interne"
    first = build(local, out, internal_dir=internal)
    make_warehouse(local, bump=3)  # late entries reach the CRM
    second = build(local, out, internal_dir=internal)
    assert second.version == 2 and second.diff is not None and second.diff.changed >= 1
    sent = [p for p in out.rglob("*") if p.is_file()]
    assert not [p for p in sent if "diff" in p.name], sent
    assert second.diff.csv_path == internal / QUARTER / "diff_v1_v2.csv"
    assert second.diff.csv_path.is_file() and second.diff.markdown_path.is_file()
    diff = pd.read_csv(second.diff.csv_path, dtype=str, keep_default_na=False)
    assert (diff.change == "modifié").sum() == second.diff.changed
    # the sent report says how many and why, with no figure of the changes
    html = unescape(second.files["html"].read_text(encoding="utf-8"))
    assert f"{second.diff.changed} chiffre(s) publié(s) modifié(s)" in html
    assert "corrections" in html and "effacement" in html
    section = html[html.index("Modifications par rapport à la version 1"):]
    section = section[:section.index("</div>")]
    assert "→" not in section and "Écart" not in section
    assert not any(name.startswith("diff") for name in second.files)
    assert first.directory != second.directory


# -- the whole association's spreadsheet indicators ---------------------------------------------
# A spreadsheet row typed TOUS / TOUTES counts in the `ALL` scope only: the parts do not add up
# to the total, and total - parts singles out those rows (a sensitive report is staged that way).
# A count shown per programme of axes 1-2 (like the satisfaction survey): 13 for the organisation,
# 6 SOCLE + 5 AVEC by programme (2 typed TOUS), 6 PARIS + 5 BORDEAUX by antenna (2 typed TOUTES).
# Milestones by axis (a rate).
SHEET_KINDS = {"RET_RECUS": "count", "JAL_ATTEINTS": "rate"}
SHEET_ROWS = [
    # code, programme, antenna, dimension, value, numerator, denominator
    ("RET_RECUS", "ALL", "ALL", "total", "total", 13, None, None),
    ("RET_RECUS", "SOCLE", "ALL", "total", "total", 6, None, None),
    ("RET_RECUS", "AVEC", "ALL", "total", "total", 5, None, None),
    ("RET_RECUS", "ALL", "PARIS", "total", "total", 6, None, None),
    ("RET_RECUS", "ALL", "BORDEAUX", "total", "total", 5, None, None),
    ("JAL_ATTEINTS", "ALL", "ALL", "total", "total", None, 8, 11),
    ("JAL_ATTEINTS", "ALL", "ALL", "axe", "INNOVATION", None, 2, 3),
    ("JAL_ATTEINTS", "ALL", "ALL", "axe", "ESSAIMAGE", None, 6, 8),
    ("JAL_ATTEINTS", "ALL", "LILLE", "total", "total", None, 1, 2),
    ("ESS_OUVERTES", "ALL", "ALL", "total", "total", 2, None, None),  # activity: sent exactly
]


def add_sheet_indicators(wh_path: Path) -> None:
    """The two spreadsheet indicators' quarter rows and catalogue lines, as dbt writes them."""
    q = Quarter.parse(QUARTER)
    rows = [dict(indicator_code=c, period_type="quarter", period_start=q.start,
                 period_end=q.end, programme=p, antenna=a, dimension=d, dimension_value=v,
                 numerator=None if n is None else float(n),
                 denominator=None if den is None else float(den),
                 value=float(n / den) if den else float(val), target=None, achievement=None,
                 as_of=AS_OF)
            for c, p, a, d, v, val, n, den in SHEET_ROWS]
    con = duckdb.connect(str(wh_path))
    try:
        frame = pd.DataFrame(rows)
        columns = ", ".join(frame.columns)
        con.register("frame", frame)
        con.execute(f"insert into marts.indicator_values ({columns}) select {columns} from frame")
        for column in ("scope_basis", "axes", "disclosure"):
            con.execute(f"alter table reference.indicator_catalogue add column {column} text")
        con.execute("update reference.indicator_catalogue set scope_basis = 'enrolment'")
        for code, kind, axes, disclosure in (
                ("RET_RECUS", "count", "AVEC;SOCLE", "protected"),
                ("JAL_ATTEINTS", "rate", "INNOVATION;ESSAIMAGE", "protected"),
                ("ESS_OUVERTES", "count", "ESSAIMAGE", "open")):
            con.execute(
                "insert into reference.indicator_catalogue (indicator_code, label_fr, level, "
                "indicator_type, unit, direction, pic, disaggregated, scope_basis, axes, "
                "disclosure) values (?, ?, 'réalisation', ?, 'fraction', 'higher', false, "
                "true, 'spreadsheet', ?, ?)",
                [code, f"Indicateur de tableur {code}", kind, axes, disclosure])
    finally:
        con.close()


@pytest.fixture(scope="module")
def association_delivery(tmp_path_factory):
    root = tmp_path_factory.mktemp("association")
    wh = make_warehouse(root / "warehouse.duckdb")
    add_sheet_indicators(wh)
    return wh, build(wh, root / "envoi")


def test_spreadsheet_indicators_leak_no_row_typed_for_the_whole_association(
        association_delivery):
    wh, result = association_delivery
    figures = pd.read_csv(result.directory / "figures.csv", dtype=str, keep_default_na=False)
    sheet = figures[figures.indicator_code.isin(list(SHEET_KINDS))
                    & (figures.quarter == QUARTER) & (figures.measure == "value")]
    # sent per programme and for the organisation only, by axis for the milestones
    assert set(sheet.antenna) == {"ALL"}, sorted(set(sheet.antenna))
    shown = {(r.indicator_code, r.programme, r.dimension, r.dimension_value): r.display
             for r in sheet.itertuples(index=False)}
    assert ("RET_RECUS", "ALL", "total", "total") in shown
    assert ("JAL_ATTEINTS", "ALL", "axe", "INNOVATION") in shown
    # 13 - 6 - 5 = 2 feedback typed TOUS: one programme figure is withheld so that it stays hidden
    programmes = [shown[("RET_RECUS", p, "total", "total")] for p in ("SOCLE", "AVEC")]
    assert shown[("RET_RECUS", "ALL", "total", "total")] == "13"
    assert "s" in programmes or "< 5" in programmes, programmes
    # the milestones of INNOVATION (3 due) are withheld, and ESSAIMAGE with them (11 - 8 = 3)
    assert shown[("JAL_ATTEINTS", "ALL", "axe", "INNOVATION")] == "s"
    assert shown[("JAL_ATTEINTS", "ALL", "axe", "ESSAIMAGE")] == "s"
    # the association's own activity is about no one: two territories opened are « 2 »
    sent = figures[(figures.indicator_code == "ESS_OUVERTES") & (figures.quarter == QUARTER)]
    assert list(sent.display) == ["2"] and list(sent.status) == ["published"]
    # the attacker, who knows the totals exceed their parts, recovers nothing small
    KINDS.update(SHEET_KINDS)
    try:
        known = sent_knowledge(result.directory)
        truth = truth_table(wh)
        for (code, q, p, a, d, v), exact in list(truth.items()):
            if code in SHEET_KINDS and (p, a) == ("ALL", "ALL"):
                parts = [truth.get((code, q, r, "ALL", d, v)) for r in ROOTS]
                layers = [x for x in parts if x is not None]
                if code == "RET_RECUS":
                    rest = exact[0] - sum(x[0] for x in layers)
                    truth[(code, q, "~tous", "ALL", d, v)] = (rest, None, None)
        facts = layered(known)
        rels = [(total, [*parts, (total[0], total[1], "~tous", *total[3:])])
                if total[0] in SHEET_KINDS and total[2:4] == ("ALL", "ALL")
                and all(p[3] == "ALL" and p[2] != "ALL" for p in parts) else (total, parts)
                for total, parts in relations(known)]
        rels += [((c, QUARTER, "ALL", "ALL", "total", "total"),
                  [(c, QUARTER, "ALL", "ALL", "axe", ax) for ax in ("INNOVATION", "ESSAIMAGE")])
                 for c in SHEET_KINDS]
        # the accompaniment's figures are attacked by the test above; these are linked to no
        # other table, so their own relations are the whole system
        rels = [(t, parts) for t, parts in rels if t[0] in SHEET_KINDS]
        found = attack_rates(known, truth) + attack_groups(facts, truth, rels)
        found += attack_linear(facts, truth, rels, QUARTER)
    finally:
        for code in SHEET_KINDS:
            KINDS.pop(code, None)
    assert not found, found
    # the report shows them by axis, not in the accompaniment's tables
    html = unescape(result.files["html"].read_text(encoding="utf-8"))
    axes = html[html.index("3. Les sept axes du projet"):html.index("4. Tendances")]
    assert "Axe 2 — Accompagnement long" in axes
    assert "Indicateur de tableur RET_RECUS — " in axes  # per programme of the axis
    assert "Indicateur de tableur JAL_ATTEINTS" in axes
    assert "Aucune donnée enregistrée pour cet axe" in axes  # axis 4: nothing recorded
    key = html[html.index("2. Chiffres clés"):html.index("3. Les sept axes")]
    assert "Indicateur de tableur" not in key
