"""Quarterly deliverables (outputs.md § quarterly reporting, § publication rules).

The tests build their own small warehouse: enrolments are simulated (programmes with a nested
sub-programme, antennas, sexes, age bands, exits and outcomes) and aggregated the way
`indicators.md` defines the mart, so rollups add up as in the real `marts.indicator_values`,
small cells exist, and a change in the simulated data moves the right figures.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from connectors.warehouse import connect
from reports.quality import (
    QualityCheck,
    QualitySummary,
    Waiver,

)
from reports.quarters import Quarter, last_complete_quarter, last_quarters

QUARTER = "2026-Q3"
AS_OF = date(2026, 10, 15)
K = 5

CATALOGUE = [
    # code, label, level, type, unit, direction, pic, disaggregated
    ("ENT", "Entrées en parcours", "réalisation", "count", "parcours", "higher", True, True),
    ("ENT_P", "Personnes entrées", "réalisation", "count", "personnes", "higher", True, False),
    ("ENT_F", "Part de femmes parmi les entrées", "réalisation", "rate", "taux", "higher",
     True, True),
    ("ACT", "File active", "réalisation", "count", "parcours", "higher", True, True),
    ("HRS", "Heures d'accompagnement réalisées", "réalisation", "sum", "heures", "higher",
     False, False),
    ("EMP_ENG", "Entreprises mobilisées", "réalisation", "count", "employeurs", "higher",
     False, False),
    ("SOR", "Sorties de parcours", "résultat", "count", "parcours", "higher", True, True),
    ("ABD", "Taux d'abandon", "résultat", "rate", "taux", "lower", False, True),
    ("SD_SORTIE", "Taux de sorties dynamiques à la sortie", "résultat", "rate", "taux",
     "higher", True, True),
    ("ED_SORTIE", "Taux d'emploi durable à la sortie", "résultat", "rate", "taux", "higher",
     True, True),
    ("EMP_SORTIE", "Taux d'emploi à la sortie (durable ou de transition)", "résultat", "rate",
     "taux", "higher", True, True),
    ("SP_SORTIE", "Taux de sorties positives à la sortie (formation, SIAE)", "résultat", "rate",
     "taux", "higher", True, True),
    ("SD_6M", "Taux de sorties dynamiques à 6 mois", "résultat", "rate", "taux", "higher",
     True, True),
    ("SUIVI_6M", "Taux de situations connues à 6 mois", "résultat", "rate", "taux", "higher",
     False, True),
    ("DELAI_EMPLOI", "Délai médian d'accès à l'emploi (jours)", "résultat", "median", "jours",
     "lower", False, True),
]
PARENTS = {"SOCLE": None, "SOCLE_FEMMES": "SOCLE", "AVEC": None, "PASS_NUMERIQUE": None}


# -- a simulated programme -------------------------------------------------------------------
@dataclass
class Enrolment:
    person: int
    programme: str
    antenna: str
    sex: str
    age_band: str
    start: date
    end: date | None
    dropout: bool
    outcome: str  # durable, transition, positive, none
    outcome_6m: str
    known_6m: bool
    days_to_job: int | None
    hours: float


def simulate(seed: int = 7, extra_antenna: str | None = None) -> list[Enrolment]:
    rng = random.Random(seed)
    out: list[Enrolment] = []
    first = date(2024, 4, 1)
    span = (AS_OF - first).days
    for i in range(900):
        programme = rng.choices(list(PARENTS), weights=[45, 15, 35, 5])[0]
        antenna = rng.choices(["PARIS", "BORDEAUX"], weights=[65, 35])[0]
        sex = "F" if programme == "SOCLE_FEMMES" else rng.choices(
            ["F", "M", "X", "unknown"], weights=[30, 67, 1, 2])[0]
        age = rng.choices(["<26", "26-44", "45+", "unknown"], weights=[30, 55, 13, 2])[0]
        start = first + timedelta(days=rng.randrange(span))
        length = rng.randint(40, 300)
        end = start + timedelta(days=length)
        if end > AS_OF:
            end = None
        dropout = rng.random() < 0.15
        outcome = "none" if dropout else rng.choices(
            ["durable", "transition", "positive", "none"], weights=[25, 20, 15, 40])[0]
        outcome_6m = outcome if rng.random() < 0.7 else rng.choice(["durable", "none"])
        days = rng.randint(20, 240) if outcome in ("durable", "transition") else None
        person = i if rng.random() > 0.08 else max(0, i - 1)
        out.append(Enrolment(person, programme, antenna, sex, age, start, end, dropout, outcome,
                             outcome_6m, rng.random() < 0.8, days, rng.uniform(2, 30)))
    if extra_antenna:  # a new antenna opens in the reporting quarter
        for j in range(14):
            start = date(2026, 7, 1) + timedelta(days=rng.randrange(80))
            out.append(Enrolment(10_000 + j, rng.choice(["SOCLE", "AVEC"]), extra_antenna,
                                 rng.choice(["F", "M"]), rng.choice(["<26", "26-44"]), start,
                                 None, False, "none", "none", False, None, 4.0))
    return out


def _m6(d: date) -> date:
    month = d.month + 6
    year, month = d.year + (month - 1) // 12, (month - 1) % 12 + 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    v = sorted(values)
    n = len(v)
    return float(v[n // 2]) if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def indicator_rows(enrolments: list[Enrolment], quarters: list[Quarter],
                   targets: dict) -> pd.DataFrame:
    """Aggregate like the mart: scopes = programme rollups x antenna rollups, one breakdown at a
    time, disaggregated rows only where something is counted."""
    rows = []

    def scopes(e: Enrolment) -> list[tuple[str, str]]:
        progs = [e.programme, "ALL"] + ([PARENTS[e.programme]] if PARENTS[e.programme] else [])
        return [(p, a) for p in progs for a in (e.antenna, "ALL")]

    all_scopes = sorted({s for e in enrolments for s in scopes(e)})
    for q in quarters:
        ent = [e for e in enrolments if q.start <= e.start <= q.end]
        act = [e for e in enrolments if e.start <= q.end and (e.end is None or e.end >= q.start)]
        sor = [e for e in enrolments if e.end and q.start <= e.end <= q.end]
        coh = [e for e in enrolments if e.end and q.start <= _m6(e.end) <= q.end
               and _m6(e.end) + timedelta(days=45) <= AS_OF]
        specs = {
            "ENT": ("count", ent, None), "ACT": ("count", act, None), "SOR": ("count", sor, None),
            "ENT_F": ("rate", ent, lambda e: e.sex == "F"),
            "ABD": ("rate", sor, lambda e: e.dropout),
            "SD_SORTIE": ("rate", sor, lambda e: e.outcome != "none"),
            "ED_SORTIE": ("rate", sor, lambda e: e.outcome == "durable"),
            "EMP_SORTIE": ("rate", sor, lambda e: e.outcome in ("durable", "transition")),
            "SP_SORTIE": ("rate", sor, lambda e: e.outcome == "positive"),
            "SD_6M": ("rate", coh, lambda e: e.outcome_6m != "none"),
            "SUIVI_6M": ("rate", coh, lambda e: e.known_6m),
            "DELAI_EMPLOI": ("median", sor, None),
        }
        for scope in all_scopes:
            def inscope(pop, scope=scope):
                return [e for e in pop if scope in scopes(e)]

            base = dict(period_type="quarter", period_start=q.start, period_end=q.end,
                        programme=scope[0], antenna=scope[1], as_of=AS_OF)
            for code, (kind, pop, pred) in specs.items():
                members = inscope(pop)
                for dim in ("total", "sex", "age_band"):
                    values = ["total"] if dim == "total" else sorted(
                        {getattr(e, dim) for e in members})
                    for val in values:
                        sub = members if dim == "total" else [
                            e for e in members if getattr(e, dim) == val]
                        row = dict(base, indicator_code=code, dimension=dim,
                                   dimension_value=val, numerator=None, denominator=None,
                                   value=None, target=None, achievement=None)
                        if kind == "count":
                            row["value"] = float(len(sub))
                        elif kind == "rate":
                            num = sum(1 for e in sub if pred(e))
                            row.update(numerator=float(num), denominator=float(len(sub)),
                                       value=num / len(sub) if sub else None)
                        else:
                            days = [e.days_to_job for e in sub if e.days_to_job is not None]
                            row["value"] = _median(days)
                            # DELAI_EMPLOI: no population in the mart -> SOR count is used
                        if dim != "total" and not sub:
                            continue
                        rows.append(row)
            if scope[0] != "ALL" or True:
                persons = {e.person for e in inscope(ent)}
                rows.append(dict(base, indicator_code="ENT_P", dimension="total",
                                 dimension_value="total", numerator=None, denominator=None,
                                 value=float(len(persons)), target=None, achievement=None))
                rows.append(dict(base, indicator_code="HRS", dimension="total",
                                 dimension_value="total", numerator=None, denominator=None,
                                 value=round(sum(e.hours for e in inscope(act)), 1),
                                 target=None, achievement=None))
        for antenna, n in (("ALL", 31), ("PARIS", 22), ("BORDEAUX", 9)):
            rows.append(dict(period_type="quarter", period_start=q.start, period_end=q.end,
                             programme="ALL", antenna=antenna, as_of=AS_OF,
                             indicator_code="EMP_ENG", dimension="total", dimension_value="total",
                             numerator=None, denominator=None, value=float(n + q.number),
                             target=None, achievement=None))
    df = pd.DataFrame(rows)
    _attach_targets(df, targets)
    return df


def _attach_targets(df: pd.DataFrame, targets: dict) -> None:
    for (code, programme, antenna), (target, annual) in targets.items():
        sel = ((df.indicator_code == code) & (df.programme == programme)
               & (df.antenna == antenna) & (df.dimension == "total"))
        for idx in df.index[sel]:
            value = df.at[idx, "value"]
            df.at[idx, "target"] = target
            if annual:  # year to date against the annual target
                start = date(df.at[idx, "period_start"].year, 1, 1)
                ytd = df[sel & (df.period_start >= start)
                         & (df.period_end <= df.at[idx, "period_end"])]["value"].sum()
                df.at[idx, "achievement"] = ytd / target
            elif code == "DELAI_EMPLOI":
                df.at[idx, "achievement"] = target / value if value else None
            elif value is not None and not pd.isna(value):
                is_rate = code in {c for c, *_, in CATALOGUE if _[2] == "rate"}
                df.at[idx, "achievement"] = value * 100 / target if is_rate else value / target


TARGETS = {
    ("ENT", "ALL", "ALL"): (90.0, False),
    ("SOR", "ALL", "ALL"): (70.0, False),
    ("SD_SORTIE", "ALL", "ALL"): (55.0, False),
    ("ED_SORTIE", "ALL", "ALL"): (30.0, False),
    ("SD_6M", "ALL", "ALL"): (60.0, False),
    ("DELAI_EMPLOI", "ALL", "ALL"): (100.0, False),
    ("ENT", "SOCLE", "ALL"): (160.0, True),
    ("ENT", "AVEC", "ALL"): (130.0, True),
}


def make_warehouse(path: Path, *, seed: int = 7, extra_antenna: str | None = None,
                   with_km: bool = True, bump: int = 0) -> Path:
    """A DuckDB warehouse with the marts the deliverables read. `bump` adds entries in the
    reporting quarter (a late data correction)."""
    enrolments = simulate(seed, extra_antenna)
    for j in range(bump):
        enrolments.append(Enrolment(20_000 + j, "AVEC", "PARIS", "M", "26-44",
                                    date(2026, 8, 3), None, False, "none", "none", False, None,
                                    3.0))
    df = indicator_rows(enrolments, last_quarters(QUARTER, 8), TARGETS)
    cat = pd.DataFrame(
        [dict(indicator_code=c, label_fr=lab, level=lev, indicator_type=t, unit=u, direction=d,
              source="CRM", frequency="trimestrielle", owner="charge_suivi_evaluation",
              baseline_value=None, baseline_year=None, pic=pic, disaggregated=dis,
              description_fr=f"{lab} : définition du catalogue ({c}).")
         for c, lab, lev, t, u, d, pic, dis in CATALOGUE])
    progs = pd.DataFrame([dict(programme_code=p, parent_code=parent, label_fr=p)
                          for p, parent in PARENTS.items()])
    wh = connect(path)
    try:
        for schema in ("marts", "reference"):
            wh.ensure_schema(schema)
        for name, frame in (("marts.indicator_values", df),
                            ("reference.indicator_catalogue", cat),
                            ("reference.programmes", progs)):
            wh.execute(f"drop table if exists {name}")
            con = wh._con  # noqa: SLF001 - test fixture: create from a frame
            con.register("frame", frame)
            con.execute(f"create table {name} as select * from frame")
            con.unregister("frame")
        wh.execute("drop table if exists marts.time_to_employment")
        if with_km:
            km = km_rows(enrolments)
            wh._con.register("frame", km)  # noqa: SLF001
            wh._con.execute("create table marts.time_to_employment as select * from frame")
            wh._con.unregister("frame")
    finally:
        wh.close()
    return path


def km_rows(enrolments: list[Enrolment]) -> pd.DataFrame:
    rows = []
    for programme in ["ALL", *PARENTS]:
        pop = [e for e in enrolments if e.end and (programme == "ALL" or e.programme == programme)]
        survival = 1.0
        for day in range(0, 390, 30):
            at_risk = [e for e in pop if (e.days_to_job or 10_000) >= day]
            events = [e for e in at_risk if e.days_to_job is not None
                      and day <= e.days_to_job < day + 30]
            if at_risk:
                survival *= 1 - len(events) / len(at_risk)
            rows.append(dict(programme=programme, day=day, at_risk=len(at_risk),
                             events=len(events), censored=0, survival=survival))
    return pd.DataFrame(rows)
