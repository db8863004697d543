"""The team's guide and training deck (reports/guide, reports/slides) built from the shared
published night: French text with no technical words, the current figure equal to the mart's,
one PDF page per slide."""

from __future__ import annotations

import contextlib
import re
import zlib
from pathlib import Path

import duckdb
import pytest

from common.quarters import last_complete_quarter
from reports.formatting import number
from reports.guide.build import GUIDE_SOURCES, french_spacing
from reports.guide.build import HTML_NAME as HTML_GUIDE
from reports.guide.build import PDF_NAME as PDF_GUIDE
from reports.guide.training import FOLDER
from reports.slides.build import HTML_NAME as HTML_DECK
from reports.slides.build import PDF_NAME as PDF_DECK

# words of the developers' side a staff reader must never meet (checked as whole words)
FORBIDDEN = ("warehouse", "asset", "assets", "dbt", "dagster", "pipeline", "mart", "marts",
             "seed", "seeds", "staging", "schema", "sql", "yaml", "commit", "make", "run",
             "query", "null")


def _pdf_pages(path: Path) -> int:
    """Pages of a PDF read back from the file (no PDF library is installed): the page objects,
    in the file or in its compressed object streams."""
    data = path.read_bytes()
    parts = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        with contextlib.suppress(zlib.error):
            parts.append(zlib.decompress(match.group(1)))
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", b"\n".join(parts)))


def visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def training(published_night, tmp_path_factory):
    """The Dagster asset `deliverables/formation` materialised once on the published night,
    writing into a folder of its own (the night's files stay untouched)."""
    from dataclasses import replace

    from dagster import DagsterInstance, materialize

    from orchestration.assets.reporting import formation
    from orchestration.resources import SeaSettingsResource

    night = published_night
    settings = replace(night, internal_dir=tmp_path_factory.mktemp("interne"))
    with DagsterInstance.ephemeral() as instance:
        result = materialize([formation], instance=instance, resources={
            "sea_settings": SeaSettingsResource.from_settings(settings)})
        assert result.success
        event = result.get_asset_materialization_events()[0]
        metadata = {k: v.value for k, v in event.materialization.metadata.items()}
    return night, settings.internal_dir / FOLDER, metadata


def _published_value(night, code: str) -> float:
    quarter = last_complete_quarter(night.as_of)
    con = duckdb.connect(night.published, read_only=True)
    try:
        return con.execute(
            "select value from indicator_values where period_type = 'quarter' and "
            "period_start = ? and programme = 'ALL' and antenna = 'ALL' and "
            "dimension = 'total' and indicator_code = ?", [quarter.start, code]).fetchone()[0]
    finally:
        con.close()


def test_guide_quotes_the_published_figure_with_its_date(training):
    night, folder, metadata = training
    html = (folder / HTML_GUIDE).read_text(encoding="utf-8")
    value = _published_value(night, "ACT")
    assert value >= night.disclosure_k  # shown as it is, not « < k »
    assert f'data-indicateur="ACT">{number(value, 0)}<' in html
    assert "20 novembre 2026" in html  # the date of the data it quotes
    assert "troisième trimestre 2026" in html
    assert (folder / PDF_GUIDE).stat().st_size > 10_000
    assert metadata["pages du guide"] >= len(list(GUIDE_SOURCES.glob("*.md"))) + 1  # cover


def test_deck_shows_the_reports_figure_and_one_page_per_slide(training):
    night, folder, metadata = training
    html = (folder / HTML_DECK).read_text(encoding="utf-8")
    value = _published_value(night, "ACT")
    assert f'data-indicateur="ACT">{number(value, 0)}<' in html
    assert metadata["trimestre présenté"] == "2026-Q3"
    slides = html.count('<section class="slide')
    assert slides >= 10 and metadata["diapositives"] == slides
    assert _pdf_pages(folder / PDF_DECK) == slides
    for section in ("Le cadre logique", "Le calendrier des évaluations",
                    "Les outils d'apprentissage et leur rythme", "Qui fait quoi",
                    "Exercice pratique", "Fiche de capitalisation", "Direction"):
        assert section in html


@pytest.mark.parametrize("document", ["guide", "deck"])
def test_staff_text_is_french_without_technical_words(training, document):
    _, folder, _ = training
    html = (folder / (HTML_GUIDE if document == "guide" else HTML_DECK)).read_text(
        encoding="utf-8")
    assert '<html lang="fr">' in html
    words = set(re.findall(r"[a-zà-ÿ]+", visible_text(html).lower()))
    assert not words & set(FORBIDDEN)
    assert {"les", "des", "et"} <= words


def test_french_spacing_only_in_text():
    assert french_spacing('<a href="x:y">Note : « oui »</a>') == \
        '<a href="x:y">Note\u202f: «\u00a0oui\u00a0»</a>'


def test_nothing_published_yet_says_so_instead_of_a_number(tmp_path):
    from reports.guide.build import figures_box, read_chapters
    from reports.guide.figures import read_current_figures

    missing = str(tmp_path / "absent.duckdb")
    assert read_current_figures(missing, str(tmp_path / "published.duckdb"), 5) is None
    first = read_chapters(figures=None)[0]
    assert "Aucune publication n'est encore disponible" in first.html
    assert "chiffres-du-moment" not in first.html  # the marker was replaced
    assert "data-indicateur" not in figures_box(None)


def test_slides_split_evenly():
    from reports.slides.build import _chunks

    assert [len(c) for c in _chunks(list(range(28)), 12)] == [10, 9, 9]
    assert [len(c) for c in _chunks(list(range(16)), 4)] == [4, 4, 4, 4]
    assert _chunks([], 4) == [[]]
