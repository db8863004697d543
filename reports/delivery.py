"""Frozen quarterly deliveries: `<output_dir>/<YYYY-Qn>/v<N>/`, never overwritten.

Once a quarter's deliverables have left the organisation they are a record: a re-run (late data,
a corrected CRM record, a new mapping) writes the next version beside it instead of silently
replacing what funders and the ministry already hold. The diff of the published figures against
the latest version is an internal document (`<internal_dir>/<YYYY-Qn>/diff_v<N-1>_v<N>.*`,
never in the sent folder): figure by figure, "Hommes 80 -> 79" after an erasure tells a reader
the erased person's sex, programme and antenna. The sent version only says, in words, how many
figures changed and why. A re-run that would publish exactly the same content (same figures, same
quality summary and learning sections, same mapping and k) writes nothing and says so: a new
version that differs only by its production date would only blur which version is the real one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from common.quarters import Quarter, date_fr, last_quarters
from reports.accountability import build_context, render_html, write_pdf
from reports.catalogue import Catalogue
from reports.collecteur import load_mapping, validate, write_collecteur
from reports.formatting import signed
from reports.inputs import load_inputs
from reports.learning import LearningInputs, fingerprint
from reports.publication import (
    Publication,
    antenna_label,
    build_publication,
    category_label,
    programme_label,
)
from reports.quality import QualityGateError, QualitySummary

log = logging.getLogger(__name__)

FIGURES = "figures.csv"
TREND_QUARTERS = 8  # the window of quarters a delivery protects and charts
MANIFEST = "manifest.json"
KEY = ["indicator_code", "quarter", "programme", "antenna", "dimension", "dimension_value",
       "measure"]
MEASURE_FR = {"value": "", "target": " (objectif)", "achievement": " (réalisation)",
              "year_to_date": " (cumul annuel comparé à l'objectif)",
              "survival": " (part sans emploi)"}


@dataclass(frozen=True)
class DiffSummary:
    """What changed in the published figures between two versions of a quarter."""

    previous_version: int
    version: int
    changed: int
    added: int
    removed: int
    csv_path: Path | None  # in the internal folder; None when no internal folder was given
    markdown_path: Path | None
    lines: list[str] = field(default_factory=list)  # French, one per changed figure (internal)

    @property
    def summary_fr(self) -> str:
        """Counts of figures only: what the sent version may say about the change."""
        return (f"{self.changed} chiffre(s) publié(s) modifié(s), {self.added} ajouté(s), "
                f"{self.removed} retiré(s) par rapport à la version {self.previous_version}.")


@dataclass(frozen=True)
class DeliveryResult:
    """Where a quarter's deliverables are, and whether this run wrote a new version."""

    quarter: str
    version: int
    directory: Path
    files: dict[str, Path]
    unchanged: bool
    previous_version: int | None
    diff: DiffSummary | None
    message: str
    unresolved_disclosure: list[str] = field(default_factory=list)


# -- versions ------------------------------------------------------------------------------------
def _versions(quarter_dir: Path) -> tuple[list[int], list[int]]:
    """(every version folder, the complete ones: with a manifest, written last)."""
    every, complete = [], []
    if quarter_dir.is_dir():
        for child in quarter_dir.iterdir():
            if child.is_dir() and child.name.startswith("v") and child.name[1:].isdigit():
                every.append(int(child.name[1:]))
                if (child / MANIFEST).is_file():
                    complete.append(int(child.name[1:]))
    return sorted(every), sorted(complete)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            h.update(chunk)
    return h.hexdigest()


def _read_figures(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


# -- diff ------------------------------------------------------------------------------------------
def _label(row: pd.Series, catalogue: Catalogue) -> str:
    ind = catalogue.get(row["indicator_code"])
    name = ind.label_fr if ind else row["indicator_code"]
    scope = f"{programme_label(row['programme'])}, {antenna_label(row['antenna'])}"
    if row["dimension"] not in ("total", ""):
        scope += f", {category_label(row['dimension'], row['dimension_value'])}"
    try:
        quarter = Quarter.parse(row["quarter"]).label_fr
    except ValueError:
        quarter = row["quarter"]
    return f"{name}{MEASURE_FR.get(row['measure'], '')} — {scope} — {quarter}"


def diff_figures(before: pd.DataFrame, after: pd.DataFrame, catalogue: Catalogue
                 ) -> pd.DataFrame:
    """Published figures that differ between two `figures.csv` (as read: all text)."""
    cols = KEY + ["status", "display", "value", "kind"]
    merged = before[cols].merge(after[cols], on=KEY, how="outer",
                                suffixes=("_before", "_after"), indicator=True)
    merged["_merge"] = merged["_merge"].astype(str)
    merged = merged.fillna("")
    changed = merged[(merged["_merge"] != "both")
                     | (merged["display_before"] != merged["display_after"])
                     | (merged["status_before"] != merged["status_after"])].copy()
    changed["change"] = changed["_merge"].map(
        {"left_only": "retiré", "right_only": "ajouté", "both": "modifié"}).astype(str)
    a = pd.to_numeric(changed["value_after"], errors="coerce")
    b = pd.to_numeric(changed["value_before"], errors="coerce")
    changed["difference"] = (a - b).round(6)
    changed["label_fr"] = [_label(r, catalogue) for _, r in changed.iterrows()]
    out = changed[KEY + ["label_fr", "change", "status_before", "display_before",
                         "value_before", "status_after", "display_after", "value_after",
                         "difference"]]
    return out.sort_values(KEY, kind="stable").reset_index(drop=True)


def _change_text(row: pd.Series) -> str:
    if row["change"] != "modifié":
        return row["change"]
    diff = row["difference"]
    if pd.isna(diff):
        return "secret statistique modifié"
    if row["measure"] in ("achievement",) or "%" in str(row["display_after"]):
        return signed(diff * 100, 1, "pt")
    return signed(diff, 0 if float(diff).is_integer() else 1)


def _diff_lines(diff: pd.DataFrame) -> list[dict]:
    return [{"label": r["label_fr"], "before": r["display_before"] or "—",
             "after": r["display_after"] or "—", "change": _change_text(r)}
            for _, r in diff.iterrows()]


REASONS_FR = (
    "Ces écarts viennent des corrections et compléments apportés aux données sources depuis "
    "la version précédente et, le cas échéant, de l'effacement des données de personnes qui "
    "l'ont demandé. Le détail chiffre par chiffre n'est pas diffusé : rapproché des deux "
    "versions, il permettrait de reconnaître les personnes concernées (secret statistique)."
)


def summarise_diff(diff: pd.DataFrame, old: int, new: int) -> DiffSummary:
    """The counts of a diff, and its lines for the internal file (paths set when written)."""
    lines = _diff_lines(diff)
    return DiffSummary(old, new, int((diff["change"] == "modifié").sum()),
                       int((diff["change"] == "ajouté").sum()),
                       int((diff["change"] == "retiré").sum()), None, None,
                       [f"{x['label']} : {x['before']} → {x['after']} ({x['change']})"
                        for x in lines])


def diff_folder(internal_dir: Path, quarter: str) -> Path:
    """Where the diffs of a quarter's versions are kept: beside the warehouse, never sent."""
    return Path(internal_dir) / quarter


def _write_diff(diff: pd.DataFrame, summary: DiffSummary, folder: Path, old_as_of: str,
                new_as_of: date) -> DiffSummary:
    """Write the figure-by-figure diff in the internal folder (one quarter's subfolder)."""
    old, new = summary.previous_version, summary.version
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = folder / f"diff_v{old}_v{new}.csv"
    md_path = folder / f"diff_v{old}_v{new}.md"
    diff.to_csv(csv_path, index=False, lineterminator="\n")
    lines = _diff_lines(diff)
    summary = replace(summary, csv_path=csv_path, markdown_path=md_path)
    md = [f"# Modifications de la version {old} à la version {new}", "",
          "Document interne : à ne pas diffuser (secret statistique).", "",
          f"Données arrêtées au {old_as_of} (v{old}) puis au {date_fr(new_as_of)} (v{new}).", "",
          summary.summary_fr, "", f"| Chiffre publié | v{old} | v{new} | Écart |",
          "| --- | ---: | ---: | ---: |"]
    md += [f"| {x['label']} | {x['before']} | {x['after']} | {x['change']} |" for x in lines]
    md_path.write_text("\n".join(md) + "\n", encoding="utf-8")
    return summary


# -- the entry point ---------------------------------------------------------------------------
def _content_hash(figures_csv: bytes, pub: Publication, mapping_sha: str,
                  quality: QualitySummary | None, learning: LearningInputs | None) -> str:
    payload = json.dumps({
        "k": pub.k, "mapping": mapping_sha, "notes": pub.notes,
        "quality": quality.fingerprint(pub.quarter.code) if quality else None,
        "learning": fingerprint(learning, pub.quarter),
    }, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
    return hashlib.sha256(figures_csv + b"\0" + payload).hexdigest()


def build_quarterly_deliverables(
    warehouse_target: str,
    quarter: str,
    *,
    as_of: date,
    output_dir: Path,
    k: int,
    quality: QualitySummary | None = None,
    mapping_path: Path | None = None,
    learning: LearningInputs | None = None,
    pdf: bool = True,
    trend_quarters: int = TREND_QUARTERS,
    internal_dir: Path | None = None,
) -> DeliveryResult:
    """Build (or re-build) a quarter's deliverables under `output_dir/<quarter>/v<N>/`.

    Refuses a quarter that is not over at `as_of`, and data whose quality gate failed without
    a waiver. `pdf=False` skips WeasyPrint (tests, quick previews); everything else is written.
    The diff against the previous version goes to `internal_dir/<quarter>/` (the data lead's
    folder, outside what is sent); without `internal_dir` only its counts are kept.
    """
    if internal_dir is not None:
        inside = Path(internal_dir).resolve().is_relative_to(Path(output_dir).resolve())
        if inside:
            raise ValueError(f"internal_dir {internal_dir} is inside output_dir {output_dir}: "
                             "an internal document would be sent")
    q = Quarter.parse(quarter)
    if q.end >= as_of:
        raise ValueError(f"{q.code} is not over on the as-of date {as_of.isoformat()}: "
                         "a quarter is reported once it has ended")
    if quality is not None and quality.blocking(q.code):
        raise QualityGateError(q.code, quality.blocking(q.code))
    mapping = load_mapping(mapping_path)
    inputs = load_inputs(warehouse_target, last_quarters(q, max(trend_quarters, q.number)))
    if not (inputs.indicators["quarter"] == q.code).any():
        raise LookupError(f"marts.indicator_values has no quarter rows for {q.code}")
    validate(mapping, inputs.catalogue)
    pub = build_publication(inputs, q, k, trend_quarters)
    for leak in pub.unresolved:
        log.warning("disclosure: nothing left to withhold around %s", leak)

    quarter_dir = Path(output_dir) / q.code
    every, complete = _versions(quarter_dir)
    latest = complete[-1] if complete else None
    version = (every[-1] if every else 0) + 1
    created_at = datetime.now(UTC).replace(microsecond=0)
    quarter_dir.mkdir(parents=True, exist_ok=True)
    staging = quarter_dir / f".staging-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    try:
        files = _write_all(staging, pub, inputs, mapping, q, as_of=as_of, version=version,
                           created_at=created_at, quality=quality, learning=learning,
                           latest=(quarter_dir / f"v{latest}") if latest else None,
                           latest_version=latest, pdf=pdf)
        if files is None:  # identical to the latest version
            shutil.rmtree(staging)
            folder = quarter_dir / f"v{latest}"
            message = (f"{q.label_fr} : rien n'a changé depuis la version {latest} "
                       f"({folder}) ; aucune nouvelle version écrite.")
            log.info(message)
            return DeliveryResult(q.code, latest, folder, _listing(folder), True, latest, None,
                                  message, list(pub.unresolved))
        final = quarter_dir / f"v{version}"
        os.rename(staging, final)  # atomic; fails rather than replace an existing version
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written, diff_table = files
    files = {name: final / path.name for name, path in written.items()}
    diff = None
    if diff_table is not None:
        table, diff, old_as_of = diff_table
        if internal_dir is not None:
            diff = _write_diff(table, diff, diff_folder(internal_dir, q.code), old_as_of, as_of)
    message = (f"{q.label_fr} : version {version} écrite dans {final}"
               + (f" ({diff.summary_fr})" if diff else "."))
    log.info(message)
    return DeliveryResult(q.code, version, final, files, False, latest, diff, message,
                          list(pub.unresolved))


def _listing(folder: Path) -> dict[str, Path]:
    out = {}
    for path in sorted(folder.iterdir()):
        kind = {".xlsx": "collecteur", ".html": "html", ".pdf": "pdf"}.get(path.suffix)
        if path.name == FIGURES:
            kind = "figures"
        elif path.name == MANIFEST:
            kind = "manifest"
        elif path.name.startswith("diff_"):
            kind = "diff_csv" if path.suffix == ".csv" else "diff_md"
        if kind:
            out[kind] = path
    return out


def _write_all(folder: Path, pub: Publication, inputs, mapping, q: Quarter, *, as_of: date,
               version: int, created_at: datetime, quality: QualitySummary | None,
               learning: LearningInputs | None, latest: Path | None,
               latest_version: int | None, pdf: bool):
    """Render everything into `folder`; None when the content equals the latest version's."""
    stem = f"{q.code}_v{version}"
    files: dict[str, Path] = {}
    files["collecteur"] = write_collecteur(
        pub, mapping, folder / f"collecteur_PIC_IPR_{stem}.xlsx", as_of=as_of, version=version,
        created_at=created_at, notes=pub.notes)
    context = build_context(pub, as_of=as_of, version=version, created_at=created_at,
                            quality=quality, learning=learning, km=inputs.km,
                            mart_as_of=inputs.mart_as_of)
    figures_path = folder / FIGURES
    pub.records().to_csv(figures_path, index=False, lineterminator="\n")
    files["figures"] = figures_path
    content_hash = _content_hash(figures_path.read_bytes(), pub, mapping.sha256, quality,
                                 learning)
    diff_table = None
    if latest is not None:
        previous_manifest = json.loads((latest / MANIFEST).read_text(encoding="utf-8"))
        if previous_manifest.get("content_hash") == content_hash:
            return None
        diff = diff_figures(_read_figures(latest / FIGURES), _read_figures(figures_path),
                            pub.catalogue)
        summary = summarise_diff(diff, latest_version, version)
        diff_table = (diff, summary, previous_manifest.get("as_of_fr", ""))
        # the sent version says how many figures changed and why, never which or by how much
        context["diff"] = {
            "previous_version": latest_version, "summary": summary.summary_fr
            + ("" if len(diff) else " Seuls les éléments non chiffrés du rapport ont changé."),
            "reasons": REASONS_FR if len(diff) else "",
        }
    html = render_html(context)
    files["html"] = folder / f"rapport_redevabilite_{stem}.html"
    files["html"].write_text(html, encoding="utf-8")
    pdf_pages = None
    if pdf:
        files["pdf"] = folder / f"rapport_redevabilite_{stem}.pdf"
        pdf_pages = write_pdf(html, files["pdf"])
    records = pub.records()
    manifest = {
        "quarter": q.code, "quarter_label": q.label_fr, "version": version,
        "as_of": as_of.isoformat(), "as_of_fr": date_fr(as_of),
        "mart_as_of": inputs.mart_as_of.isoformat() if inputs.mart_as_of else None,
        "created_at": created_at.isoformat().replace("+00:00", "Z"), "k": pub.k,
        "pdf_pages": pdf_pages,
        "previous_version": latest_version, "content_hash": content_hash,
        "mapping": {"file": mapping.path.name, "version": mapping.version,
                    "sha256": mapping.sha256},
        "figures": {"total": len(records),
                    **records["status"].value_counts().sort_index().to_dict()},
        "unresolved_disclosure": pub.unresolved,
        "quality": quality.counts(q.code) if quality else None,  # counts only: it is sent
        "files": {path.name: {"sha256": _sha256(path), "bytes": path.stat().st_size}
                  for path in sorted(files.values())},
        "generator": "sea.reports",
    }
    files["manifest"] = folder / MANIFEST
    files["manifest"].write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n",
                                 encoding="utf-8")
    return files, diff_table
