"""The user guide for AERé's team: the Markdown chapters of `docs/guide/` (one file per topic,
in file-name order, each opening with a `# ` title) rendered to one French HTML page and a PDF.

The chapters are written for readers; the renderer adds what only the data can say — a dated
box of current figures where a chapter holds the comment `<!-- chiffres-du-moment -->` — and
French typography (narrow no-break space before « : ; ? ! », no-break space inside « »), so
the sources stay plain Markdown anyone can edit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markdown_it import MarkdownIt

from common.quarters import date_fr
from reports.guide.figures import QUOTED, CurrentFigures

GUIDE_SOURCES = Path(__file__).resolve().parents[2] / "docs" / "guide"
TEMPLATES = Path(__file__).resolve().parent / "templates"
FIGURES_MARKER = "<!-- chiffres-du-moment -->"
HTML_NAME, PDF_NAME = "guide_utilisateur.html", "guide_utilisateur.pdf"


class GuideError(ValueError):
    """A chapter the renderer cannot use (said in French, naming the file)."""


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str
    anchor: str
    html: str


@dataclass(frozen=True)
class Rendered:
    """Files written (the PDF only when asked) and its number of pages."""

    html: Path
    pdf: Path | None
    pages: int


_TAG = re.compile(r"(<[^>]+>)")
_BEFORE = re.compile(r"(?<=\S) ([:;?!»])")
_AFTER = re.compile(r"« ")


def french_spacing(html: str) -> str:
    """No-break spaces of French typography in the text of `html` (never inside tags)."""
    parts = _TAG.split(html)
    for i in range(0, len(parts), 2):  # even parts are text, odd parts tags
        text = _BEFORE.sub(lambda m: ("\u00a0" if m.group(1) == "»" else "\u202f")
                           + m.group(1), parts[i])
        parts[i] = _AFTER.sub("«\u00a0", text)
    return "".join(parts)


def _markdown() -> MarkdownIt:
    # CommonMark with tables; raw HTML kept for the figures' marker comment only
    return MarkdownIt("commonmark", {"html": True}).enable("table")


def figures_box(figures: CurrentFigures | None) -> str:
    """The dated box of current figures (HTML), or a sentence saying none is published yet."""
    if figures is None:
        return ('<aside class="chiffres"><p>Aucune publication n\'est encore disponible : les '
                'chiffres du moment apparaîtront après la première actualisation réussie.'
                '</p></aside>')
    items = "".join(
        f'<li><strong data-indicateur="{code}">{figures.shown[code]}</strong> {phrase}</li>'
        for code, phrase in QUOTED)
    return (f'<aside class="chiffres"><p class="titre">Les chiffres du moment — '
            f'{figures.quarter.long_label_fr}, toute l\'association</p><ul>{items}</ul>'
            f'<p class="date">Source : tableau de bord, {figures.date_line}.</p></aside>')


def read_chapters(folder: Path = GUIDE_SOURCES,
                  figures: CurrentFigures | None = None) -> list[Chapter]:
    files = sorted(folder.glob("*.md"))
    if not files:
        raise GuideError(f"guide : aucun chapitre (.md) dans {folder}")
    md = _markdown()
    chapters = []
    for number, path in enumerate(files, start=1):
        text = path.read_text(encoding="utf-8")
        first = text.lstrip().splitlines()[0] if text.strip() else ""
        if not first.startswith("# "):
            raise GuideError(f"guide : {path.name} doit commencer par un titre « # … »")
        body = text.lstrip()[len(first):]
        html = md.render(body).replace(FIGURES_MARKER, figures_box(figures))
        chapters.append(Chapter(number, first[2:].strip(), f"chapitre-{number}",
                                french_spacing(html)))
    return chapters


def _environment() -> Environment:
    return Environment(loader=FileSystemLoader(TEMPLATES),
                       autoescape=select_autoescape(["html", "j2"]))


def render_guide(chapters: list[Chapter], figures: CurrentFigures | None) -> str:
    css = (TEMPLATES / "guide.css").read_text(encoding="utf-8")
    return _environment().get_template("guide.html.j2").render(
        chapters=chapters, css=css,
        date=date_fr(figures.as_of) if figures else None)


def build_guide(output_dir: Path, figures: CurrentFigures | None, *,
                pdf: bool = True) -> Rendered:
    """Write the guide's HTML page and PDF into `output_dir` (rewritten at every call: a few
    seconds, and the figures it quotes move with each publication)."""
    folder = Path(output_dir)
    folder.mkdir(parents=True, exist_ok=True)
    html = render_guide(read_chapters(figures=figures), figures)
    html_path = folder / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    if not pdf:
        return Rendered(html_path, None, 0)
    from reports.pdf import write_pdf

    pages = write_pdf(folder / PDF_NAME, string=html, base_url=folder)
    return Rendered(html_path, folder / PDF_NAME, pages)
