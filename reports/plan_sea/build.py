"""The Plan SEA (plan de suivi, évaluation et apprentissage), generated in French from the data.

Its content is data, not prose written once: the logframe and the indicator catalogue (seeds),
the targets (objectifs), the evaluation plan and the action plan (shared spreadsheets), the
learning tools (`learning_tools.yml`). The document is regenerated whenever any of that changes
— the Dagster asset calls `build_plan_sea` after every refresh and a fingerprint of the content
decides whether to rewrite it — so it is never out of date. Each new version is also archived
under `versions/`.
"""

from __future__ import annotations

import base64
import json
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from common.warehouse import connect
from reports.disclosure import DEFAULT_K
from reports.formatting import number, percent
from reports.plan_sea.data import PlanInputs, fingerprint, read_inputs
from reports.plan_sea.gantt import Bar, gantt
from reports.plan_sea.labels import (
    LEVELS_FR,
    axis_order_fr,
    direction_fr,
    role_fr,
    scope_fr,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATE_FILE = "plan_sea.json"


@dataclass(frozen=True)
class PlanSea:
    """The files of the current Plan SEA and whether this call rewrote them."""

    html: Path
    pdf: Path | None
    fingerprint: str
    as_of: date
    changed: bool


def _nan(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _text(value: object) -> str:
    return "" if _nan(value) else str(value).strip()


# -- content -----------------------------------------------------------------------------------
def _baseline(row: dict, baselines: dict[str, dict], k: int) -> str:
    """The catalogue's baseline, else the 2020 value (primary disclosure rule applied)."""
    kind = row["indicator_type"]
    if not _nan(row.get("baseline_value")):
        value = float(row["baseline_value"])
        year = "" if _nan(row.get("baseline_year")) else f" ({int(row['baseline_year'])})"
        shown = percent(value) if kind == "rate" and value <= 1 else number(value, 1 if kind in (
            "sum", "median") else 0)
        return shown + year
    found = baselines.get(row["indicator_code"])
    if not found or _nan(found.get("value")):
        return "à établir"
    value = float(found["value"])
    population = found.get("denominator") if kind == "rate" else found.get("population")
    population = None if _nan(population) else float(population)
    if kind == "count" and 0 < value < k:
        return f"< {k} (2020)"
    if kind != "count" and population is not None and population < k:
        return "s (2020)"
    if kind == "rate":
        return percent(value) + " (2020)"
    if kind == "median":
        return number(value, 0) + " j (2020)"
    return number(value, 0) + " (2020)"


def _target_text(value: float, kind: str) -> str:
    """As the report prints the same target: rates in %, medians in days, sums in hours."""
    if kind == "rate":
        return number(value, 0 if float(value).is_integer() else 1) + "\u00a0%"
    if kind == "median":
        return number(value, 0) + "\u00a0j"
    if kind == "sum":
        return number(value, 0) + "\u00a0h"
    return number(value, 0)


def _annual(targets: pd.DataFrame) -> pd.DataFrame:
    return targets[targets["quarter"] == 0] if "quarter" in targets else targets


def _targets(row: dict, targets: pd.DataFrame, year: int) -> str:
    """Annual targets of the current and next year for the whole organisation, or a pointer to
    the annex when targets are set per programme and antenna."""
    if targets.empty:
        return "—"
    every = targets[targets["indicator_code"] == row["indicator_code"]]
    mine = _annual(every)
    overall = mine[(mine["programme"] == "ALL") & (mine["antenna"] == "ALL")
                   & (mine["year"].between(year - 1, year + 1))]
    parts = [f"{int(r.year)} : {_target_text(r.target, row['indicator_type'])}"
             for r in overall.itertuples()]
    scoped = every[(every["year"] == year) & ~((every["programme"] == "ALL")
                                               & (every["antenna"] == "ALL"))]
    if len(scoped):
        parts.append(f"{year} : {len(scoped)} cible(s) par programme et antenne (annexe)")
    return " ; ".join(parts) or "—"


def shown_baselines(inputs: PlanInputs, k: int) -> dict[str, str]:
    """Each indicator's baseline as the document prints it (what the fingerprint hashes)."""
    baselines = {r["indicator_code"]: r for r in inputs.baselines.to_dict("records")}
    return {r["indicator_code"]: _baseline(r, baselines, k)
            for r in inputs.catalogue.to_dict("records")}


def indicator_reference(inputs: PlanInputs, k: int) -> list[dict]:
    baselines = shown_baselines(inputs, k)
    rows = []
    for r in inputs.catalogue.to_dict("records"):
        rows.append({
            "code": r["indicator_code"], "label": _text(r.get("label_fr")),
            "level": _text(r.get("level")), "type": r["indicator_type"],
            "unit": _text(r.get("unit")), "pic": bool(r.get("pic")),
            "definition": _text(r.get("description_fr")), "source": _text(r.get("source")),
            "frequency": _text(r.get("frequency")),
            "owner": role_fr(_text(r.get("owner")) or "charge_suivi_evaluation"),
            "baseline": baselines[r["indicator_code"]],
            "targets": _targets(r, inputs.targets, inputs.as_of.year),
            "direction": direction_fr(r.get("direction")),
        })
    return rows


def logframe(inputs: PlanInputs) -> list[dict]:
    labels = {r["indicator_code"]: _text(r.get("label_fr"))
              for r in inputs.catalogue.to_dict("records")}
    rows = []
    for r in inputs.logframe.to_dict("records"):
        codes = [c.strip() for c in _text(r.get("indicator_codes")).replace(",", ";").split(";")
                 if c.strip()]
        rows.append({"level": LEVELS_FR.get(r["level"], _text(r["level"])), "code": r["code"],
                     "statement": _text(r.get("statement_fr")),
                     "indicators": [(c, labels.get(c, c)) for c in codes],
                     "verification": _text(r.get("means_of_verification_fr")),
                     "assumptions": _text(r.get("assumptions_fr"))})
    return rows


def project_axes(inputs: PlanInputs) -> list[dict]:
    """The seven axes of the project in order, each with the indicators that follow it (the
    catalogue's `axes`), their sources and the logframe lines they measure; an axis whose
    indicators have recorded nothing yet says so rather than disappearing."""
    from reports import catalogue as reference

    rows = inputs.catalogue.to_dict("records")
    lines: dict[str, list[str]] = {}
    for r in inputs.logframe.to_dict("records"):
        for c in _text(r.get("indicator_codes")).replace(",", ";").split(";"):
            if c.strip():
                lines.setdefault(c.strip(), []).append(str(r["code"]))
    out = []
    for rank, (axis, label) in enumerate(reference.axes(), start=1):
        inds = [r for r in rows if axis in
                [a.strip().upper() for a in _text(r.get("axes")).split(";")]]
        out.append({
            "number": rank, "label": label,
            "indicators": [_text(r.get("label_fr")) for r in inds],
            "sources": sorted({_text(r.get("source")) for r in inds} - {""}),
            "lines": sorted({code for r in inds for code in lines.get(r["indicator_code"], [])}),
            "recorded": any(r["indicator_code"] in inputs.recorded for r in inds),
        })
    return out


def target_annex(inputs: PlanInputs) -> dict:
    """Targets of the current year per indicator × scope for the annex: one row per
    indicator and period (the year, or each quarter with a quarterly target), exactly the
    targets the accountability report follows."""
    year = inputs.as_of.year
    t = inputs.targets
    if t.empty:
        return {"year": year, "scopes": [], "rows": []}
    t = t[t["year"] == year]
    kinds = dict(zip(inputs.catalogue["indicator_code"], inputs.catalogue["indicator_type"],
                     strict=True))
    labels = dict(zip(inputs.catalogue["indicator_code"], inputs.catalogue["label_fr"],
                      strict=True))
    scopes = sorted({(p, a) for p, a in zip(t["programme"], t["antenna"], strict=True)},
                    key=lambda s: (s[0] != "ALL", s[0], s[1] != "ALL", s[1]))
    if "quarter" not in t:
        t = t.assign(quarter=0)
    rows = []
    for code in [c for c in inputs.catalogue["indicator_code"] if c in set(t["indicator_code"])]:
        for quarter in sorted(set(t.loc[t["indicator_code"] == code, "quarter"])):
            mine = t[(t["indicator_code"] == code) & (t["quarter"] == quarter)]
            values = {(r.programme, r.antenna): _target_text(r.target, kinds.get(code, "count"))
                      for r in mine.itertuples()}
            period = f"T{int(quarter)} {year}" if quarter else f"année {year}"
            rows.append({"code": code, "label": f"{labels.get(code, code)} — {period}",
                         "values": [values.get(s, "") for s in scopes]})
    return {"year": year, "scopes": [scope_fr(p, a) for p, a in scopes], "rows": rows}


def evaluations(inputs: PlanInputs) -> list[dict]:
    out = []
    crit = inputs.criteria
    ques = inputs.questions
    inds = inputs.evaluation_indicators
    for r in inputs.evaluations.to_dict("records"):
        eid = r["evaluation_id"]
        out.append({
            "id": eid, "scope": scope_fr(r["programme"], r["antenna"]),
            "type": _text(r["evaluation_type_label_fr"]),
            "mode": _text(r["evaluation_mode_label_fr"]) or "non précisé",
            "start": pd.Timestamp(r["planned_start"]).date(),
            "end": pd.Timestamp(r["planned_end"]).date(),
            "status": _text(r["status_label_fr"]), "status_code": r["status"],
            "due": bool(r["is_due_within_90_days"]), "late": bool(r["is_late"]),
            "criteria": [] if crit.empty else list(
                crit[crit["evaluation_id"] == eid].sort_values("criterion_order")["criterion"]),
            "questions": [] if ques.empty else list(ques[ques["evaluation_id"] == eid]
                                                    ["question_fr"]),
            "indicators": [] if inds.empty else [
                (x.indicator_code, _text(x.indicator_label_fr) or x.indicator_code)
                for x in inds[inds["evaluation_id"] == eid].sort_values(
                    "indicator_position").itertuples()],
        })
    return out


def learning_tools(inputs: PlanInputs) -> list[dict]:
    """Each tool with what was done over the last 12 months (entries of the learning log)."""
    lessons = inputs.lessons
    since = pd.Timestamp(inputs.as_of) - pd.DateOffset(months=12)
    out = []
    for tool in inputs.tools:
        done, last = None, None
        if tool.get("type") and not lessons.empty:
            mine = lessons[lessons["lesson_type"] == tool["type"]]
            dates = pd.to_datetime(mine["lesson_date"])
            dates = dates[dates <= pd.Timestamp(inputs.as_of)]
            done = int((dates > since).sum())
            last = dates.max().date() if len(dates) else None
        expected = tool.get("expected_per_year")
        out.append({**tool, "owner_fr": role_fr(tool.get("owner")), "done_12m": done,
                    "last": last, "behind": expected is not None and done is not None
                    and done < int(expected)})
    return out


def recommendation_summary(inputs: PlanInputs) -> dict:
    recs = inputs.recommendations
    if recs.empty:
        return {"total": 0}
    quarters = inputs.recommendations_by_quarter.tail(4).to_dict("records") \
        if not inputs.recommendations_by_quarter.empty else []
    return {"total": len(recs), "open": int(recs["is_open"].sum()),
            "overdue": int(recs["is_overdue"].sum()), "stale": int(recs["is_stale"].sum()),
            "done": int((recs["status"] == "fait").sum()), "quarters": quarters}


def actions(inputs: PlanInputs) -> list[dict]:
    out = []
    for r in inputs.actions.to_dict("records"):
        out.append({
            "id": r["action_id"], "label": _text(r["action_label"]),
            "axis": _text(r["axis_label_fr"]), "axis_code": r["axis"],
            "owner": role_fr(_text(r["owner_role"])),
            "contributors": ", ".join(role_fr(c) for c in _text(r["contributor_roles"]).split(",")
                                      if c),
            "priority": _text(r["priority_label_fr"]),
            "start": pd.Timestamp(r["start_date"]).date(),
            "end": pd.Timestamp(r["end_date"]).date(),
            "status": _text(r["status_label_fr"]), "status_code": r["status"],
            "late": bool(r["is_late"]),
            "budget": None if _nan(r["budget_eur"]) else float(r["budget_eur"]),
            "days": None if _nan(r["person_days"]) else float(r["person_days"]),
        })
    return out


def resources(rows: list[dict]) -> dict:
    """Budget and person-days per axis and per responsible role, with totals."""
    def table(key: str) -> list[dict]:
        groups: dict[str, dict] = {}
        for a in rows:
            g = groups.setdefault(a[key], {"name": a[key], "actions": 0, "budget": 0.0,
                                           "days": 0.0})
            g["actions"] += 1
            g["budget"] += a["budget"] or 0.0
            g["days"] += a["days"] or 0.0
        return sorted(groups.values(), key=lambda g: (-g["days"], g["name"]))

    return {"by_axis": table("axis"), "by_owner": table("owner"),
            "budget": sum(a["budget"] or 0.0 for a in rows),
            "days": sum(a["days"] or 0.0 for a in rows), "actions": len(rows)}


def _charts(actions_rows: list[dict], evaluation_rows: list[dict], as_of: date) -> dict:
    charts = {}
    if actions_rows:
        order = axis_order_fr()
        rows = sorted(actions_rows, key=lambda a: (order.get(a["axis"], 9), a["start"], a["id"]))
        charts["actions"] = gantt([Bar(f"{a['id']} · {a['label']}", a["axis"], a["start"],
                                       a["end"], done=a["status_code"] == "fait",
                                       late=a["late"], note=a["owner"]) for a in rows], as_of)
    if evaluation_rows:
        charts["evaluations"] = gantt(
            [Bar(e["id"], e["type"], e["start"], e["end"],
                 done=e["status_code"] in ("terminee", "annulee"), late=e["late"],
                 note=e["status"]) for e in evaluation_rows], as_of, width_in=6.6,
            label_width=26)
    return charts


def _programme_list(codes: list[str]) -> str:
    """« SOCLE, SOCLE Femmes et AVEC » from the programme reference (new codes flow through)."""
    from reports.plan_sea.labels import programme_fr

    names = [programme_fr(c) for c in codes]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1] \
        if names else ""


# -- the document ------------------------------------------------------------------------------
def _template_sources() -> list[str]:
    from reports.evidence.render import TEMPLATES as SHARED

    files = sorted(TEMPLATES.glob("*")) + sorted(SHARED.glob("*.css"))
    return [f.read_text(encoding="utf-8") for f in files]


def _context(inputs: PlanInputs, fp: str, k: int) -> dict:
    evaluation_rows = evaluations(inputs)
    action_rows = actions(inputs)
    return {
        "as_of": inputs.as_of, "fingerprint": fp[:10], "k": k,
        "logframe": logframe(inputs), "axes": project_axes(inputs),
        "indicators": indicator_reference(inputs, k),
        "targets": target_annex(inputs), "evaluations": evaluation_rows,
        "tools": learning_tools(inputs), "recommendations": recommendation_summary(inputs),
        "actions": action_rows, "resources": resources(action_rows),
        "charts": _charts(action_rows, evaluation_rows, inputs.as_of),
        "missing": inputs.missing,
        "programmes": _programme_list(inputs.programmes),
    }


def _render(context: dict) -> str:
    from reports.evidence.render import environment

    return environment(TEMPLATES).get_template("plan_sea.html.j2").render(**context)


def render_html(inputs: PlanInputs, fp: str, k: int = DEFAULT_K) -> str:
    return _render(_context(inputs, fp, k))


def _svg_image(svg: str) -> str:
    """An inline SVG chart as an `<img>` of the same SVG (data URI).

    For WeasyPrint only: it draws the image exactly as the inline SVG (same pages, same pixels;
    sized as `.chart svg` is), but without first cascading the document's CSS over each of the
    chart's ~800 SVG nodes. The HTML file keeps inline SVG (selectable text in a browser).
    """
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return (f'<img src="data:image/svg+xml;base64,{data}" alt="" '
            'style="width: 92%; height: auto">')


def build_plan_sea(warehouse_target: str, *, output_dir: Path | str, k: int = DEFAULT_K,
                   force: bool = False, pdf: bool = True) -> PlanSea:
    """Write `output_dir/plan_sea.html` and `.pdf` when the plan changed since the last call
    (or `force`); archive the new version under `output_dir/versions/`. Returns what is there."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with connect(warehouse_target, read_only=True) as wh:
        inputs = read_inputs(wh)
    fp = fingerprint(inputs, str(k), *_template_sources(),
                     shown={"baselines": shown_baselines(inputs, k),
                            "axes": project_axes(inputs)})
    html_path, pdf_path = folder / "plan_sea.html", folder / "plan_sea.pdf"
    state_path = folder / STATE_FILE
    if not force and state_path.is_file() and html_path.is_file() and (
            not pdf or pdf_path.is_file()):
        state = json.loads(state_path.read_text(encoding="utf-8"))
        if state.get("fingerprint") == fp:
            return PlanSea(html_path, pdf_path if pdf else None, fp,
                           date.fromisoformat(state["as_of"]), changed=False)
    context = _context(inputs, fp, k)
    html_path.write_text(_render(context), encoding="utf-8")
    written_pdf = None
    if pdf:
        from reports.pdf import write_pdf

        charts = {name: _svg_image(svg) for name, svg in context["charts"].items()}
        write_pdf(pdf_path, string=_render({**context, "charts": charts}), base_url=folder)
        written_pdf = pdf_path
        versions = folder / "versions"
        versions.mkdir(exist_ok=True)
        archived = versions / f"plan_sea_{inputs.as_of.isoformat()}_{fp[:10]}.pdf"
        archived.write_bytes(pdf_path.read_bytes())
    state_path.write_text(json.dumps({"fingerprint": fp, "as_of": inputs.as_of.isoformat()},
                                     indent=2), encoding="utf-8")
    return PlanSea(html_path, written_pdf, fp, inputs.as_of, changed=True)
