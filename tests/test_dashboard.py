"""The built-in dashboard (reports/dashboard), opened as staff open it: from `file://`, in
headless Chromium (Debian's `chromium`, driven by Playwright — never a downloaded browser).

One browser and one page for the module (the page is built once from the session's published
night). Asserted: no console error and no request leaving the file; the numbers shown for a
programme, an antenna and a quarter are the published `indicator_values` of that scope (every
key indicator, their targets' achievement, and a breakdown); the dates of the data and of the
publication; no pseudonym or record id anywhere in the file. A screenshot of each main view is
saved under `artifacts/dashboard/` (gitignored) for a person to look at.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from common.settings import Settings
from reports import targets

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "dashboard"
VIEWS = ("indicators", "trend", "breakdown", "outcomes", "survival", "quality", "evaluation")
PROGRAMME, ANTENNA, QUARTER_START = "SOCLE", "PARIS", "2026-07-01"
DIMENSION = "sex"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing: the dashboard's browser test cannot run "
                    "(apt-get install chromium chromium-driver)")
    pytest.skip(f"{CHROMIUM} is missing (apt-get install chromium); set CI to make this fail")


@pytest.fixture(scope="module")
def dashboard(published_night: Settings, tmp_path_factory) -> Path:
    from reports.dashboard import build_dashboard

    out = tmp_path_factory.mktemp("dashboard") / "tableau_de_bord.html"
    return build_dashboard(published_night.warehouse, published_night.published, out)


@pytest.fixture(scope="module")
def published(published_night: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(published_night.published, read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="module")
def browser_page(dashboard: Path):
    """The page opened once, with what it logged and every request it made."""
    _require_chromium()
    from playwright.sync_api import sync_playwright

    seen: dict[str, list] = {"console": [], "requests": []}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 950}, locale="fr-FR",
                                    timezone_id="Europe/Paris")
            page.on("console", lambda m: seen["console"].append((m.type, m.text)))
            page.on("pageerror", lambda e: seen["console"].append(("pageerror", str(e))))
            page.on("request", lambda r: seen["requests"].append(r.url))
            page.goto(dashboard.as_uri())
            page.wait_for_selector("body[data-ready='1']", state="attached", timeout=20_000)
            yield page, seen
        finally:
            browser.close()


def _choose(page, programme: str, antenna: str, period: str, dimension: str = "total") -> None:
    page.select_option("#f-programme", programme)
    page.select_option("#f-antenna", antenna)
    page.select_option("#f-period-type", period.split(":")[0])
    page.select_option("#f-period", period)
    page.select_option("#f-dimension", dimension)


def _shown(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


def _same(shown: float | None, expected: float | None) -> bool:
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        return shown is None
    return shown is not None and math.isclose(shown, expected, rel_tol=1e-12, abs_tol=1e-12)


def test_opens_offline_without_errors(browser_page, dashboard: Path) -> None:
    page, seen = browser_page
    assert [m for m in seen["console"] if m[0] in ("error", "pageerror", "warning")] == []
    leaving = [u for u in seen["requests"]
               if u != dashboard.as_uri() and not u.startswith(("data:", "blob:"))]
    assert leaving == []
    assert page.locator("html").get_attribute("lang") == "fr"
    # Chart.js is inlined and drew: every chart has a Chart instance on its canvas
    for canvas in ("trend-chart", "outcomes-chart", "survival-chart", "quality-chart"):
        assert page.evaluate(f"!!Chart.getChart(document.getElementById('{canvas}'))"), canvas


def test_dates_of_the_data_and_the_publication(browser_page, published) -> None:
    page, _ = browser_page
    as_of, published_at = published.execute(
        "select as_of, published_at from publication").fetchone()
    assert page.get_attribute("#as-of", "data-value") == as_of.isoformat()
    assert page.inner_text("#as-of") == "20 novembre 2026"
    assert page.get_attribute("#published-at", "data-value") == \
        published_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert str(published_at.year) in page.inner_text("#published-at")


def test_a_scope_shows_the_published_numbers(browser_page, published) -> None:
    page, _ = browser_page
    _choose(page, PROGRAMME, ANTENNA, f"quarter:{QUARTER_START}")
    expected = {code: (value, achievement) for code, value, achievement in published.execute(
        "select indicator_code, value, achievement from indicator_values where "
        "period_type = 'quarter' and period_start = ? and programme = ? and antenna = ? and "
        "dimension = 'total'", [QUARTER_START, PROGRAMME, ANTENNA]).fetchall()}
    catalogue = [c for (c,) in published.execute(
        "select indicator_code from indicator_catalogue order by display_order").fetchall()]
    rows = page.locator("#key-indicators tbody tr[data-indicator]")
    assert [rows.nth(i).get_attribute("data-indicator") for i in range(rows.count())] == catalogue
    assert sum(v for v, _a in expected.values() if v) > 10  # a scope with data, not zeros
    checked = 0
    for code in catalogue:
        cell = page.locator(f"#key-indicators tr[data-indicator='{code}'] td.value")
        # an indicator without a row for this scope (EMP_ENG: all programmes only) shows a dash
        value, achievement = expected.get(code, (None, None))
        assert _same(_shown(cell.get_attribute("data-value")), value), code
        if code not in expected:
            assert cell.inner_text() == "–", code
        shown_achievement = page.locator(
            f"#key-indicators tr[data-indicator='{code}'] td.achievement")
        if achievement is not None and not math.isnan(achievement):
            assert _same(_shown(shown_achievement.get_attribute("data-value")), achievement)
        checked += 1
    assert checked == len(catalogue) == 28  # the 15 of the CRM and 13 of the spreadsheets
    # French formatting: a rate with a decimal comma and a per cent sign, a count grouped
    rate = page.inner_text("#key-indicators tr[data-indicator='ED_SORTIE'] td.value")
    assert re.fullmatch(r"\d{1,3},\d[\u202f\u00a0]%", rate), rate
    assert "Taux d'emploi durable à la sortie" in page.inner_text("#key-indicators")
    # each quarterly status is the project's rule (reports.targets) on the mart's achievement
    with_target = published.execute(
        "select indicator_code, achievement, target_basis from indicator_values where "
        "period_type = 'quarter' and period_start = ? and programme = ? and antenna = ? and "
        "dimension = 'total' and target is not null", [QUARTER_START, PROGRAMME, ANTENNA]
    ).fetchall()
    assert with_target
    quarter_number = int(QUARTER_START[5:7]) // 3 + 1
    for code, achievement, basis in with_target:
        expected_status = targets.status(achievement, basis, quarter_number).label
        shown = page.inner_text(f"#key-indicators tr[data-indicator='{code}'] .status")
        assert shown == expected_status, code
    # a month: its own numbers; breakdowns are not embedded by month, and the page says so
    month = published.execute(
        "select max(period_start) from indicator_values where period_type = 'month' "
        "and period_end <= as_of").fetchone()[0]
    _choose(page, PROGRAMME, ANTENNA, f"month:{month.isoformat()}", DIMENSION)
    for code, value in published.execute(
            "select indicator_code, value from indicator_values where period_type = 'month' "
            "and period_start = ? and programme = ? and antenna = ? and dimension = 'total'",
            [month, PROGRAMME, ANTENNA]).fetchall():
        cell = page.locator(f"#key-indicators tr[data-indicator='{code}'] td.value")
        assert _same(_shown(cell.get_attribute("data-value")), value), code
    assert "pas au mois" in page.inner_text("#breakdown-empty")


def test_a_breakdown_shows_the_published_numbers(browser_page, published) -> None:
    page, _ = browser_page
    _choose(page, PROGRAMME, ANTENNA, f"quarter:{QUARTER_START}", DIMENSION)
    rows = published.execute(
        "select indicator_code, dimension_value, value from indicator_values where "
        "period_type = 'quarter' and period_start = ? and programme = ? and antenna = ? and "
        "dimension = ?", [QUARTER_START, PROGRAMME, ANTENNA, DIMENSION]).fetchall()
    assert len(rows) >= 5
    for code, category, value in rows:
        cell = page.locator(f"#breakdown-table td[data-indicator='{code}']"
                            f"[data-dimension-value='{category}']")
        assert cell.count() == 1, (code, category)
        assert _same(_shown(cell.get_attribute("data-value")), value), (code, category)
    header = page.inner_text("#breakdown-table thead")
    assert "Femmes" in header and "Hommes" in header  # labels, not codes
    # the cells the mart has no row for are shown as a dash, never as a number
    cells = page.locator("#breakdown-table td[data-indicator]")
    published_cells = {(c, v) for c, v, _x in rows}
    for i in range(cells.count()):
        cell = cells.nth(i)
        key = (cell.get_attribute("data-indicator"), cell.get_attribute("data-dimension-value"))
        if key not in published_cells:
            assert cell.inner_text() == "–", key


def test_programme_hierarchy_in_the_filter(browser_page, published) -> None:
    page, _ = browser_page
    children = published.execute(
        "select programme, parent_programme from programme_reference "
        "where parent_programme is not null").fetchall()
    assert children
    options = page.locator("#f-programme option")
    texts = {options.nth(i).get_attribute("value"): options.nth(i).inner_text()
             for i in range(options.count())}
    for child, parent in children:
        assert texts[parent].lstrip() == texts[parent].lstrip("\u00a0 ")
        assert texts[child].startswith("\u00a0"), texts[child]  # indented under its parent
        values = list(texts)
        assert values.index(child) > values.index(parent)


def test_no_pseudonym_nor_record_id_in_the_file(dashboard: Path, published) -> None:
    page_text = dashboard.read_text(encoding="utf-8")
    identifiers = {x for row in published.execute(
        "select participant_key, enrolment_id from participant_journeys").fetchall()
        for x in row if x}
    identifiers |= {x for row in published.execute(
        "select record_id, related_enrolment_id from dq_issues").fetchall() for x in row if x}
    assert len(identifiers) > 100
    assert [x for x in identifiers if x in page_text] == []
    assert len(page_text.encode()) < 1_000_000  # 160 participants: a light page


def test_screenshots_of_each_view(browser_page) -> None:
    """Saved for a person to look at (artifacts/dashboard/); the views must not be empty."""
    page, _ = browser_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    _choose(page, "ALL", "ALL", f"quarter:{QUARTER_START}", DIMENSION)
    page.screenshot(path=str(ARTIFACTS / "tableau_de_bord.png"), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "premier_ecran.png"))  # what opens first (README)
    page.evaluate("window.scrollTo(0, 0)")
    for view in VIEWS:  # clipped from the whole page: the sticky filter bar stays on top
        section = page.locator(f"section#{view}")
        assert section.inner_text().strip(), view
        page.screenshot(path=str(ARTIFACTS / f"{view}.png"), full_page=True,
                        clip=section.bounding_box())
    for view in VIEWS:
        assert (ARTIFACTS / f"{view}.png").stat().st_size > 5_000, view


def test_free_text_carrying_a_person_is_withheld(published_night: Settings) -> None:
    """Titles, lessons and recommendations are about programmes; one that names a contact or a
    participant's pseudonym or record id is not shown."""
    from reports.dashboard import _identifiers, _Published, _screen_text

    pub = _Published(published_night.warehouse, published_night.published)
    try:
        forbidden = _identifiers(pub)
        key = pub.rows("select participant_key from participant_journeys limit 1")[0][0]
        record = pub.rows("select record_id from dq_issues limit 1")[0][0]
        # the page asks only about the tokens of its texts: those that are identifiers
        asked = _identifiers(pub, {key, record, "Relancer", "atelier"})
    finally:
        pub.close()
    assert key in forbidden
    assert asked == {key, record}
    assert _screen_text("Relancer l'atelier CV", forbidden) == "Relancer l'atelier CV"
    assert _screen_text(f"Voir le parcours de {key}", forbidden) is None
    assert _screen_text("Écrire à prenom.nom@exemple.fr", forbidden) is None
    assert _screen_text("Rappeler au 06 12 34 56 78", forbidden) is None


def test_without_chartjs_one_clear_line(monkeypatch, published_night: Settings,
                                        tmp_path: Path) -> None:
    import reports.dashboard as dashboard_module

    monkeypatch.setattr(dashboard_module, "CHART_JS", tmp_path / "absent.js")
    with pytest.raises(dashboard_module.DashboardError, match="make setup"):
        dashboard_module.build_dashboard(published_night.warehouse, published_night.published,
                                         tmp_path / "out.html")
    assert not (tmp_path / "out.html").exists()
