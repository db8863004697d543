"""The *rapport de redevabilité*: one Jinja2 template rendered to HTML, and to PDF by WeasyPrint.

The report reads only from the `Publication` (figures already protected) and the optional
quality/learning inputs. Sections that depend on the data loop over it: a programme or antenna
code that appears in the marts gets its own section with no change here.
"""

from __future__ import annotations

import base64
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import jinja2
import pandas as pd

from common.quarters import Quarter, date_fr
from reports import catalogue as labels
from reports import charts
from reports.catalogue import Indicator
from reports.disclosure import Suppressed, legend_fr
from reports.formatting import NBSP, by_kind, number, percent
from reports.learning import (
    LearningInputs,
    evaluation_status,
    learning_entries,
    recommendation_followup,
)
from reports.publication import (
    ALL,
    DIMENSION_LABELS_FR,
    Figure,
    Publication,
    antenna_label,
    category_label,
    programme_label,
)
from reports.quality import QualitySummary
from reports.targets import BASIS_FR, LABELS, expected_share, legend_lines, percent_text

TEMPLATES = Path(__file__).with_name("templates")
ORGANISATION = "Action Emploi Réfugiés (AERé)"

LEVEL_FR = labels.list_labels("indicator_level")


def _plain(text: str | None) -> str:
    """`Résultat` -> `resultat`: levels are data, spelled with or without accents."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).strip().lower()


@dataclass(frozen=True)
class Badge:
    css: str
    label: str


def achievement_badge(fig: Figure | None, quarter: Quarter) -> Badge | None:
    """Atteint / en bonne voie / en retard, computed exactly as the legend of the report states
    it (`reports.targets`): a cumulated annual target is judged against the share of the year
    elapsed, every other target against 100 %."""
    found = fig.target_status(quarter.number) if fig is not None else None
    return Badge(found.css, found.label) if found is not None else None


def _cell(fig: Figure | None, unit: str | None = None) -> dict:
    """A table cell: its text plus what the template and the tests need to know about it."""
    if fig is None:
        return {"text": "", "kind": "none", "status": "absent"}
    status = fig.status if fig.status != "not_computable" else "nc"
    return {"text": fig.display(unit), "kind": fig.kind, "status": status}


def _has_data(fig: Figure | None) -> bool:
    """Something was recorded: a non-zero value, or one withheld (never zero)."""
    if fig is None or fig.value is None:
        return False
    return isinstance(fig.value, Suppressed) or float(fig.value) != 0


def _value(fig: Figure | None) -> float | None:
    """The plottable value: None for anything withheld or not computable."""
    if fig is None or isinstance(fig.value, Suppressed) or fig.value is None:
        return None
    return float(fig.value)


def _km_median(points: list[tuple[float, float]]) -> str:
    """The day the published curve first reaches 50 % still without a job, in French; when it
    stops above 50 %, says so (more than half were still searching when the curve stops)."""
    for day, survival in points:
        if survival <= 0.5:
            return number(day) + NBSP + "j"
    return f"non atteinte à {number(points[-1][0])}{NBSP}j"


def _data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _target_text(fig: Figure | None, ind: Indicator, quarter: Quarter | None = None) -> str:
    """The target as a reader needs it: its value and what it covers (the quarter, the year)."""
    if fig is None or fig.target is None:
        return ""
    text = by_kind(fig.target / 100, "rate") if ind.type == "rate" else by_kind(
        fig.target, ind.type, ind.unit)
    if fig.basis == "quarter":
        return f"{text} ({quarter.label_fr})" if quarter is not None else text
    year = quarter.year if quarter is not None else fig.quarter[:4]
    return f"{text} (année {year})"


def _achievement_text(fig: Figure | None, ind: Indicator, quarter: Quarter) -> str:
    """The achievement, and for a cumulated annual target the year to date and the share of
    the year expected by the quarter's end (so a status can be checked against the legend)."""
    if fig is None or fig.target is None:
        return ""
    text = fig.achievement_display()
    detail = _achievement_detail(fig, ind, quarter)
    return f"{text} ({detail})" if detail else text


def _achievement_detail(fig: Figure | None, ind: Indicator, quarter: Quarter) -> str:
    """For a cumulated annual target: the year to date and the share expected by now."""
    if fig is None or fig.target is None or not fig.ytd \
            or isinstance(fig.achievement, Suppressed):
        return ""
    return (f"cumul au {quarter.end:%d/%m} : {fig.compared_display(ind.unit)} ; "
            f"attendu {percent_text(expected_share('year_to_date', quarter.number))}")


def _variation_unit(ind: Indicator, diff: float) -> str:
    """The unit of a change, so that `+475,5` reads as hours and `+3,2` as points: a rate
    moves in percentage points, a median in days, a count or a sum in its catalogue unit."""
    if ind.type == "rate":
        return "pt" if abs(diff) < 2 else "pts"
    if ind.type == "median":
        return "j"
    if ind.type == "sum" and (ind.unit or "").lower() in ("hours", "heures", "h", ""):
        return "h"
    return labels.label("unit", ind.unit, default=ind.unit) if ind.unit else ""


def _variation(cur: Figure | None, prev: Figure | None, ind: Indicator) -> str:
    a, b = _value(cur), _value(prev)
    if a is None or b is None:
        return ""
    diff = (a - b) * 100 if ind.type == "rate" else a - b
    decimals = 1 if ind.type == "rate" or not float(round(diff, 6)).is_integer() else 0
    sign = "+" if diff > 0 else "−" if diff < 0 else ""
    unit = _variation_unit(ind, diff)
    return sign + number(abs(diff), decimals) + (NBSP + unit if unit else "")


class _ReportBuilder:
    """Assembles the template context from the publication (records every figure it shows)."""

    def __init__(self, pub: Publication, *, as_of: date, version: int, created_at: datetime,
                 quality: QualitySummary | None, learning: LearningInputs | None,
                 km: pd.DataFrame | None, mart_as_of: date | None, diff: dict | None) -> None:
        self.pub, self.q = pub, pub.quarter
        self.as_of, self.version, self.created_at = as_of, version, created_at
        self.quality, self.learning, self.km = quality, learning, km
        self.mart_as_of, self.diff = mart_as_of, diff
        self.trend = [q for q in pub.quarters if q <= self.q][-8:]
        self.indicators = pub.indicators()
        # the accompaniment's indicators (enrolments): the key figures, trends, programme and
        # antenna sections; the spreadsheet ones are shown by axis (`axes_section`)
        self.accompaniment = [i for i in self.indicators if i.scope_basis != "spreadsheet"]

    def fig(self, code: str, programme: str = ALL, antenna: str = ALL, dimension: str = "total",
            value: str = "total", quarter: Quarter | None = None, *,
            record: bool = True) -> Figure | None:
        return self.pub.figure(code, quarter or self.q, programme, antenna, dimension, value,
                               record=record)

    def by_type(self, *types: str, level: str | None = None) -> list[Indicator]:
        """Indicators of these types, optionally of one logframe level (`resultat`,
        `realisation`: compared without accents or case)."""
        return [i for i in self.accompaniment if i.type in types
                and (level is None or _plain(i.level) == level)]

    # -- sections --------------------------------------------------------------------------------
    def key_figures(self, programme: str = ALL, antenna: str = ALL) -> list[dict]:
        rows = []
        for ind in self.accompaniment:
            row = self._key_row(ind, programme, antenna)
            if row is not None:
                rows.append(row)
        return rows

    def _key_row(self, ind: Indicator, programme: str = ALL, antenna: str = ALL,
                 dimension: str = "total", value: str = "total",
                 label: str | None = None) -> dict | None:
        """One line of a key-figures table (None when the mart has no such figure)."""
        cur = self.fig(ind.code, programme, antenna, dimension, value)
        if cur is None:
            return None
        prev = self.fig(ind.code, programme, antenna, dimension, value,
                        quarter=self.q.previous())
        return {
            "code": ind.code, "label": label or ind.label_fr, "value": _cell(cur, ind.unit),
            "previous": _cell(prev, ind.unit) if prev else _cell(None),
            "variation": _variation(cur, prev, ind),
            "target": _target_text(cur, ind, self.q),
            "achievement": _achievement_text(cur, ind, self.q),
            "badge": achievement_badge(cur, self.q),
        }

    def axes_section(self) -> list[dict]:
        """Each of the project's seven axes, in order, with the figures that follow it.

        The spreadsheet indicators are shown for the organisation, and per programme for an
        axis that is a programme (the satisfaction survey of AVEC, of SOCLE); an indicator
        broken down by axis (milestones, budget) is shown with that axis's part. The
        accompaniment's own figures are in the programme sections, which the axis points to.
        An axis with nothing recorded in the quarter says so instead of disappearing."""
        programme_axes = labels.programme_axes()
        present = self.pub.programmes()
        sheet = [i for i in self.indicators if i.scope_basis == "spreadsheet"]
        out = []
        for number_, (axis, axis_label) in enumerate(labels.axes(), start=1):
            programmes = [p for p in present if programme_axes.get(p) == axis]
            rows, recorded = [], False
            for ind in (i for i in sheet if axis in i.axes):
                by_axis = {key[3] for key in self.pub.cubes.get((ind.code, self.q.code), {})
                           if key[2] == "axe"}
                if by_axis:  # the axis's own part; none recorded for this axis: not shown
                    cells = [(ALL, "axe", axis, None)] if axis in by_axis else []
                else:
                    cells = [(p, "total", "total", f"{ind.label_fr} — {programme_label(p)}")
                             for p in programmes
                             if self.fig(ind.code, p, record=False) is not None]
                    cells = cells or [(ALL, "total", "total", None)]
                for p, dim, value, label in cells:
                    row = self._key_row(ind, p, dimension=dim, value=value, label=label)
                    if row is not None:
                        rows.append(row)
                        recorded |= _has_data(self.fig(ind.code, p, dimension=dim, value=value,
                                                       record=False))
            out.append({
                "id": f"axe-{number_}", "number": number_, "title": axis_label,
                "programmes": [{"label": programme_label(p),
                                "anchor": f"programme-{p.lower()}"} for p in programmes],
                "rows": rows, "empty": not recorded,
            })
        return out

    def axes_overall(self) -> list[dict]:
        """The spreadsheet indicators that serve several axes (satisfaction, milestones, budget)
        for the whole association: a figure no single axis owns."""
        rows = (self._key_row(i) for i in self.indicators
                if i.scope_basis == "spreadsheet" and len(i.axes) > 1)
        return [r for r in rows if r is not None]

    def target_followup(self) -> list[dict]:
        """Every target that applies to the quarter, for every scope it is set for (programme
        x antenna included), with its achievement and status: catalogue order, then the
        organisation, programmes, antennas and their crossings."""
        rows = []
        scopes = [(p, a) for p in [ALL, *self.pub.programmes()]
                  for a in [ALL, *self.pub.antennas()]]
        for ind in self.indicators:
            for p, a in scopes:
                fig = self.pub.figure(ind.code, self.q, p, a, record=False)
                if fig is None or fig.target is None:
                    continue
                fig = self.fig(ind.code, p, a)  # recorded: it is shown
                rows.append({
                    "code": ind.code, "label": ind.label_fr,
                    "scope": f"{programme_label(p)} — {antenna_label(a)}",
                    "basis": BASIS_FR.get(fig.basis or "quarter", ""),
                    "target": _target_text(fig, ind, self.q),
                    "value": _cell(fig, ind.unit),
                    "achievement": fig.achievement_display(),
                    "detail": _achievement_detail(fig, ind, self.q),
                    "badge": achievement_badge(fig, self.q),
                    "lower": ind.lower_is_better,
                })
        return rows

    def trend_table(self, programme: str = ALL, antenna: str = ALL) -> dict:
        rows = []
        for ind in self.accompaniment:
            cells = [_cell(self.fig(ind.code, programme, antenna, quarter=q), ind.unit)
                     for q in self.trend]
            if any(c["kind"] != "none" for c in cells):
                rows.append({"label": ind.label_fr, "cells": cells})
        return {"headers": [q.label_fr for q in self.trend], "rows": rows}

    def trend_chart(self, indicators: Sequence[Indicator], programme: str = ALL,
                    antenna: str = ALL, *, percent_axis: bool = False) -> str | None:
        series = {}
        for ind in indicators:
            values = [_value(self.fig(ind.code, programme, antenna, quarter=q))
                      for q in self.trend]
            if any(v is not None for v in values):
                series[ind.label_fr] = values
        if not series:
            return None
        return _data_uri(charts.line_chart([q.label_fr for q in self.trend], series,
                                           percent=percent_axis))

    def volume_indicators(self) -> list[Indicator]:
        """Enrolment counts (the disaggregated counts: entries, active caseload, exits)."""
        return [i for i in self.by_type("count") if i.disaggregated]

    def outcome_indicators(self) -> list[Indicator]:
        return self.by_type("rate", level="resultat")

    def headline_rates(self) -> list[Indicator]:
        """The outcome rates reported to the ministry (PIC): few enough for a legible chart."""
        return [i for i in self.outcome_indicators() if i.pic] or self.outcome_indicators()[:5]

    def outcomes(self) -> dict:
        """Outcome rates at exit and at 6 months, per programme and by sex / age band."""
        rates = self.outcome_indicators()
        exits = next((i for i in self.by_type("count", level="resultat")), None)
        headers = ([exits.label_fr] if exits else []) + [i.label_fr for i in rates]
        scopes = [ALL, *self.pub.programmes()]
        rows = []
        for p in scopes:
            cells = ([_cell(self.fig(exits.code, p), exits.unit)] if exits else []) + [
                _cell(self.fig(i.code, p)) for i in rates]
            rows.append({"label": programme_label(p), "cells": cells})
        chart_rates = [i for i in rates if i.code in ("SD_SORTIE", "EMP_SORTIE", "SD_6M")] \
            or rates[:3]
        chart = None
        if chart_rates:
            chart = _data_uri(charts.grouped_bars(
                [programme_label(p) for p in scopes],
                {i.label_fr: [_value(self.fig(i.code, p)) for p in scopes] for i in chart_rates}))
        breakdowns = []
        for dim, values in self.pub.categories.items():
            brows = []
            for v in values:
                cells = ([_cell(self.fig(exits.code, ALL, ALL, dim, v), exits.unit)]
                         if exits else []) + [_cell(self.fig(i.code, ALL, ALL, dim, v))
                                              for i in rates]
                brows.append({"label": category_label(dim, v), "cells": cells})
            breakdowns.append({"title": DIMENSION_LABELS_FR.get(dim, dim), "rows": brows})
        return {"headers": headers, "rows": rows, "chart": chart, "breakdowns": breakdowns}

    def time_to_employment(self) -> dict:
        medians = self.by_type("median")
        rows = []
        for ind in medians:
            for p in [ALL, *self.pub.programmes()]:
                f = self.fig(ind.code, p)
                if f is not None:
                    rows.append({"label": programme_label(p), "indicator": ind.label_fr,
                                 "cell": _cell(f, ind.unit)})
        km_chart, km_note = None, None
        km_medians: dict[str, str] = {}
        if self.km is None:
            km_note = ("Les courbes de délai d'accès à l'emploi (Kaplan-Meier) ne sont pas "
                       "disponibles : la table correspondante n'est pas encore produite.")
        else:
            curves = {}
            for programme, df in self.km.groupby("programme", sort=True):
                df = df.sort_values("day")
                points = []
                for r in df.itertuples(index=False):
                    if r.at_risk < self.pub.k:
                        break  # fewer than k people behind the next step: stop the curve
                    points.append((float(r.day), float(r.survival)))
                    self.pub.record_extra("KM_SURVIE", str(programme), "jour", str(int(r.day)),
                                          "survival", round(float(r.survival), 4),
                                          percent(float(r.survival)))
                if points:
                    curves[programme_label(str(programme))] = points
                    km_medians[programme_label(str(programme))] = _km_median(points)
            if curves:
                order = sorted(curves, key=lambda c: (c != programme_label(ALL), c))
                km_chart = _data_uri(charts.survival_chart({c: curves[c] for c in order}))
            km_note = (f"Chaque courbe s'arrête dès que moins de {self.pub.k} personnes restent "
                       "suivies (secret statistique).")
        compare = []
        if medians and km_medians:
            shown = {r["label"]: r["cell"] for r in rows if r["indicator"] == medians[0].label_fr}
            compare = [{"label": lab, "median": shown.get(lab), "km": km_medians.get(lab, "–")}
                       for lab in dict.fromkeys([*shown, *km_medians])]
            compare.sort(key=lambda c: (c["label"] != programme_label(ALL), c["label"]))
        return {"rows": rows, "chart": km_chart, "note": km_note, "compare": compare}

    def scope_section(self, programme: str, antenna: str) -> dict:
        """A programme's or an antenna's section: its key figures and its split by the other."""
        columns = [i for i in self.accompaniment if i.pic and i.code != "ENT_P"] \
            or self.accompaniment
        if antenna == ALL:  # a programme: split by antenna
            others = [(programme, a) for a in self.pub.antennas()]
            split_label = "Antenne"
            code, title = programme, f"Programme {programme_label(programme)}"
        else:
            others = [(p, antenna) for p in self.pub.programmes()]
            split_label = "Programme"
            code, title = antenna, f"Antenne {antenna_label(antenna)}"
        split = []
        for p, a in [(programme, antenna), *others]:
            cells = [_cell(self.fig(i.code, p, a), i.unit) for i in columns]
            if all(c["kind"] == "none" for c in cells):
                continue
            label = (antenna_label(a) if antenna == ALL else programme_label(p)) \
                if (p, a) != (programme, antenna) else category_label("total", "total")
            split.append({"label": label, "cells": cells})
        volumes = self.volume_indicators()
        return {
            "id": f"{'programme' if antenna == ALL else 'antenne'}-{code.lower()}",
            "title": title, "key_figures": self.key_figures(programme, antenna),
            "split_label": split_label, "split_headers": [i.label_fr for i in columns],
            "split": split, "chart": self.trend_chart(volumes, programme, antenna),
        }

    def quality_section(self) -> dict | None:
        """Each failing rule in French with its count and antennas: no check key, table,
        record, file or row — those are in the data lead's internal annex."""
        if self.quality is None:
            return None
        q = self.quality

        def antennas(check) -> str:
            return " ; ".join(f"{antenna_label(a)} : {number(n)}" for a, n in check.antennas)

        return {
            "total": len(q.checks), "passed": len(q.passed()),
            "warnings": [{"rule": c.public_rule, "rows": number(c.failing_rows),
                          "antennas": antennas(c)} for c in q.warnings()],
            "waived": [{"rule": c.public_rule, "rows": number(c.failing_rows),
                        "antennas": antennas(c), "reason": w.reason, "who": w.who}
                       for c, w in q.waived(self.q.code)],
            "evaluated_at": q.evaluated_at.strftime("%d/%m/%Y %H:%M") if q.evaluated_at else "",
        }

    def methodology(self) -> list[dict]:
        out = []
        for ind in self.pub.catalogue:
            baseline = ""
            if ind.baseline_value is not None:
                baseline = (by_kind(ind.baseline_value, ind.type, ind.unit)
                            + (f" ({ind.baseline_year})" if ind.baseline_year else ""))
            out.append({
                "code": ind.code, "label": ind.label_fr,
                "level": LEVEL_FR.get(_plain(ind.level), ind.level or ""),
                "type": labels.label("indicator_type", ind.type),
                "unit": labels.label("unit", ind.unit, default=ind.unit) if ind.unit else "",
                "direction": labels.label("direction", ind.direction),
                "description": ind.description_fr or "", "source": ind.source or "",
                "frequency": ind.frequency or "", "pic": ind.pic, "baseline": baseline,
                "breakdown": "sexe, tranche d'âge (et autres ventilations internes)"
                             if ind.disaggregated else "non ventilé",
            })
        return out

    def summary(self, key: list[dict], targets: list[dict] | None = None) -> list[str]:
        """A few plain sentences for a reader in a hurry, generated from the figures."""
        lines = []
        badges = [r["badge"] for r in key if r["badge"] is not None]
        if badges:
            counts = {lab: sum(1 for b in badges if b.label == lab) for lab in LABELS}
            lines.append(
                f"Pour l'ensemble des programmes et des antennes, sur {len(badges)} "
                f"indicateur{'s' if len(badges) > 1 else ''} assorti"
                f"{'s' if len(badges) > 1 else ''} d'un objectif : {counts['atteint']} atteint"
                f"{'s' if counts['atteint'] > 1 else ''}, {counts['en bonne voie']} en bonne "
                f"voie, {counts['en retard']} en retard.")
        every = [t["badge"] for t in targets or [] if t["badge"] is not None]
        if len(every) > len(badges):
            counts = {lab: sum(1 for b in every if b.label == lab) for lab in LABELS}
            withheld = len(every) - sum(counts.values())
            lines.append(
                f"Sur l'ensemble des {len(every)} objectifs suivis ce trimestre (programmes, "
                f"antennes et leurs croisements) : {counts['atteint']} atteint"
                f"{'s' if counts['atteint'] > 1 else ''}, {counts['en bonne voie']} en bonne "
                f"voie, {counts['en retard']} en retard"
                + (f", {withheld} non publiable{'s' if withheld > 1 else ''} ou non "
                   "calculable" + ("s" if withheld > 1 else "") if withheld else "")
                + " (détail au § 2).")
        for r in key:
            if r["code"] in ("ENT", "SOR", "SD_SORTIE", "SD_6M") and r["value"]["kind"] != "none":
                sentence = f"{r['label']} : {r['value']['text']}"
                if r["previous"]["text"] and r["variation"]:
                    sentence += (f" ({r['variation']} par rapport au "
                                 f"{self.q.previous().label_fr})")
                if r["badge"]:
                    sentence += f", objectif {r['badge'].label}"
                lines.append(sentence + ".")
        n_prog, n_ant = len(self.pub.programmes()), len(self.pub.antennas())
        lines.append(f"Le rapport couvre {n_prog} programme{'s' if n_prog > 1 else ''} et "
                     f"{n_ant} antenne{'s' if n_ant > 1 else ''}.")
        if self.quality is not None:
            w, v = len(self.quality.warnings()), len(self.quality.waived(self.q.code))
            ok, n = len(self.quality.passed()), len(self.quality.checks)
            lines.append(f"Qualité des données : {ok} contrôle{'s' if ok > 1 else ''} sur {n} "
                         f"satisfait{'s' if ok > 1 else ''}, {w} avertissement"
                         f"{'s' if w > 1 else ''}, {v} dérogation{'s' if v > 1 else ''}.")
        return lines

    def context(self) -> dict:
        key = self.key_figures()
        trend_charts = []
        volumes = self.volume_indicators()
        chart = self.trend_chart(volumes)
        if chart:
            trend_charts.append({"title": "Entrées, file active et sorties (nombre de parcours)",
                                 "uri": chart})
        chart = self.trend_chart(self.headline_rates(), percent_axis=True)
        if chart:
            trend_charts.append({"title": "Taux de sortie (à la sortie et à 6 mois)",
                                 "uri": chart})
        notes = list(self.pub.notes)
        if self.mart_as_of and self.mart_as_of != self.as_of:
            notes.append(f"Les indicateurs ont été calculés avec les données arrêtées au "
                         f"{date_fr(self.mart_as_of)}.")
        ctx = {
            "organisation": ORGANISATION,
            "quarter": self.q, "period": f"du {date_fr(self.q.start)} au {date_fr(self.q.end)}",
            "as_of": date_fr(self.as_of), "version": self.version,
            "created_at": self.created_at.strftime("%d/%m/%Y à %H:%M UTC"),
            "k": self.pub.k, "legend": legend_fr(self.pub.k),
            "target_legend": legend_lines(self.q.number, self.q.label_fr),
            "targets": self.target_followup(),
            "key_figures": key, "axes": self.axes_section(),
            "axes_overall": self.axes_overall(), "trend_charts": trend_charts,
            "trend_table": self.trend_table(),
            "outcomes": self.outcomes(), "time_to_employment": self.time_to_employment(),
            "programmes": [self.scope_section(p, ALL) for p in self.pub.programmes()],
            "antennas": [self.scope_section(ALL, a) for a in self.pub.antennas()],
            "quality": self.quality_section(),
            "learning": learning_entries(self.learning.learning_log, self.q)
            if self.learning else None,
            "recommendations": recommendation_followup(self.learning.recommendations, self.q)
            if self.learning else None,
            "evaluations": evaluation_status(self.learning.evaluation_plan, self.q)
            if self.learning else None,
            "methodology": self.methodology(), "notes": notes, "diff": self.diff,
        }
        ctx["summary"] = self.summary(key, ctx["targets"])
        return ctx


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["date_fr"] = lambda d: date_fr(d) if d else ""
    return env


def build_context(pub: Publication, *, as_of: date, version: int, created_at: datetime,
                  quality: QualitySummary | None = None, learning: LearningInputs | None = None,
                  km: pd.DataFrame | None = None, mart_as_of: date | None = None) -> dict:
    """Everything the template shows (charts included); records every figure it uses, so the
    published set is known before the HTML is rendered (the version diff goes in the HTML)."""
    return _ReportBuilder(pub, as_of=as_of, version=version, created_at=created_at,
                          quality=quality, learning=learning, km=km, mart_as_of=mart_as_of,
                          diff=None).context()


def render_html(context: dict) -> str:
    """The report as one self-contained HTML document (styles and charts inline)."""
    return _environment().get_template("rapport.html.j2").render(**context)


def write_pdf(html: str, path: Path) -> int:
    """The same HTML, paginated by WeasyPrint with the print rules of the stylesheet; returns
    the number of pages (recorded in the manifest)."""
    from reports.pdf import write_pdf as paginate

    path.parent.mkdir(parents=True, exist_ok=True)
    return paginate(path, string=html, base_url=TEMPLATES)
