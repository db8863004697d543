"""The team's guide and training deck (reports/guide, reports/slides) built from the shared
published night: French text with no technical words, the current figure equal to the mart's,
one PDF page per slide."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from common.quarters import last_complete_quarter
from reports.formatting import number
from reports.guide.build import GUIDE_SOURCES, french_spacing
from reports.guide.training import build_training

# words of the developers' side a staff reader must never meet (checked as whole words)
FORBIDDEN = ("warehouse", "asset", "assets", "dbt", "dagster", "pipeline", "mart", "marts",
             "seed", "seeds", "staging", "schema", "sql", "yaml", "commit", "make", "run",
             "query", "null")


def visible_text(html: str) -> str:
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


@pytest.fixture(scope="module")
def training(published_night, tmp_path_factory):
    folder = tmp_path_factory.mktemp("formation")
    night = published_night
    return night, build_training(night.warehouse, night.published, folder,
                                 k=night.disclosure_k)


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
    night, built = training
    html = built.guide.html.read_text(encoding="utf-8")
    value = _published_value(night, "ACT")
    assert value >= night.disclosure_k
    assert built.figures.values["ACT"] == value
    assert f'data-indicateur="ACT">{number(value, 0)}<' in html
    assert "20 novembre 2026" in html  # the date of the data it quotes
    assert "troisième trimestre 2026" in html
    assert built.guide.pages >= len(list(GUIDE_SOURCES.glob("*.md"))) + 1  # cover + chapters


def test_deck_shows_the_reports_figure_and_one_page_per_slide(training):
    night, built = training
    html = built.deck.html.read_text(encoding="utf-8")
    value = _published_value(night, "ACT")
    assert f'data-indicateur="ACT">{number(value, 0)}<' in html
    assert built.deck.quarter.code == "2026-Q3"
    assert built.deck.slides >= 10
    assert built.deck.pages == built.deck.slides
    assert Path(built.deck.pdf).stat().st_size > 10_000
    for section in ("Le cadre logique", "Le calendrier des évaluations",
                    "Les outils d'apprentissage et leur rythme", "Qui fait quoi",
                    "Exercice pratique", "Fiche de capitalisation", "Direction"):
        assert section in html


@pytest.mark.parametrize("document", ["guide", "deck"])
def test_staff_text_is_french_without_technical_words(training, document):
    _, built = training
    html = getattr(built, document).html.read_text(encoding="utf-8")
    assert '<html lang="fr">' in html
    words = set(re.findall(r"[a-zà-ÿ]+", visible_text(html).lower()))
    assert not words & set(FORBIDDEN)
    assert {"les", "des", "et"} <= words


def test_french_spacing_only_in_text():
    assert french_spacing('<a href="x:y">Note : « oui »</a>') == \
        '<a href="x:y">Note\u202f: «\u00a0oui\u00a0»</a>'
