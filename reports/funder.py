"""Funder reports: one funder's grant, for a year, a half-year or a quarter
(docs/outputs.md#funder-reports).

AERé accounts to several funders, each for its own scope (programmes and antennas of its grant),
its own indicators and its own targets (`objectifs` rows with a `financeur`). A funder report
shows exactly that, with the budget execution and the costs of its grant. Its indicator figures
are taken from the same protected tables as the quarterly deliverables (`build_publication`):
a funder who also reads the accountability report gets the same value, or the same marker, for
the same cell, so putting the two side by side recomputes nothing. Figures the quarterly report
does not carry — a year-to-date count compared with an annual target, a cost per participant —
are shown only when every quarter they sum is shown and they count at least `k` persons.
Budget lines are the association's own activity, not persons: shown as they are.

Frozen and versioned like the quarterly deliverables: `<output_dir>/financeurs/<FUNDER>/<period>/
v<N>/`, a re-run with unchanged content writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.styles import Alignment, Font, PatternFill

from common.quarters import Quarter, date_fr, last_quarters
from common.warehouse import connect
from reports import catalogue as labels
from reports.accountability import _environment, write_pdf
from reports.catalogue import Indicator
from reports.delivery import (
    FIGURES,
    MANIFEST,
    TREND_QUARTERS,
    DeliveryResult,
    _sha256,
    _versions,
)
from reports.disclosure import Suppressed, legend_fr
from reports.formatting import by_kind, number, percent
from reports.inputs import load_inputs
from reports.publication import ALL, Figure, Publication, build_publication
from reports.quality import QualityGateError, QualitySummary
from reports.targets import NOT_COMPUTABLE, WITHHELD, legend_lines
from reports.targets import achievement as target_achievement
from reports.targets import status as target_status

FUNDERS_FOLDER = "financeurs"
SPENDING_AXES = ("AVEC", "SOCLE")  # the costs' spending: the accompaniment's axes (§ 12)
_PERIOD = re.compile(r"^\s*(\d{4})(?:-?(S[12]|Q[1-4]|T[1-4]))?\s*$", re.IGNORECASE)


class FunderReportError(ValueError):
    """A funder report that cannot be written as asked (one French sentence)."""


# -- the period ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ReportPeriod:
    """A year (`2026`), a half-year (`2026-S2`) or a quarter (`2026-Q3`, `2026-T3`)."""

    code: str
    year: int
    quarters: tuple[Quarter, ...]

    @classmethod
    def parse(cls, text: str) -> ReportPeriod:
        match = _PERIOD.match(str(text))
        if not match:
            raise FunderReportError(
                f"période {text!r} non reconnue : attendu une année (2026), un semestre "
                "(2026-S2) ou un trimestre (2026-Q3)")
        year, part = int(match.group(1)), (match.group(2) or "").upper()
        if not part:
            return cls(str(year), year, tuple(Quarter(year, n) for n in range(1, 5)))
        if part.startswith("S"):
            half = int(part[1])
            return cls(f"{year}-S{half}", year,
                       tuple(Quarter(year, n) for n in ((1, 2) if half == 1 else (3, 4))))
        return cls(f"{year}-Q{part[1]}", year, (Quarter(year, int(part[1])),))

    @property
    def start(self) -> date:
        return self.quarters[0].start

    @property
    def end(self) -> date:
        return self.quarters[-1].end

    @property
    def label_fr(self) -> str:
        if len(self.quarters) == 4:
            return f"année {self.year}"
        if len(self.quarters) == 2:
            return f"{'1er' if self.quarters[0].number == 1 else '2e'} semestre {self.year}"
        return self.quarters[0].label_fr


# -- the grant -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Grant:
    """One row of `marts.funder_grants`: what the funder finances and follows."""

    funder: str
    name: str
    kind: str
    grant_id: str
    start: date
    end: date
    programmes: tuple[str, ...]
    antennas: tuple[str, ...]
    axes: tuple[str, ...]
    amount: float | None
    indicators: tuple[str, ...]
    frequency: str

    def fingerprint(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, date) else v)
                for k, v in self.__dict__.items()}


def _codes(value: object) -> tuple[str, ...]:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ()
    return tuple(c.strip().upper() for c in str(value).split(",") if c.strip())


def _day(value: object) -> date:
    return pd.Timestamp(value).date()


def load_grant(wh, funder: str, period: ReportPeriod) -> Grant:
    """The funder's grant covering the period; a clear French error otherwise."""
    if not wh.table_exists("marts.funder_grants"):
        raise FunderReportError("aucun tableau des financements chargé (marts.funder_grants) : "
                                "déposez le fichier `financements` puis actualisez")
    grants = wh.fetch_df("select * from marts.funder_grants")
    known = sorted(set(grants["funder_code"]))
    mine = grants[grants["funder_code"] == funder]
    if mine.empty:
        raise FunderReportError(f"financeur {funder!r} inconnu du tableau des financements "
                                f"(connus : {', '.join(known) or 'aucun'})")
    covering = [r for r in mine.itertuples(index=False)
                if _day(r.grant_start) <= period.end and _day(r.grant_end) >= period.start]
    if not covering:
        spans = "; ".join(f"{r.grant_id} du {date_fr(_day(r.grant_start))} au "
                          f"{date_fr(_day(r.grant_end))}" for r in mine.itertuples(index=False))
        raise FunderReportError(f"{funder} : la période {period.label_fr} est hors de ses "
                                f"conventions ({spans})")
    r = max(covering, key=lambda g: _day(g.grant_start))
    programmes = _codes(r.programmes) or (ALL,)
    return Grant(
        funder=funder, name=str(r.funder_name), kind=str(r.funder_type or ""),
        grant_id=str(r.grant_id), start=_day(r.grant_start), end=_day(r.grant_end),
        programmes=programmes, antennas=_codes(r.antennas) or (ALL,),
        axes=_codes(r.axes) or tuple(dict.fromkeys(
            labels.programme_axes().get(p, "SOCLE") for p in programmes if p != ALL)),
        amount=None if pd.isna(r.amount_eur) else float(r.amount_eur),
        indicators=_codes(r.indicator_codes), frequency=str(r.report_frequency or "annuelle"))


# -- the figures ---------------------------------------------------------------------------------
@dataclass
class _Figures:
    """What the report shows, and the record of every figure (its `figures.csv`)."""

    rows: list[dict]

    def add(self, section: str, indicator: str, scope: str, column: str, measure: str,
            status: str, value: float | None, display: str) -> str:
        self.rows.append({"section": section, "indicator_code": indicator, "scope": scope,
                          "period": column, "measure": measure, "status": status,
                          "value": None if value is None else round(float(value), 4),
                          "display": display})
        return display

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["section", "indicator_code", "scope", "period",
                                                "measure", "status", "value", "display"])


def _status_of(fig: Figure | None) -> str:
    if fig is None:
        return "absent"
    if isinstance(fig.value, Suppressed):
        return fig.value.reason
    return "not_computable" if fig.value is None else "published"


class _Builder:
    def __init__(self, wh, grant: Grant, period: ReportPeriod, done: list[Quarter],
                 pub: Publication, k: int, as_of: date) -> None:
        self.wh, self.grant, self.period, self.done = wh, grant, period, done
        self.pub, self.k, self.as_of = pub, k, as_of
        self.figures = _Figures([])
        self.scopes = [(p, a) for p in grant.programmes for a in grant.antennas]

    def scope_label(self, p: str, a: str) -> str:
        return labels.scope_label(p, a)

    # -- indicators against the funder's targets ---------------------------------------------
    def indicators(self) -> tuple[list[dict], list[str]]:
        catalogue = self.pub.catalogue
        unknown = [c for c in self.grant.indicators if c not in catalogue]
        inds = [catalogue[c] for c in self.grant.indicators if c in catalogue
                and catalogue[c].type in ("count", "sum", "rate", "median")]
        targets = self._targets()
        year_rows = self._year_rows()
        tables = []
        for p, a in self.scopes:
            scope = self.scope_label(p, a)
            rows = []
            for ind in inds:
                cells = []
                for q in self.done:
                    fig = self.pub.figure(ind.code, q, p, a, record=False)
                    text = fig.display(ind.unit) if fig is not None else "–"
                    cells.append({"text": self.figures.add(
                        "indicateurs", ind.code, scope, q.code, "value", _status_of(fig),
                        fig.value if fig is not None and _status_of(fig) == "published"
                        else None, text), "status": _status_of(fig)})
                rows.append({"label": ind.label_fr, "cells": cells,
                             **self._target(ind, p, a, scope, targets, year_rows)})
            tables.append({"scope": scope, "rows": rows})
        notes = [f"Indicateur {c} inconnu du catalogue : ignoré." for c in unknown]
        return tables, notes

    def _targets(self) -> dict[tuple[str, str, str, int | None], float]:
        if not self.wh.table_exists("marts.funder_targets"):
            return {}
        df = self.wh.fetch_df(
            "select indicator_code, programme, antenna, target_quarter, target_value "
            "from marts.funder_targets where funder_code = ? and target_year = ?",
            [self.grant.funder, self.period.year])
        return {(r.indicator_code, r.programme, r.antenna,
                 None if pd.isna(r.target_quarter) else int(r.target_quarter)):
                float(r.target_value) for r in df.itertuples(index=False)}

    def _year_rows(self) -> dict[tuple[str, str, str], float | None]:
        """The year to date at the end of the period's last ended quarter, per target."""
        if not self.wh.table_exists("marts.funder_year_to_date"):
            return {}
        df = self.wh.fetch_df(
            "select indicator_code, programme, antenna, year_to_date_value "
            "from marts.funder_year_to_date where funder_code = ? and quarter_end = ?",
            [self.grant.funder, self.done[-1].end])
        return {(r.indicator_code, r.programme, r.antenna): None
                if pd.isna(r.year_to_date_value) else float(r.year_to_date_value)
                for r in df.itertuples(index=False)}

    def _target(self, ind: Indicator, p: str, a: str, scope: str, targets: dict,
                year_rows: dict) -> dict:
        """The funder's target of the period's last quarter (a quarterly one) or of the year,
        its achievement and status, by the rule of the quarterly report (reports.targets)."""
        last = self.done[-1]
        quarterly = targets.get((ind.code, p, a, last.number))
        annual = targets.get((ind.code, p, a, None))
        empty = {"target": "", "compared": "", "achievement": "", "badge": None}
        if quarterly is None and annual is None:
            return empty
        fig = self.pub.figure(ind.code, last, p, a, record=False)
        target = quarterly if quarterly is not None else annual
        basis = "quarter" if quarterly is not None else (
            "year" if ind.type in ("rate", "median") else "year_to_date")
        target_text = (percent(target / 100) if ind.type == "rate" else by_kind(target, ind.type))
        target_text += " (objectif du trimestre)" if basis == "quarter" else " (objectif annuel)"
        compared: float | Suppressed | None
        if basis == "year_to_date":  # the year to date, shown only when it gives nothing away
            exact = year_rows.get((ind.code, p, a))
            shown_quarters = [self.pub.figure(ind.code, Quarter(last.year, n), p, a,
                                              record=False) for n in range(1, last.number + 1)]
            hidden = any(f is None or _status_of(f) not in ("published", "not_computable")
                         for f in shown_quarters)
            compared = Suppressed("secondary", ind.type, self.k) if hidden or (
                exact is not None and ind.type == "count" and 0 < exact < self.k) else exact
        else:
            compared = fig.value if fig is not None else None
        if isinstance(compared, Suppressed):
            ratio, status = None, WITHHELD
            compared_text = compared.display()
        else:
            ratio = target_achievement(compared, target, ind.type, ind.lower_is_better)
            status = target_status(ratio, basis, last.number) if compared is not None \
                else NOT_COMPUTABLE
            compared_text = by_kind(compared, ind.type, ind.unit)
        label = {"year_to_date": f"cumul au {date_fr(last.end)}",
                 "year": last.label_fr, "quarter": last.label_fr}[basis]
        self.figures.add("indicateurs", ind.code, scope, self.period.code, "target",
                         "published", target, target_text)
        self.figures.add("indicateurs", ind.code, scope, self.period.code, "compared",
                         "published" if not isinstance(compared, Suppressed) else "secondary",
                         None if isinstance(compared, Suppressed) else compared, compared_text)
        ach = "s" if isinstance(compared, Suppressed) else (
            "–" if ratio is None else number(ratio * 100, 0) + "\u00a0%")
        self.figures.add("indicateurs", ind.code, scope, self.period.code, "achievement",
                         "published", ratio, ach)
        return {"target": target_text, "compared": f"{compared_text} ({label})",
                "achievement": ach, "badge": status}

    # -- budget execution --------------------------------------------------------------------
    def _lines(self) -> pd.DataFrame:
        if not self.wh.table_exists("marts.budget_lines"):
            return pd.DataFrame(columns=["budget_year", "budget_quarter", "axis", "programme",
                                         "antenna", "budget_eur", "spent_eur"])
        lines = self.wh.fetch_df(
            "select budget_year, budget_quarter, axis, programme, antenna, budget_eur, "
            "spent_eur from marts.budget_lines where funder_code = ? and budget_year = ?",
            [self.grant.funder, self.period.year])
        numbers = {q.number for q in self.period.quarters}
        whole_year = len(self.period.quarters) == 4
        keep = [(pd.isna(q) and whole_year) or (not pd.isna(q) and int(q) in numbers)
                for q in lines["budget_quarter"]]
        return lines[keep]

    def budget(self) -> dict:
        """Budget and spending of the funder's lines in the period, per axis: a yearly line
        belongs to its year, never to a quarter or a half-year."""
        lines = self._lines()
        axes = dict(labels.axes())
        rows = []
        for axis, group in lines.groupby("axis", sort=False):
            rows.append(self._budget_row(axes.get(axis, labels.tidy_code(axis)), axis, group))
        order = [code for code, _ in labels.axes()]
        rows.sort(key=lambda r: order.index(r["code"]) if r["code"] in order else 99)
        total = self._budget_row("Total de la convention", "TOTAL", lines) if rows else None
        amount = by_kind(self.grant.amount, "sum", "eur") + "\u00a0€" \
            if self.grant.amount is not None else "non renseigné"
        self.figures.add("budget", "", "", self.grant.grant_id, "grant_amount", "published",
                         self.grant.amount, amount)
        return {"rows": rows, "total": total, "amount": amount}

    def _budget_row(self, label: str, code: str, group: pd.DataFrame) -> dict:
        budget = float(group["budget_eur"].fillna(0).sum())
        spent = float(group["spent_eur"].fillna(0).sum())
        rate = spent / budget if budget else None
        out = {"label": label, "code": code}
        for measure, value, text in (
                ("budget", budget, number(budget, 0) + "\u00a0€"),
                ("spent", spent, number(spent, 0) + "\u00a0€"),
                ("execution", rate, percent(rate) if rate is not None else "–")):
            out[measure] = self.figures.add("budget", code, label, self.period.code, measure,
                                            "published", value, text)
        return out

    # -- costs -------------------------------------------------------------------------------
    def costs(self) -> list[dict]:
        """Cost per participant and per dynamic exit of the funder's spending on the
        accompaniment (axes 1-2), per scope of its lines and period: the persons behind a
        cost are the indicator mart's (COUT_PART, COUT_SD populations); a cost over fewer than
        k persons is not shown."""
        lines = self._lines()
        lines = lines[lines["axis"].isin(SPENDING_AXES)]
        if lines.empty:
            return []
        whole_year = len(self.period.quarters) == 4
        columns = [("year", date(self.period.year, 1, 1), str(self.period.year),
                    f"Année {self.period.year}")] if whole_year \
            else [("quarter", q.start, q.code, q.label_fr) for q in self.done]
        dens = self.wh.fetch_df(
            "select indicator_code, period_type, period_start, programme, antenna, population "
            "from marts.indicator_values where indicator_code in ('COUT_PART', 'COUT_SD') "
            "and dimension = 'total' and period_start >= ? and period_start <= ?",
            [self.period.start, self.period.end])
        lookup = {(r.indicator_code, r.period_type, pd.Timestamp(r.period_start).date(),
                   r.programme, r.antenna): r.population for r in dens.itertuples(index=False)}
        out = []
        for (p, a), group in lines.groupby(["programme", "antenna"], sort=True):
            scope = self.scope_label(p, a)
            for code, label in (("COUT_PART", "Coût par personne accompagnée"),
                                ("COUT_SD", "Coût par sortie dynamique")):
                cells = []
                for ptype, start, col, _label in columns:
                    if ptype == "year":
                        spent = group["spent_eur"].fillna(0).sum()
                    else:
                        q = Quarter.of(start)
                        spent = group.loc[group["budget_quarter"] == q.number,
                                          "spent_eur"].fillna(0).sum()
                    den = lookup.get((code, ptype, start, p, a))
                    den = None if den is None or pd.isna(den) else float(den)
                    if not spent or not den:
                        value, status, text = None, "not_computable", "–"
                    elif den < self.k:
                        value, status, text = None, "primary", "s"
                    else:
                        value = float(spent) / den
                        status, text = "published", number(value, 0) + "\u00a0€"
                    cells.append({"text": self.figures.add("couts", code, scope, col, "value",
                                                           status, value, text),
                                  "status": status})
                out.append({"label": f"{label} — {scope}", "cells": cells})
        return out, [c[3] for c in columns]


# -- the entry point -----------------------------------------------------------------------------
def build_funder_report(warehouse_target: str, funder: str, period: str, *, as_of: date,
                        output_dir: Path, k: int, quality: QualitySummary | None = None,
                        pdf: bool = True) -> DeliveryResult:
    """Write (or re-write) one funder's report for one period under
    `output_dir/financeurs/<FUNDER>/<period>/v<N>/`. Refuses a funder or a period outside its
    grants, a period none of whose quarters has ended, and data the gate blocked."""
    funder = str(funder).strip().upper()
    per = ReportPeriod.parse(period)
    done = [q for q in per.quarters if q.end < as_of]
    if not done:
        raise FunderReportError(f"{per.label_fr} : aucun trimestre n'est terminé au "
                                f"{date_fr(as_of)}")
    last = done[-1]
    if quality is not None and quality.blocking(last.code):
        raise QualityGateError(last.code, quality.blocking(last.code))
    # the quarterly deliverables' window ending with the same quarter: the same table, hence
    # the same protection of every cell the two documents share
    inputs = load_inputs(warehouse_target, last_quarters(last, max(TREND_QUARTERS, last.number)))
    pub = build_publication(inputs, last, k, TREND_QUARTERS)
    with connect(warehouse_target, read_only=True) as wh:
        grant = load_grant(wh, funder, per)
        builder = _Builder(wh, grant, per, done, pub, k, as_of)
        tables, notes = builder.indicators()
        budget = builder.budget()
        costs = builder.costs()
    cost_rows, cost_headers = costs if costs else ([], [])
    if len(done) < len(per.quarters):
        notes.append(f"Période en cours au {date_fr(as_of)} : trimestres terminés seulement "
                     f"({', '.join(q.label_fr for q in done)}).")
    if len(builder.scopes) > 1:
        notes.append("Chaque périmètre de la convention (programme × antenne) est présenté "
                     "séparément : les indicateurs ne s'additionnent pas tous d'un périmètre à "
                     "l'autre (personnes suivies dans plusieurs antennes, taux).")
    figures = builder.figures.frame()
    base = Path(output_dir) / FUNDERS_FOLDER / funder / per.code
    every, complete = _versions(base)
    latest = complete[-1] if complete else None
    figures_csv = figures.to_csv(index=False, lineterminator="\n").encode("utf-8")
    content_hash = hashlib.sha256(figures_csv + json.dumps(
        {"k": k, "grant": grant.fingerprint(), "notes": notes,
         "quality": quality.fingerprint(last.code) if quality else None},
        sort_keys=True, ensure_ascii=False).encode("utf-8")).hexdigest()
    if latest is not None:
        previous = json.loads((base / f"v{latest}" / MANIFEST).read_text(encoding="utf-8"))
        if previous.get("content_hash") == content_hash:
            folder = base / f"v{latest}"
            return DeliveryResult(per.code, latest, folder, _listing(folder), True, latest, None,
                                  f"{grant.name}, {per.label_fr} : rien n'a changé depuis la "
                                  f"version {latest} ({folder}) ; aucune nouvelle version.")
    version = (every[-1] if every else 0) + 1
    created_at = datetime.now(UTC).replace(microsecond=0)
    base.mkdir(parents=True, exist_ok=True)
    staging = base / f".staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    stem = f"{funder}_{per.code}_v{version}"
    try:
        files = {"figures": staging / FIGURES}
        files["figures"].write_bytes(figures_csv)
        context = {
            "grant": grant, "period": per, "done": done, "version": version, "k": k,
            "as_of": date_fr(as_of), "created_at": created_at.strftime("%d/%m/%Y à %H:%M UTC"),
            "grant_span": f"du {date_fr(grant.start)} au {date_fr(grant.end)}",
            "programmes": ", ".join(labels.programme_label(p) for p in grant.programmes),
            "antennas": ", ".join(labels.antenna_label(a) for a in grant.antennas),
            "axes": ", ".join(dict(labels.axes()).get(a, a) for a in grant.axes),
            "frequency": grant.frequency.capitalize(), "tables": tables, "budget": budget,
            "costs": cost_rows, "cost_headers": cost_headers, "notes": notes,
            "legend": legend_fr(k), "target_legend": legend_lines(last.number, last.label_fr),
            "previous_version": latest, "definitions": [
                {"label": pub.catalogue[c].label_fr,
                 "text": pub.catalogue[c].description_fr or ""}
                for c in grant.indicators if c in pub.catalogue],
        }
        html = _environment().get_template("rapport_financeur.html.j2").render(**context)
        files["html"] = staging / f"rapport_financeur_{stem}.html"
        files["html"].write_text(html, encoding="utf-8")
        if pdf:
            files["pdf"] = staging / f"rapport_financeur_{stem}.pdf"
            write_pdf(html, files["pdf"])
        files["xlsx"] = staging / f"rapport_financeur_{stem}.xlsx"
        _write_xlsx(files["xlsx"], context)
        manifest = {
            "funder": funder, "funder_name": grant.name, "grant": grant.grant_id,
            "period": per.code, "period_label": per.label_fr, "version": version,
            "as_of": as_of.isoformat(), "created_at": created_at.isoformat(), "k": k,
            "previous_version": latest, "content_hash": content_hash,
            "figures": {"total": len(figures),
                        **figures["status"].value_counts().sort_index().to_dict()},
            "files": {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size}
                      for p in sorted(files.values())},
            "generator": "sea.reports.funder",
        }
        (staging / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False)
                                        + "\n", encoding="utf-8")
        final = base / f"v{version}"
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    message = (f"{grant.name}, {per.label_fr} : version {version} écrite dans {final}"
               + (" (les chiffres ont changé depuis la version précédente)." if latest else "."))
    return DeliveryResult(per.code, version, final, _listing(final), False, latest, None,
                          message)


def _listing(folder: Path) -> dict[str, Path]:
    kinds = {".xlsx": "xlsx", ".html": "html", ".pdf": "pdf"}
    out = {kinds[p.suffix]: p for p in folder.iterdir() if p.suffix in kinds}
    out["figures"], out["manifest"] = folder / FIGURES, folder / MANIFEST
    return out


def _write_xlsx(path: Path, ctx: dict) -> None:
    """The same tables as the report, numbers as numbers where shown, markers as text."""
    wb = openpyxl.Workbook()
    head, bold = PatternFill("solid", fgColor="DCE6F2"), Font(bold=True)
    ws = wb.active
    ws.title = "Indicateurs"
    ws.append([f"{ctx['grant'].name} — convention {ctx['grant'].grant_id} — "
               f"{ctx['period'].label_fr} (données au {ctx['as_of']}, version "
               f"{ctx['version']})"])
    ws["A1"].font = Font(bold=True, size=12)
    for table in ctx["tables"]:
        ws.append([])
        ws.append([table["scope"]])
        ws.cell(ws.max_row, 1).font = bold
        ws.append(["Indicateur", *[q.label_fr for q in ctx["done"]], "Objectif",
                   "Valeur comparée", "Réalisation", "Statut"])
        for cell in ws[ws.max_row]:
            cell.fill, cell.font = head, bold
        for row in table["rows"]:
            ws.append([row["label"], *[_number_or_text(c["text"]) for c in row["cells"]],
                       row["target"], row["compared"], row["achievement"],
                       row["badge"].label if row["badge"] else ""])
    ws.column_dimensions["A"].width = 48
    for col in "BCDEFGHI":
        ws.column_dimensions[col].width = 16
    bs = wb.create_sheet("Budget")
    bs.append(["Axe", "Budget prévu (€)", "Dépenses réalisées (€)", "Taux d'exécution"])
    for cell in bs[1]:
        cell.fill, cell.font = head, bold
    for row in ctx["budget"]["rows"] + ([ctx["budget"]["total"]] if ctx["budget"]["total"]
                                        else []):
        bs.append([row["label"], _number_or_text(row["budget"]), _number_or_text(row["spent"]),
                   _number_or_text(row["execution"])])
    bs.column_dimensions["A"].width = 52
    if ctx["costs"]:
        cs = wb.create_sheet("Coûts")
        cs.append(["Coût", *ctx["cost_headers"]])
        for cell in cs[1]:
            cell.fill, cell.font = head, bold
        for row in ctx["costs"]:
            cs.append([row["label"], *[_number_or_text(c["text"]) for c in row["cells"]]])
        cs.column_dimensions["A"].width = 60
    ls = wb.create_sheet("Légende")
    for symbol, meaning in ctx["legend"]:
        ls.append([symbol, meaning])
    for line in ctx["notes"]:
        ls.append(["", line])
    ls.column_dimensions["B"].width = 110
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(path)


def _number_or_text(text: str) -> float | str:
    """`1 234 €` → 1234.0, `42,5 %` → 0.425; markers (`< 5`, `s`, `–`) stay text."""
    raw = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    percent_ = raw.endswith("%")
    raw = raw.rstrip("%").replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        return text
    return value / 100 if percent_ else value
