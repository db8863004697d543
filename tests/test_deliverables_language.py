"""What a ministry officer, a funder or a programme manager reads is French and speaks in names.

One quarterly delivery is built on demo-like figures with the real indicator catalogue (the seed)
and the PDF, then every file that is sent (workbook cells, HTML text, PDF text, the human columns
of figures.csv and manifest.json) is scanned for English words and for raw codes that have a
label in the reference data: programme and antenna codes, role codes, DAC criteria, exit reasons,
units, the `ALL` scope. Codes stay only where a machine reads them (the machine columns of
figures.csv, HTML attributes).
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from common.quarters import Quarter
from common.warehouse import connect
from reports.learning import LearningInputs
from reports.plan_sea.labels import DAC_CRITERIA_FR, programme_fr, role_fr, scope_fr
from reports.publication import antenna_label, programme_label
from tests.test_reports import QUALITY, build, make_warehouse

SEEDS = Path(__file__).resolve().parents[1] / "dbt_project" / "seeds"

# English words a French deliverable must not contain (whole words, case-insensitive). French
# homographs are left out on purpose: « total », « fraction », « impact », « direction »,
# « pertinence », « programme », « note », « a ».
ENGLISH = ("enrolment", "enrolments", "hours", "days", "dropout", "median", "persons",
           "employers", "survival", "suppressed", "quarter", "higher", "lower", "unknown",
           "none", "true", "false", "breakdown", "expected", "valid", "invalid", "count",
           "rate", "sum", "not computable", "better", "target", "achieved", "late")

LEARNING = LearningInputs(
    learning_log=pd.DataFrame([dict(
        id="CAP-12", date="2026-08-20", type="retex", programme="SOCLE_FEMMES", antenne="PARIS",
        titre="Job datings sectoriels", constats="Forte conversion dans la logistique.",
        enseignements="Préparer les candidats en amont.", indicateurs="EMP_SORTIE")]),
    recommendations=pd.DataFrame([dict(
        id="REC-3", source_id="CAP-9", recommandation="Relancer le suivi à 6 mois par SMS.",
        responsable="charge_relations_entreprises", priorite="haute", echeance="2026-09-01",
        statut="en_cours", date_statut="2026-07-10")]),
    evaluation_plan=pd.DataFrame([dict(
        id="EVAL-2", programme="PASS_NUMERIQUE", antenne="TOUTES", type="intermediaire",
        mode="externe", debut_prevu="2026-09-01", fin_prevue="2026-12-15",
        criteres="efficacite,viabilite", statut="en_cours")]),
)


# Codes of the demo data and the reference lists that have a label: seeing one in a sent file
# means a label was missed. Kept here, independent of the code under test. Lower-case codes that
# are ordinary French words are left out (`direction`, `impact`, `pertinence`).
RAW_CODES = re.compile(r"(?<![\w-])(?:" + "|".join((
    "SOCLE_FEMMES", "PASS_NUMERIQUE", "PARIS", "BORDEAUX", "TOUTES", "ALL",
    r"charge_\w+", r"responsable_\w+", "evaluateur_externe", "comite_de_pilotage",
    "efficacite", "efficience", "viabilite", "coherence",
    "job_found", "training_found", "relocation", "completed", "dropout",
    "enrolments", "persons", "employers", "hours", "days",
)) + r")(?![\w-])")
ENGLISH_RE = re.compile(r"(?<![\w-])(?:" + "|".join(ENGLISH) + r")(?![\w-])", re.IGNORECASE)


def offences(where: str, text: str) -> list[str]:
    found = [f"{where}: anglais « {m.group(0)} » dans « {_around(text, m)} »"
             for m in ENGLISH_RE.finditer(text)]
    found += [f"{where}: code brut « {m.group(0)} » dans « {_around(text, m)} »"
              for m in RAW_CODES.finditer(text)]
    return found


def _around(text: str, m: re.Match) -> str:
    return text[max(0, m.start() - 40):m.end() + 40].replace("\n", " ")


class _Text(HTMLParser):
    """The text a reader sees: no attributes, no style, and not the indicator-code tags
    (`<span class="code">`), which refer the reader to the definitions table."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip: list[str] = []

    def handle_starttag(self, tag, attrs):
        css = dict(attrs).get("class") or ""
        nested = bool(self._skip) and tag == self._skip[-1]
        if tag in ("style", "script") or "code" in css.split() or nested:
            self._skip.append(tag)

    def handle_endtag(self, tag):
        if self._skip and tag == self._skip[-1]:
            self._skip.pop()

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_text(path: Path) -> str:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return unescape(" ".join(parser.parts))


@pytest.fixture(scope="module")
def delivery(tmp_path_factory):
    """The demo-like quarter with the real catalogue (units, directions, descriptions)."""
    tmp = tmp_path_factory.mktemp("language")
    wh = make_warehouse(tmp / "warehouse.duckdb")
    seed = pd.read_csv(SEEDS / "indicator_catalogue.csv")
    with connect(str(wh)) as con:
        con.execute("drop table reference.indicator_catalogue")
        con._con.register("frame", seed)  # noqa: SLF001 - test fixture: create from a frame
        con._con.execute("create table reference.indicator_catalogue as select * from frame")
        con._con.unregister("frame")
    return build(wh, tmp / "out", quality=QUALITY, learning=LEARNING, pdf=True)


def test_sent_files_are_french_and_show_names_not_codes(delivery):
    problems: list[str] = []
    html_path = delivery.files["html"]
    html = html_text(html_path)
    problems += offences(html_path.name, html)

    if shutil.which("pdftotext"):
        pdf = subprocess.run(["pdftotext", "-layout", str(delivery.files["pdf"]), "-"],
                             capture_output=True, text=True, check=True).stdout
        # the indicator codes printed beside labels refer to the definitions: not scanned
        problems += offences(delivery.files["pdf"].name, pdf)

    book = openpyxl.load_workbook(delivery.files["collecteur"])
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    problems += offences(f"{sheet.title}!{cell.coordinate}", cell.value)

    with delivery.files["figures"].open(encoding="utf-8", newline="") as handle:
        for n, row in enumerate(csv.DictReader(handle), 2):
            problems += offences(f"figures.csv ligne {n}", row["display"])

    manifest = json.loads(delivery.files["manifest"].read_text(encoding="utf-8"))
    for key, value in manifest.items():
        if isinstance(value, str) and (key.endswith("_fr") or key.endswith("_label")):
            problems += offences(f"manifest.json {key}", value)

    assert not problems, "\n".join(problems[:40])


def test_labels_come_from_the_reference_data_and_read_the_same_everywhere(delivery):
    html = html_text(delivery.files["html"])
    # one spelling of a programme in the report, the Plan SEA and the evidence packs
    assert programme_label("SOCLE_FEMMES") == programme_fr("SOCLE_FEMMES") == "SOCLE Femmes"
    assert "Programme SOCLE Femmes" in html and "Programme Pass numérique" in html
    assert "Antenne Bordeaux" in html
    # roles, DAC criteria and the evaluation's scope, as people say them
    assert "Chargé·e de relations entreprises" in html
    assert "Efficacité, Viabilité" in html
    assert "Pass numérique — Toutes antennes" in html
    assert role_fr("charge_relations_entreprises") == "Chargé·e de relations entreprises"
    assert DAC_CRITERIA_FR["viabilite"][0] == "Viabilité" and DAC_CRITERIA_FR["viabilite"][1]
    assert scope_fr("ALL", "ALL") == "Tous programmes — Toutes antennes"
    book = openpyxl.load_workbook(delivery.files["collecteur"])
    keys = {(r[1], r[2]) for r in book["Ensemble"].iter_rows(min_row=2, values_only=True)}
    assert ("SOCLE Femmes", "Bordeaux") in keys and ("Tous programmes", "Toutes antennes") in keys


def test_a_code_without_a_label_is_shown_tidied_up_not_raw_nor_an_error():
    assert antenna_label("SAINT_DENIS") == "Saint Denis"
    assert antenna_label("nantes") == "Nantes"
    assert programme_label("NOUVEAU_PROG") == "NOUVEAU PROG"
    assert role_fr("responsable_qualite") == "Responsable qualite"
    from reports import catalogue as labels

    assert labels.labels_of("dac_criterion", "efficacite, nouveau_critere") == (
        "Efficacité, Nouveau critere")
    assert programme_label(None) == "Tous programmes" and antenna_label("") == "Toutes antennes"


def test_meaning_directions_units_and_the_two_medians(delivery):
    raw = unescape(delivery.files["html"].read_text(encoding="utf-8"))
    html = html_text(delivery.files["html"])
    # each indicator's direction, as the catalogue says, in the definitions: the delay is better
    # when lower, an entry count when higher
    row = re.search(r"<strong>Délai médian[^<]*</strong>.*?</tr>", raw, re.S).group(0)
    assert "plus bas = mieux" in row and "plus élevé" not in row
    row = re.search(r"<strong>Entrées en parcours</strong>.*?</tr>", raw, re.S).group(0)
    assert "plus élevé = mieux" in row and "plus bas" not in row
    # every change of the key tables carries its unit: +475,5 h, +3,2 pts, +12 parcours
    changes = re.findall(r'<td class="num">([+−][^<]*)</td>', raw)
    assert changes
    assert all(re.search(r"\u00a0(h|j|pts?|parcours|personnes|entreprises)$", c)
               for c in changes), [c for c in changes if "\u00a0" not in c][:5]
    assert any(c.endswith("\u00a0h") for c in changes)
    assert any(c.endswith("pts") or c.endswith("pt") for c in changes)
    # the median of the table and the curve's are told apart, side by side
    assert "y compris celles qui cherchent encore" in html
    assert "Médiane de Kaplan-Meier, personnes encore en recherche comprises" in html
    assert "Médiane parmi les personnes ayant trouvé un emploi" in html


def test_quarter_errors_are_french():
    with pytest.raises(ValueError) as err:
        Quarter.parse("2026-Q5")
    message = str(err.value)
    assert "n'est pas un trimestre" in message and "2026-T3" in message
    assert not ENGLISH_RE.search(message), message
    with pytest.raises(ValueError, match="de 1 à 4"):
        Quarter(2026, 5)


def test_collecteur_shows_names_and_keeps_codes_only_in_code_columns():
    """A ministry template that wants the CRM codes beside the names asks for them by field."""
    from types import SimpleNamespace

    from reports.collecteur import _key_value, load_mapping

    mapping = load_mapping()
    pub = SimpleNamespace(quarter=Quarter.parse("2026-Q3"))
    row = {f: _key_value(f, pub, mapping, ("SOCLE_FEMMES", "BORDEAUX"), "total", "total", "")
           for f in ("programme", "antenna", "programme_code", "antenna_code")}
    assert row == {"programme": "SOCLE Femmes", "antenna": "Bordeaux",
                   "programme_code": "SOCLE_FEMMES", "antenna_code": "BORDEAUX"}
    assert _key_value("antenna", pub, mapping, ("ALL", "ALL"), "total", "total", "") == (
        "Toutes antennes")
