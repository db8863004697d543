"""The spreadsheets of the whole association (issue 27; `docs/spreadsheets.md`): `communication`,
`jalons`, `financements`, `budget`, `satisfaction`, `retours`, `temoignages`, and the optional
`financeur` of `objectifs`.

Per kind, one file mixes good rows and every kind of bad row: each bad row is quarantined with
its French reason(s), alone, and the good rows load typed (connector level, DuckDB). Then one
`dbt build` of the sheet stagings (a module fixture) checks what staging keeps: the latest row
per key, no free text about persons, no survey id, only consented testimonies, the warnings the
gate raises. The demo writer is checked to load every new kind without quarantine.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from common.warehouse import Warehouse, connect
from connectors.sheets.kinds import KINDS_BY_NAME, axes
from connectors.sheets.loader import SheetsLoadReport, load_spreadsheets
from devtools.demo_sheets import write_demo_spreadsheets
from expectations.runner import SuiteRunner
from expectations.suites import default_suites
from orchestration.catalogue import indicator_codes
from orchestration.dbt_in_process import in_process_dbt
from orchestration.dbt_project import sea_dbt_project
from tests.conftest import TEST_KEY

T0 = datetime(2026, 6, 30, 6, 0)
AS_OF = date(2026, 6, 30)
NEW_KINDS = ("communication", "jalons", "financements", "budget", "satisfaction", "retours",
             "temoignages")


def write_xlsx(path: Path, rows: list[list[object]], *, modified: datetime | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Feuille1"
    for row in rows:
        sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    book.save(path)
    if modified is not None:
        stamp = modified.timestamp()
        os.utime(path, (stamp, stamp))
    return path


def load(warehouse: Warehouse, folder: Path) -> SheetsLoadReport:
    return load_spreadsheets(warehouse, folder, known_participant_ids=set(),
                             erased_participant_ids=set(),
                             known_indicator_codes=set(indicator_codes()), loaded_at=T0)


@pytest.fixture
def duck(tmp_path: Path) -> Iterator[Warehouse]:
    warehouse = connect(tmp_path / "warehouse.duckdb")
    yield warehouse
    warehouse.close()


def _quarantine(wh: Warehouse, kind: str) -> dict[int, list[tuple[str, str]]]:
    """{row number: [(column, reason), …]} of one kind's quarantine."""
    out: dict[int, list[tuple[str, str]]] = {}
    for row, column, reason in wh.fetchall(
            "select source_row, column_name, reason from raw.sheet_quarantine where kind = ? "
            "order by source_row, column_name", [kind]):
        out.setdefault(row, []).append((column, reason))
    return out


# -- one file per kind: good rows, then every kind of bad row -------------------------------------
D1, D2 = date(2026, 2, 3), date(2026, 3, 31)
# kind → (headers, good rows, bad rows as (row, [(column, reason fragment), …]))
CASES: dict[str, tuple[list[str], list[list[object]], list[tuple[list[object], list]]]] = {
    "communication": (
        ["ID", "Date", "Date fin", "Type", "Antenne", "Public", "Titre", "Personnes touchées",
         "Entreprises touchées", "Lien"],
        [["C1", "03/02/2026", None, "Événement", "Paris", "Entreprises", "Petit-déjeuner", "45",
          12, None],
         ["C2", D1, D2, "campagne", "TOUTES", "grand public", "Campagne", None, 0, "https://x"]],
        [(["C3", "31/02/2026", None, "Média", "PARIS", "Grand public", "Radio", 10, None, None],
          [("date", "date impossible : 31/02/2026")]),
         (["C4", "2026-02-01", "2026-01-15", "Campagne", "PARIS", "Grand public", "X", 1, None,
           None], [("date_fin", "date de fin (15/01/2026) antérieure à la date de l'action")]),
         (["C5", D1, None, "Flyer", "PARIS", "Grand public", "X", 1, None, None],
          [("type", "valeur hors liste : 'Flyer'")]),
         (["C6", D1, None, "Média", "PARIS", "Grand public", "X", "-5", None, None],
          [("personnes_touchees", "valeur hors plage : '-5' (attendu un nombre entier "
                                  "supérieur ou égal à 0)")]),
         (["C7", D1, None, "Média", "PARIS", "Élus", "X", "beaucoup", None, None],
          [("personnes_touchees", "nombre illisible : 'beaucoup'"),
           ("public", "valeur hors liste : 'Élus'")]),
         ([None, D1, None, "Média", "pa ris", "Grand public", "X", None, None, None],
          [("antenne", "code mal formé : 'pa ris'"),
           ("id", "valeur obligatoire manquante (colonne id)")])],
    ),
    "jalons": (
        ["ID", "Axe", "Jalon", "Territoire", "Étape", "Date prévue", "Date réelle", "Statut",
         "Responsable"],
        [["J1", 7, "Ouverture de Nantes", "Nantes", "Ouverture", D1, D1, "Atteint", "Direction"],
         ["J2", "innovation", "Application", None, None, D2, None, "En cours", None],
         ["J3", "3", "Tablettes", None, None, D2, D1, "Prévu", None]],  # loads; warned later
        [(["J4", "SEA", "Plan validé", None, None, D1, None, "Atteint", None],
          [("date_reelle", "jalon « atteint » sans date réelle")]),
         (["J5", "Essaimage", "Étude", None, "Étude", D1, None, "Prévu", None],
          [("territoire", "jalon d'essaimage sans territoire")]),
         (["J6", "AVEC", "X", None, None, D1, None, "Prévu", None],
          [("axe", "axe non accepté ici : 'AVEC' (attendu : INNOVATION, SEA, COORDINATION, "
                   "ESSAIMAGE, ou leur numéro 3, 5, 6, 7)")]),
         (["J7", 9, "X", None, None, D1, None, "Prévu", None], [("axe", "axe inconnu : '9'")]),
         (["J8", "SEA", "X", None, None, D1, None, "Fini", None],
          [("statut", "valeur hors liste : 'Fini'")]),
         (["J9", "ESSAIMAGE", "X", "LILLE", "Inauguration", D1, None, "Prévu", None],
          [("etape", "valeur hors liste : 'Inauguration'")]),
         # an unreadable date is the one reason: the « atteint » rule does not add a second
         (["J10", 6, "X", None, None, D1, "hier", "Atteint", None],
          [("date_reelle", "date illisible : 'hier'")])],
    ),
    "financements": (
        ["Financeur", "Nom", "Type", "Convention", "Début", "Fin", "Programmes", "Antennes",
         "Axes", "Montant (EUR)", "Indicateurs", "Fréquence"],
        [["PIC_IPR", "PIC IPR", "Public", "C-1", date(2024, 1, 1), date(2026, 12, 31), "TOUS",
          "toutes", None, "1 850 000", "ENT, SOR", None],
         ["FONDATION_X", "Fondation X", "Privé", "FX-1", D1, D2, "AVEC, socle", "PARIS",
          "1, socle", 120000, "ENT", "Semestrielle"]],
        [(["FONDATION_Y", "Y", "Privé", "FY-1", D2, D1, "AVEC", "PARIS", None, 1, "ENT", None],
          [("fin", "date de fin (03/02/2026) antérieure à la date de début de la convention")]),
         (["FONDATION_Y", "Y", "Privé", "FY-2", D1, D2, "TOUS, AVEC", "PARIS", None, 1, "ENT",
           None], [("programmes", "liste incohérente : 'TOUS, AVEC'")]),
         (["FONDATION_Y", "Y", "Privé", "FY-3", D1, D2, "AVEC", "PARIS", "8", 1, "ENT, XYZ",
           None], [("axes", "axe inconnu : '8'"),
                   ("indicateurs", "indicateur inconnu du catalogue : XYZ")]),
         (["FONDATION_Y", "Y", "Associatif", "FY-4", D1, D2, "AVEC", "PARIS", None, 1, "ENT",
           "Mensuelle"], [("frequence", "valeur hors liste : 'Mensuelle'"),
                          ("type", "valeur hors liste : 'Associatif'")]),
         ([None, "Y", "Privé", "FY-5", D1, D2, "AVEC", "PARIS", None, 1, "ENT", None],
          [("financeur", "valeur obligatoire manquante (colonne financeur)")])],
    ),
    "budget": (
        ["Année", "Trimestre", "Axe", "Programme", "Antenne", "Financeur", "Budget (EUR)",
         "Dépense (EUR)"],
        [[2026, None, "Coordination", None, None, None, "85 000", None],
         [2026, "T2", 2, "SOCLE", "PARIS", "PIC_IPR", 60000, "58 432,50"],
         [2026, 3, 1, "AVEC", "TOUTES", None, None, "-1250"]],  # a correction: loads, warned
        [([2026, 2, "SOCLE", "SOCLE", "PARIS", None, None, None],
          [("budget_eur", "ligne sans montant : renseigner budget_eur, depense_eur ou les deux")]),
         ([2026, 5, "SOCLE", "SOCLE", "PARIS", None, 10, None],
          [("trimestre", "trimestre invalide : '5'")]),
         ([2026, 1, "Formation", "SOCLE", "PARIS", None, 10, None],
          [("axe", "axe inconnu : 'Formation' (attendu : AVEC, SOCLE, INNOVATION, "
                   "COMMUNICATION, SEA, COORDINATION, ESSAIMAGE, ou leur numéro 1, 2, 3, 4, 5, "
                   "6, 7)")]),
         # an unreadable amount is the one reason: « sans montant » does not add a second
         ([2026, 1, 2, "SOCLE", "PARIS", None, "12k", None],
          [("budget_eur", "nombre illisible : '12k'")]),
         ([None, 1, 2, "SOCLE", "PARIS", None, 10, None],
          [("annee", "valeur obligatoire manquante (colonne annee)")])],
    ),
    "satisfaction": (
        ["Date", "Programme", "Antenne", "Moment", "Note globale", "Accueil", "Ateliers",
         "Accompagnement individuel", "Recommande", "Commentaire", "ID CRM"],
        [[D1, "SOCLE", "PARIS", "Sortie", 4, 5, None, 4, "oui", "Merci à Fatima B.", None],
         [D1, "AVEC", "toutes", "en cours", 3, None, None, None, None, None, None],
         [D2, "AVEC", "PARIS", "six mois", 5, 5, 5, 5, "non", None, "P00042"]],
        [([D1, "SOCLE", "PARIS", "Sortie", 6, None, None, None, None, None, None],
          [("note_globale", "valeur hors plage : '6' (attendu 1 à 5)")]),
         ([D1, "SOCLE", "PARIS", "Sortie", None, None, None, None, None, None, None],
          [("note_globale", "valeur obligatoire manquante (colonne note_globale)")]),
         ([D1, "SOCLE", "PARIS", "Fin", 3, "bien", None, None, "peut-être", None, None],
          [("accueil", "nombre illisible : 'bien'"), ("moment", "valeur hors liste : 'Fin'"),
           ("recommande", "valeur non booléenne : 'peut-être'")])],
    ),
    "retours": (
        ["ID", "Date réception", "Canal", "Type", "Catégorie", "Programme", "Antenne",
         "Émetteur", "Date réponse", "Statut", "Description", "Suite donnée"],
        [["R1", D1, "Email", "Plainte", "Accueil", "SOCLE", "PARIS", "Participant",
          D1 + timedelta(days=5), "Clos", "Attente trop longue pour Omar K.", "Réponse écrite"],
         ["R2", D1, "Oral", "Signalement", "Discrimination", "SOCLE", "PARIS", "participant",
          None, "Ouvert", "Propos rapportés par Leila", None]],
        [(["R3", D2, "Email", "Plainte", "Accueil", None, None, None, D1, "Clos", None, None],
          [("date_reponse", "date de réponse (03/02/2026) antérieure à la date de réception")]),
         (["R4", D1, "Fax", "Question", "Logement", None, None, "Voisin", None, "Fermé", None,
           None], [("canal", "valeur hors liste : 'Fax'"),
                   ("categorie", "valeur hors liste : 'Logement'"),
                   ("emetteur", "valeur hors liste : 'Voisin'"),
                   ("statut", "valeur hors liste : 'Fermé'"),
                   ("type", "valeur hors liste : 'Question'")]),
         (["R5", None, "Oral", "Suggestion", "Autre", None, None, None, None, "Ouvert", None,
           None], [("date_reception", "valeur obligatoire manquante (colonne date_reception)")])],
    ),
    "temoignages": (
        ["ID", "Date", "Programme", "Antenne", "Texte", "Consentement", "Date consentement",
         "Thème"],
        [["T1", D1, "SOCLE", "PARIS", "J'ai trouvé un emploi.", "oui", D1, "Premier emploi"],
         ["T2", D1, "AVEC", "PARIS", "Les ateliers m'ont aidé.", "non", None, None],
         ["T3", D1, "TOUS", "TOUTES", "Merci.", "oui", None, "confiance"]],
        [(["T4", D1, "SOCLE", "PARIS", "Texte", "peut-être", None, None],
          [("consentement", "valeur non booléenne : 'peut-être'")]),
         (["T5", D1, "SOCLE", "PARIS", None, "oui", "demain", None],
          [("date_consentement", "date illisible : 'demain'"),
           ("texte", "valeur obligatoire manquante (colonne texte)")]),
         (["T6", D1, "so cle", "PARIS", "Texte", "oui", D1, None],
          [("programme", "code mal formé : 'so cle'")])],
    ),
}


@pytest.mark.parametrize("kind", NEW_KINDS)
def test_every_bad_row_is_quarantined_with_its_reasons_and_good_rows_load(
        duck: Warehouse, tmp_path: Path, kind: str) -> None:
    headers, good, bad = CASES[kind]
    rows = [headers, *good, *(row for row, _ in bad)]
    write_xlsx(tmp_path / "sheets" / f"{kind}.xlsx", rows)
    report = load(duck, tmp_path / "sheets")
    assert report.files_loaded == [f"{kind}.xlsx"]
    assert report.rows_loaded[kind] == len(good)
    assert report.rows_quarantined[kind] == len(bad)
    found = _quarantine(duck, kind)
    first_bad = 2 + len(good)  # the header is row 1
    assert sorted(found) == list(range(first_bad, first_bad + len(bad)))
    for number, (_, expected) in enumerate(bad, start=first_bad):
        got = found[number]
        assert [c for c, _ in got] == [c for c, _ in expected], (number, got)
        for (_, reason), (_, fragment) in zip(got, expected, strict=True):
            assert fragment in reason, (number, reason)
    loaded = duck.fetchall(f"select source_row from raw.sheet_{kind} order by source_row")
    assert [r[0] for r in loaded] == list(range(2, 2 + len(good)))


def test_typed_values_of_the_good_rows(duck: Warehouse, tmp_path: Path) -> None:
    """Axis numbers become codes, TOUS/TOUTES become ALL, lists are joined, defaults applied,
    a blank `recommande` is null (not false), people reached stay null when blank."""
    for kind in NEW_KINDS:
        headers, good, _ = CASES[kind]
        write_xlsx(tmp_path / "sheets" / f"{kind}.xlsx", [headers, *good])
    report = load(duck, tmp_path / "sheets")
    assert sum(report.rows_quarantined.values()) == 0
    q = duck.fetchall
    assert q("select antenne, personnes_touchees, entreprises_touchees from "
             "raw.sheet_communication order by id") == [("PARIS", 45, 12), ("ALL", None, 0)]
    assert q("select id, axe, territoire, etape, statut, responsable from raw.sheet_jalons "
             "order by id") == [("J1", "ESSAIMAGE", "NANTES", "ouverture", "atteint", "direction"),
                                ("J2", "INNOVATION", None, None, "en_cours", None),
                                ("J3", "INNOVATION", None, None, "prevu", None)]
    assert q("select financeur, type, programmes, antennes, axes, montant_eur, indicateurs, "
             "frequence from raw.sheet_financements order by financeur") == [
        ("FONDATION_X", "prive", "AVEC,SOCLE", "PARIS", "AVEC,SOCLE", 120000.0, "ENT",
         "semestrielle"),
        ("PIC_IPR", "public", "ALL", "ALL", None, 1850000.0, "ENT,SOR", "annuelle")]
    assert q("select trimestre, axe, programme, antenne, budget_eur, depense_eur from "
             "raw.sheet_budget order by source_row") == [
        (None, "COORDINATION", "ALL", "ALL", 85000.0, None),
        (2, "SOCLE", "SOCLE", "PARIS", 60000.0, 58432.5),
        (3, "AVEC", "AVEC", "ALL", None, -1250.0)]
    assert q("select antenne, moment, recommande, accueil, id_crm_filled from "
             "raw.sheet_satisfaction order by source_row") == [
        ("PARIS", "sortie", True, 5, False), ("ALL", "en_cours", None, None, False),
        ("PARIS", "six_mois", False, 5, True)]
    assert q("select consentement, date_consentement is not null, theme, programme from "
             "raw.sheet_temoignages order by id") == [(True, True, "premier_emploi", "SOCLE"),
                                                      (False, False, None, "AVEC"),
                                                      (True, False, "confiance", "ALL")]
    assert axes() == ("AVEC", "SOCLE", "INNOVATION", "COMMUNICATION", "SEA", "COORDINATION",
                      "ESSAIMAGE")


def test_the_survey_id_is_never_read_nor_stored(duck: Warehouse, tmp_path: Path) -> None:
    headers, good, _ = CASES["satisfaction"]
    write_xlsx(tmp_path / "sheets" / "satisfaction.xlsx", [headers, *good])
    load(duck, tmp_path / "sheets")
    assert "id_crm" not in duck.columns("raw.sheet_satisfaction")
    assert KINDS_BY_NAME["satisfaction"].column("id_crm").stored is False
    for table in ("sheet_satisfaction", "sheet_quarantine", "sheet_load_log", "sheet_files"):
        frame = duck.fetch_df(f"select * from raw.{table}")
        assert not frame.astype(str).apply(lambda c: c.str.contains("P00042")).any().any(), table


def test_a_funder_target_is_its_own_key_beside_the_organisations(duck: Warehouse,
                                                                  tmp_path: Path) -> None:
    headers = ["Indicateur", "Programme", "Antenne", "Année", "Trimestre", "Cible", "Financeur"]
    write_xlsx(tmp_path / "sheets" / "objectifs.xlsx", [
        headers,
        ["ENT", "AVEC", "PARIS", 2026, None, 40, None],
        ["ENT", "AVEC", "PARIS", 2026, None, 60, "fondation_x"],  # no conflict: another target
        ["SOR", "AVEC", "PARIS", 2026, None, 10, "FONDATION_X"],
        ["SOR", "AVEC", "PARIS", 2026, None, 12, "FONDATION_X"],  # a real conflict
    ])
    report = load(duck, tmp_path / "sheets")
    assert (report.rows_loaded["objectifs"], report.rows_quarantined["objectifs"]) == (2, 2)
    assert duck.fetchall("select financeur, cible from raw.sheet_objectifs order by source_row"
                         ) == [(None, 40.0), ("FONDATION_X", 60.0)]
    reasons = [r[0] for r in duck.fetchall("select reason from raw.sheet_quarantine")]
    assert all("trimestre et financeur" in r for r in reasons)


def test_demo_files_of_the_new_kinds_load_without_quarantine(duck: Warehouse,
                                                             tmp_path: Path) -> None:
    rng = random.Random(5)
    people = []
    for n in range(150):
        start = date(2024, 1, 1) + timedelta(days=rng.randint(0, 800))
        people.append({"participant_id": f"P{n:05d}", "antenna": rng.choice(["PARIS", "BORDEAUX"]),
                       "programme": rng.choice(["SOCLE", "SOCLE_FEMMES", "AVEC"]),
                       "start_date": start, "end_date": None})
    write_demo_spreadsheets(tmp_path / "demo", people, as_of=AS_OF)
    report = load_spreadsheets(duck, tmp_path / "demo",
                               known_participant_ids={p["participant_id"] for p in people},
                               erased_participant_ids=set(),
                               known_indicator_codes=set(indicator_codes()), loaded_at=T0)
    assert all(report.rows_loaded[kind] > 0 for kind in NEW_KINDS)
    assert not any(report.rows_quarantined[kind] for kind in NEW_KINDS)
    q = duck.fetchall
    assert q("select count(distinct financeur), count(*) filter (where type = 'prive') "
             "from raw.sheet_financements") == [(3, 2)]
    assert {r[0] for r in q("select distinct territoire from raw.sheet_jalons "
                            "where axe = 'ESSAIMAGE'")} == {"NANTES", "LILLE"}
    assert q("select count(*) filter (where trimestre is null), count(*) filter "
             "(where trimestre is not null) from raw.sheet_budget")[0] > (0, 0)
    assert q("select count(*) from raw.sheet_satisfaction")[0][0] >= 200
    assert {r[0] for r in q("select distinct type from raw.sheet_retours")} == {
        "plainte", "suggestion", "felicitation", "signalement"}
    assert q("select count(*) from raw.sheet_retours where type = 'signalement' "
             "and categorie in ('discrimination', 'securite')") == [(1,)]
    assert {r[0] for r in q("select distinct consentement from raw.sheet_temoignages")} == {
        True, False}
    assert q("select count(*) from raw.sheet_objectifs where financeur is not null")[0][0] > 0


# -- staging (one dbt build for the module) -----------------------------------------------------
SELECTION = [f"+stg_sheets__{kind}" for kind in NEW_KINDS] + [
    "stg_sheets__objectifs", "axes", "programme_reference"]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Warehouse]:
    """The good rows of every kind, plus an older copy of some rows in another file (the newer
    file wins), a withdrawn consent, and the targets of a funder; staged by dbt on DuckDB."""
    work = tmp_path_factory.mktemp("association")
    folder = work / "sheets"
    new, old = datetime(2026, 6, 20, 12), datetime(2026, 5, 1, 12)
    for kind in NEW_KINDS:
        headers, good, _ = CASES[kind]
        write_xlsx(folder / f"{kind}.xlsx", [headers, *good], modified=new)
    # Older copies: C1 with another title, T2 when it still had consent, the same budget line.
    write_xlsx(folder / "communication_ancien.xlsx", [
        CASES["communication"][0],
        ["C1", "03/02/2026", None, "Événement", "Paris", "Entreprises", "Ancien titre", 5, 1,
         None]], modified=old)
    write_xlsx(folder / "temoignages_2025.xlsx", [
        CASES["temoignages"][0],
        ["T2", D1, "AVEC", "PARIS", "Les ateliers m'ont aidé.", "oui", D1, None]], modified=old)
    write_xlsx(folder / "budget_copie.xlsx", [
        CASES["budget"][0], [2026, "T2", 2, "SOCLE", "PARIS", "PIC_IPR", 1, 1]], modified=old)
    write_xlsx(folder / "objectifs.xlsx", [
        ["Indicateur", "Programme", "Antenne", "Année", "Trimestre", "Cible", "Financeur"],
        ["ENT", "AVEC", "PARIS", 2026, None, 40, None],
        ["ENT", "AVEC", "PARIS", 2026, None, 60, "FONDATION_X"]], modified=new)
    path = work / "warehouse.duckdb"
    with connect(path) as wh:
        report = load(wh, folder)
        assert sum(report.rows_quarantined.values()) == 0
    env = {"SEA_AS_OF": AS_OF.isoformat(), "SEA_DBT_TARGET": "duckdb",
           "SEA_DUCKDB_PATH": str(path)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        dbt = in_process_dbt(sea_dbt_project("duckdb"))
        invocation = dbt.cli(
            ["build", "--quiet", "--no-partial-parse", "--indirect-selection", "cautious",
             "--select", " ".join(SELECTION)],
            target_path=work / "target", raise_on_error=False).wait()
    assert invocation.is_successful(), invocation.failure_message()
    warehouse = connect(path)
    yield warehouse
    warehouse.close()


FREE_TEXT = ("commentaire", "description", "suite_donnee", "texte", "comment", "follow_up")


def test_no_free_text_about_persons_reaches_staging(staged: Warehouse) -> None:
    for kind in NEW_KINDS:
        columns = staged.columns(f"staging.stg_sheets__{kind}")
        assert not set(columns) & set(FREE_TEXT), kind
        assert "id_crm" not in columns and "participant_id" not in columns, kind
        frame = staged.fetch_df(f"select * from staging.stg_sheets__{kind}").astype(str)
        for name in ("Fatima", "Omar", "Leila", "P00042"):
            assert not frame.apply(lambda c, n=name: c.str.contains(n)).any().any(), (kind, name)


def test_staging_keeps_the_latest_row_per_key(staged: Warehouse) -> None:
    q = staged.fetchall
    assert q("select action_id, title, people_reached, end_date = action_date from "
             "staging.stg_sheets__communication order by action_id") == [
        ("C1", "Petit-déjeuner", 45, True), ("C2", "Campagne", None, False)]
    assert q("select budget_quarter, axis, programme, antenna, budget_eur, spent_eur, "
             "negative_amount from staging.stg_sheets__budget order by source_row") == [
        (None, "COORDINATION", "ALL", "ALL", 85000.0, None, False),
        (2, "SOCLE", "SOCLE", "PARIS", 60000.0, 58432.5, False),
        (3, "AVEC", "AVEC", "ALL", None, -1250.0, True)]
    assert q("select funder_code, programmes, report_frequency from "
             "staging.stg_sheets__financements order by 1") == [
        ("FONDATION_X", "AVEC,SOCLE", "semestrielle"), ("PIC_IPR", "ALL", "annuelle")]
    # objectifs: the funder's target is marked as its own (int_targets keeps it out of the
    # organisation's, marts.funder_targets gives it to the funder's report)
    assert q("select indicator_code, target_value_raw, funder_code from "
             "staging.stg_sheets__objectifs order by funder_code nulls first") == [
        ("ENT", 40.0, None), ("ENT", 60.0, "FONDATION_X")]


def test_only_consented_testimonies_and_no_sensitive_scope_leave_raw(staged: Warehouse) -> None:
    q = staged.fetchall
    # T2: consent withdrawn in the newer file (the older copy had it); T3: consent not dated.
    assert q("select testimony_id, testimony_text, consent_date, theme from "
             "staging.stg_sheets__temoignages") == [
        ("T1", "J'ai trouvé un emploi.", D1, "premier_emploi")]
    assert q("select feedback_id, programme, antenna, is_sensitive from "
             "staging.stg_sheets__retours order by 1") == [("R1", "SOCLE", "PARIS", False),
                                                           ("R2", "ALL", "ALL", True)]
    assert q("select count(*), count(recommends), sum(case when respondent_id_typed then 1 end) "
             "from staging.stg_sheets__satisfaction") == [(3, 2, 1)]


def test_the_gate_warns_on_the_suspicious_rows_and_passes_the_rest(staged: Warehouse) -> None:
    runner = SuiteRunner(staged, as_of=AS_OF, pseudonym_key=TEST_KEY)
    tables = [t for s in default_suites() for t in s.tables
              if t.table.startswith("staging.stg_sheets__")]
    assert {t.table for t in tables} == {f"staging.stg_sheets__{k}" for k in NEW_KINDS}
    outcomes = {o.key: o for t in tables for o in runner.run_table(t)}
    failed = {k: o for k, o in outcomes.items() if not o.passed}
    assert not [o.message() for o in outcomes.values() if o.error]
    assert set(failed) == {"staging.stg_sheets__jalons.achieved_date_only_when_achieved",
                           "staging.stg_sheets__budget.amounts_not_negative",
                           "staging.stg_sheets__satisfaction.survey_stays_anonymous"}
    assert all(o.check.severity == "warn" for o in failed.values())
    assert set(failed["staging.stg_sheets__jalons.achieved_date_only_when_achieved"]
               .sample_ids) == {"J3"}
    assert failed["staging.stg_sheets__budget.amounts_not_negative"].row_count == 1
    assert failed["staging.stg_sheets__satisfaction.survey_stays_anonymous"].sample_ids == (
        "satisfaction.xlsx / Feuille1 / 4",)
