"""The evaluation and learning halves: spreadsheets → marts → evidence pack and Plan SEA.

One small world runs through the real nightly refresh (fake CRM, demo objectifs and attendance
sheets, and learning spreadsheets written here so each test knows what to expect), then a second
refresh later, after staff changed a status, to see the recommendation history. Checks what the
issue promises: a lesson tagged to an indicator appears in that indicator's evidence, an overdue
recommendation is flagged, a malformed plan row goes to quarantine with a French reason.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import openpyxl
import pytest

from common.warehouse import connect
from devtools.demo import demo_participants
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from reports.evidence import EvaluationNotFound, build_evidence_pack, collect
from reports.plan_sea import build_plan_sea
from reports.plan_sea.build import shown_baselines
from reports.plan_sea.data import read_inputs
from tests.conftest import make_settings, run_nightly_in_memory

AS_OF = date(2026, 11, 20)
LATER = date(2026, 12, 10)
K = 5

pytestmark = pytest.mark.slow  # runs the whole nightly refresh twice


def _write(path: Path, rows: list[list[object]]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)


def write_learning_sheets(folder: Path, *, rec_status: str = "En cours") -> None:
    """The four learning spreadsheets, with the cases the tests look for."""
    _write(folder / "capitalisation.xlsx", [
        ["ID", "Date", "Type", "Programme", "Antenne", "Titre", "Contexte", "Constats",
         "Enseignements", "Indicateurs"],
        # other scope than the evaluation, but tagged to one of its indicators
        ["CAP-T1", date(2026, 3, 2), "RETEX", "AVEC", "BORDEAUX", "Préparer les candidats au "
         "vocabulaire métier", "Job dating logistique", "Plus de seconds entretiens",
         "Préparer une semaine avant", "SD_SORTIE, EMP_ENG"],
        # same scope, tagged to another indicator; a phone number typed by mistake
        ["CAP-T2", date(2026, 5, 4), "Fiche capitalisation", "SOCLE", "PARIS",
         "Binômes de recherche d'emploi", "Appeler le 06 12 34 56 78 pour s'inscrire",
         "Présence accrue", "Former les binômes à l'entrée", "HRS"],
        # neither scope nor indicators in common: not in the pack
        ["CAP-T3", date(2026, 6, 1), "Atelier réflexion", "AVEC", "BORDEAUX",
         "Mentorat en entreprise", "", "", "", "DELAI_EMPLOI"],
    ])
    _write(folder / "recommandations.xlsx", [
        ["ID", "Source ID", "Recommandation", "Responsable", "Priorité", "Échéance", "Statut",
         "Date statut"],
        ["REC-T1", "CAP-T1", "Généraliser la préparation au vocabulaire métier",
         "Chargé relations entreprises", "Haute", date(2026, 9, 30), rec_status,
         date(2026, 4, 1)],
        ["REC-T2", "CAP-T2", "Constituer les binômes dès l'entrée", "Responsable antenne",
         "Moyenne", date(2026, 6, 30), "Fait", date(2026, 6, 15)],
        ["REC-T3", "EVAL-T", "Mesurer le niveau de français à la sortie", "Direction", "Basse",
         date(2027, 3, 31), "À faire", date(2026, 11, 1)],
    ])
    _write(folder / "plan_evaluation.xlsx", [
        ["ID", "Programme", "Antenne", "Type", "Mode", "Début prévu", "Fin prévue", "Critères",
         "Questions", "Indicateurs", "Statut"],
        ["EVAL-T", "SOCLE", "PARIS", "Finale", "Externe", date(2027, 1, 10), date(2027, 4, 30),
         "Efficacité, Impact", "Les sorties sont-elles dynamiques ?\n\nL'accès à l'emploi "
         "est-il rapide ?", "SD_SORTIE, ENT, HRS", "Prévue"],
        ["EVAL-MALFORMED", "SOCLE", "PARIS", "Mi-parcours", "Interne", date(2026, 1, 1),
         date(2026, 3, 1), "", "", "", ""],
        ["EVAL-BACKWARDS", "AVEC", "TOUTES", "Intermédiaire", "Interne", date(2026, 6, 1),
         date(2026, 2, 1), "", "", "", ""],
    ])
    _write(folder / "plan_action.xlsx", [
        ["ID", "Action", "Axe", "Responsable", "Contributeurs", "Priorité", "Début", "Fin",
         "Statut", "Budget (EUR)", "Jours homme"],
        ["PA-T1", "Recruter l'évaluateur externe", "Évaluation", "Direction",
         "Chargé suivi-évaluation", "Haute", date(2026, 9, 1), date(2026, 12, 15), "En cours",
         "18 000", "3"],
        ["PA-T2", "Former les équipes aux émargements", "Suivi", "Chargé suivi-évaluation", "",
         "Haute", date(2026, 2, 1), date(2026, 3, 31), "", "", "2,5"],
    ])


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    """Two nightly refreshes: at AS_OF, then at LATER after REC-T1 was marked done."""
    tmp = tmp_path_factory.mktemp("learning")
    world = World(seed=11, participants=400, now=datetime(2026, 11, 20, 20, tzinfo=UTC))
    with FakeCRMServer(world, token="test-token") as server:
        settings = make_settings(tmp, crm_url=server.base_url, as_of=AS_OF.isoformat())
        write_demo_spreadsheets(settings.sheets_dir, demo_participants(world), as_of=AS_OF)
        write_learning_sheets(settings.sheets_dir)
        run_nightly_in_memory(settings)
        first = _snapshot(settings.warehouse)
        write_learning_sheets(settings.sheets_dir, rec_status="Fait")
        later = replace(settings, as_of=LATER)
        run_nightly_in_memory(later)
    return settings.warehouse, tmp, first


def _snapshot(target: str) -> dict:
    """What the first refresh left in the marts the tests compare with the second."""
    with connect(target, read_only=True) as wh:
        rec = wh.fetch_df("select * from marts.recommendations order by recommendation_id")
        plan = wh.fetch_df("select * from marts.evaluation_plan")
        quarantine = wh.fetch_df("select * from raw.sheet_quarantine "
                                 "where kind = 'plan_evaluation'")
        issues = wh.fetch_df("select * from marts.learning_sheet_issues")
    return {"recommendations": rec, "plan": plan, "quarantine": quarantine, "issues": issues}


# -- spreadsheets → marts ------------------------------------------------------------------------
def test_malformed_plan_row_goes_to_quarantine_with_a_french_reason(warehouse) -> None:
    _, _, first = warehouse
    quarantine = first["quarantine"]
    row = quarantine[quarantine["value"] == "Mi-parcours"]
    assert len(row) == 1
    assert row.iloc[0]["column_name"] == "type"
    assert "valeur hors liste" in row.iloc[0]["reason"]
    assert "intermediaire" in row.iloc[0]["reason"]
    assert "EVAL-MALFORMED" not in set(first["plan"]["evaluation_id"])
    # a window ending before it starts is left out of the plan and said so, in French
    backwards = first["issues"][first["issues"]["record_id"] == "EVAL-BACKWARDS"]
    assert list(backwards["issue"]) == ["end_before_start"]
    assert "antérieure au début prévu" in backwards.iloc[0]["reason_fr"]
    assert "EVAL-BACKWARDS" not in set(first["plan"]["evaluation_id"])


def test_evaluation_plan_criteria_questions_and_due_flag(warehouse) -> None:
    target, _, first = warehouse
    plan = first["plan"].set_index("evaluation_id")
    assert plan.loc["EVAL-T", "criteria_labels_fr"] == "Efficacité, Impact"
    assert plan.loc["EVAL-T", "question_count"] == 2  # the blank line is not a question
    assert bool(plan.loc["EVAL-T", "is_due_within_90_days"])  # starts 51 days after R
    with connect(target, read_only=True) as wh:
        months = wh.fetchall("select month_label_fr from marts.evaluation_calendar "
                             "where evaluation_id = 'EVAL-T' order by month_start")
    assert [m[0] for m in months] == ["janv. 2027", "févr. 2027", "mars 2027", "avr. 2027"]


def test_overdue_recommendation_is_flagged(warehouse) -> None:
    _, _, first = warehouse
    rec = first["recommendations"].set_index("recommendation_id")
    assert bool(rec.loc["REC-T1", "is_overdue"])  # en cours, due 30/09/2026, R = 20/11/2026
    assert rec.loc["REC-T1", "days_overdue"] == 51
    assert bool(rec.loc["REC-T1", "is_stale"])  # no status change since 01/04/2026
    assert not bool(rec.loc["REC-T2", "is_overdue"])  # done
    assert not bool(rec.loc["REC-T3", "is_overdue"])  # not due yet
    assert rec.loc["REC-T3", "source_kind"] == "evaluation"
    assert (rec.loc["REC-T1", "programme"], rec.loc["REC-T1", "antenna"]) == ("AVEC", "BORDEAUX")


def test_status_history_from_snapshots_and_done_per_quarter(warehouse) -> None:
    target, _, _ = warehouse
    with connect(target, read_only=True) as wh:
        history = wh.fetchall(
            "select status, status_from, status_to from marts.recommendation_status_history "
            "where recommendation_id = 'REC-T1' order by status_number")
        rec = wh.fetch_df("select * from marts.recommendations "
                          "where recommendation_id = 'REC-T1'").iloc[0]
        q4 = wh.fetch_df("select * from marts.recommendations_by_quarter "
                         "where quarter_label_fr = 'T4 2026'").iloc[0]
    # the sheet's date_statut (01/04/2026) was not updated: the change dates from the refresh
    assert [(s, str(f)[:10], str(t)[:10] if t else None) for s, f, t in history] == [
        ("en_cours", "2026-04-01", "2026-12-10"), ("fait", "2026-12-10", None)]
    assert rec["status"] == "fait" and not rec["is_overdue"] and not rec["is_stale"]
    assert rec["done_quarter_label_fr"] == "T4 2026"
    assert q4["done_count"] == 1


def test_lesson_texts_reach_the_marts_without_contact_details(warehouse) -> None:
    target, _, _ = warehouse
    with connect(target, read_only=True) as wh:
        context = wh.scalar("select context from marts.learning_log where lesson_id = 'CAP-T2'")
    assert "06 12 34 56 78" not in context
    assert "[coordonnées masquées]" in context


# -- evidence pack -------------------------------------------------------------------------------
def test_lesson_tagged_to_an_indicator_appears_in_that_indicators_evidence(warehouse) -> None:
    target, tmp, _ = warehouse
    pack = build_evidence_pack(target, "EVAL-T", as_of=LATER, output_dir=tmp / "evidence",
                               k=K, pdf=False)
    content = collect(target, "EVAL-T", k=K)
    assert [lesson["id"] for lesson in content.learning.lessons_for("SD_SORTIE")] == ["CAP-T1"]
    assert [lesson["id"] for lesson in content.learning.lessons_for("HRS")] == ["CAP-T2"]
    assert "CAP-T3" not in {lesson["id"] for lesson in content.learning.lessons}
    html = pack.html.read_text(encoding="utf-8")
    blocks = {re.search(r"<span class=\"muted small\">([A-Z_0-9]+)</span>", b).group(1):
              b.split("</section>")[0] for b in html.split('<div class="indicator">')[1:]}
    assert "Préparer les candidats au vocabulaire métier" in blocks["SD_SORTIE"]
    assert "Préparer les candidats au vocabulaire métier" not in blocks["HRS"]
    assert "Binômes de recherche d&#39;emploi" in blocks["HRS"]
    # the recommendations of those lessons and of the evaluation, overdue one flagged
    recs = {r["id"]: r for r in content.learning.recommendations}
    assert set(recs) == {"REC-T1", "REC-T2", "REC-T3"}
    # the as-of date R of the data is printed
    assert "Données arrêtées au 10/12/2026" in html
    sheet = openpyxl.load_workbook(pack.xlsx)["Enseignements"]
    assert {row[0] for row in sheet.iter_rows(min_row=2, values_only=True)} == {"CAP-T1",
                                                                               "CAP-T2"}


def test_evidence_pack_applies_disclosure_control(warehouse) -> None:
    target, tmp, _ = warehouse
    pack = build_evidence_pack(target, "EVAL-T", as_of=LATER, output_dir=tmp / "evidence",
                               k=K, pdf=True)
    assert pack.pdf is not None and pack.pdf.stat().st_size > 10_000
    book = openpyxl.load_workbook(pack.xlsx)
    kinds = {}
    content = collect(target, "EVAL-T", k=K)
    for s in content.series:
        kinds[s.indicator.code] = s.indicator.type
    shown_counts = [row[4] for row in book["Indicateurs"].iter_rows(min_row=2, values_only=True)
                    if kinds.get(row[0]) == "count" and isinstance(row[4], (int, float))]
    assert shown_counts and all(v == 0 or v >= K for v in shown_counts)
    markers = {row[5] for row in book["Indicateurs"].iter_rows(min_row=2, values_only=True)}
    assert markers & {f"< {K}", "s"}, "a small scope over 400 people should show suppressions"
    legend = [row[0] for row in book["Légende"].iter_rows(min_row=2, values_only=True)]
    assert f"< {K}" in legend


def test_unknown_evaluation_is_a_clear_french_error(warehouse) -> None:
    target, tmp, _ = warehouse
    with pytest.raises(EvaluationNotFound, match="évaluations connues : .*EVAL-T"):
        build_evidence_pack(target, "EVAL-NOPE", as_of=LATER, output_dir=tmp, k=K, pdf=False)


# -- Plan SEA ------------------------------------------------------------------------------------
def test_plan_sea_is_generated_and_regenerated_only_when_the_plan_changes(warehouse) -> None:
    target, tmp, _ = warehouse
    out = tmp / "plan"
    first = build_plan_sea(target, output_dir=out, k=K, pdf=False)
    assert first.changed
    html = first.html.read_text(encoding="utf-8")
    for expected in ("Cadre logique", "Tableau de référence des indicateurs", "EVAL-T",
                     "Efficacité", "Les sorties sont-elles dynamiques ?", "PA-T1",
                     "Chargé·e de suivi-évaluation", "18\u202f000 €", "À jour au 10/12/2026"):
        assert expected in html, expected
    assert "<svg" in html  # the chronogramme
    assert not build_plan_sea(target, output_dir=out, k=K, pdf=False).changed
    assert build_plan_sea(target, output_dir=out, k=K + 1, pdf=False).changed


def test_plan_sea_is_rewritten_when_a_printed_baseline_changes_not_its_decimals(
        warehouse) -> None:
    """The fingerprint hashes the baselines as printed: a night that corrects a few 2020
    records moves a 2020 figure far below what the plan prints (not rewritten); a change a
    reader would see rewrites it."""
    target, tmp, _ = warehouse
    out = tmp / "plan_baselines"
    assert build_plan_sea(target, output_dir=out, k=K, pdf=False).changed
    with connect(target, read_only=True) as wh:
        shown = shown_baselines(read_inputs(wh), K)
    code = next(c for c, text in sorted(shown.items()) if text.endswith("(2020)"))
    where = ("indicator_code = ? and period_type = 'year' and period_start = date '2020-01-01' "
             "and programme = 'ALL' and antenna = 'ALL' and dimension = 'total'")
    with connect(target) as wh:
        (original,) = wh.fetchall(f"select value from marts.indicator_values where {where}",
                                  [code])[0]
    try:
        for value, rewritten in ((original + 1e-9, False), (original * 2 + 10, True)):
            with connect(target) as wh:
                # the mart is a view: its total rows are stored in int_indicator_totals
                wh.execute(f"update intermediate.int_indicator_totals set value = ? "
                           f"where {where}", [value, code])
            plan = build_plan_sea(target, output_dir=out, k=K, pdf=False)
            assert plan.changed is rewritten, (code, value)
    finally:
        with connect(target) as wh:
            wh.execute(f"update intermediate.int_indicator_totals set value = ? where {where}",
                       [original, code])


def test_plan_sea_pdf_is_written_with_its_charts_and_archived(warehouse) -> None:
    target, tmp, _ = warehouse
    out = tmp / "plan_pdf"
    plan = build_plan_sea(target, output_dir=out, k=K)
    assert plan.pdf is not None and plan.pdf.read_bytes().startswith(b"%PDF-")
    assert plan.pdf.stat().st_size > 20_000
    assert "<svg" in plan.html.read_text(encoding="utf-8")  # the HTML keeps inline charts
    assert [p.name for p in (out / "versions").iterdir()] == [
        f"plan_sea_{plan.as_of.isoformat()}_{plan.fingerprint[:10]}.pdf"]
    if shutil.which("pdftotext"):  # poppler, where installed: the charts are drawn, as text
        text = subprocess.run(["pdftotext", str(plan.pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        assert "Plan d'action (chronogramme)" in text
        assert text.count(f"Date d'arrêté ({plan.as_of:%d/%m/%Y})") == 2  # both Gantt charts
