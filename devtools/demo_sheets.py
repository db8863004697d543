"""Demo spreadsheets that read like AERé's shared folder, generated from the fake CRM's people.

Every workbook is a collection template (`connectors/sheets/templates.py`: the kind's headers,
the help sheet, the drop-downs) filled with rows, as staff receive and fill them; each demo
function still names its columns its own way, and they are placed under the template's headers
by their normalised names. Bordeaux keeps its attendance in a CSV, as some staff do. The cells
exercise what real files hold — dates typed three ways, a Windows-1252 CSV, a row pasted into two
monthly files, `TOUS` for a scope, values typed past the drop-down (`Intérim`, `x`), rate targets
typed as 55, as `0,55` or in a %-formatted cell — plus a few bad rows (warn class only) so the
quarantine has something to show. Deterministic for a seed: the same participants, `as_of` and
seed give the same cells and the same file modification times.
"""

from __future__ import annotations

import calendar
import csv
import io
import os
import random
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from pathlib import Path

from connectors.sheets.kinds import KINDS_BY_NAME
from connectors.sheets.names import normalise_name
from connectors.sheets.templates import Reference, catalogue_labels, new_workbook, reference_data
from orchestration.catalogue import CATALOGUE_CSV

PROGRAMMES = ("SOCLE", "SOCLE_FEMMES", "AVEC")
ANTENNAS = ("PARIS", "BORDEAUX")
WORKSHOPS = (
    "Atelier CV",
    "Préparation à l'entretien d'embauche",
    "Français à visée professionnelle",
    "Numérique : démarches en ligne",
    "Découverte des métiers",
    "Droit du travail en France",
)
FIRST_NAMES = ("Amina", "Ahmad", "Fatima", "Yonas", "Mariam", "Hamid", "Sara", "Omar", "Leila",
               "Abdi", "Nour", "Tesfaye", "Zainab", "Karim", "Hawa", "Mustafa", "Aziza", "Samir")
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")
ATTENDANCE_MONTHS = 6


@dataclass(frozen=True)
class Percent:
    """A number to write in a %-formatted cell (Excel stores 0.55 and shows 55 %)."""

    value: float


# -- small helpers ---------------------------------------------------------------------------------
def _end_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _active(person: dict, day: date) -> bool:
    end = person.get("end_date")
    return person["start_date"] <= day and (end is None or end >= day)


def _typed_date(day: date, rng: random.Random) -> object:
    """As staff type dates: mostly real date cells, sometimes text JJ/MM/AAAA or JJ/MM/AA."""
    draw = rng.random()
    if draw < 0.6:
        return day
    if draw < 0.85:
        return day.strftime("%d/%m/%Y")
    return day.strftime("%d/%m/%y")


def _touch(path: Path, moment: date) -> None:
    """A fixed modification time (noon UTC): the loader's 'most recent file wins' rule uses it."""
    stamp = datetime.combine(moment, time(12, 0), tzinfo=UTC).timestamp()
    os.utime(path, (stamp, stamp))


@cache
def _reference() -> Reference:
    return reference_data(catalogue_labels(CATALOGUE_CSV))


def _write_xlsx(path: Path, kind: str, sheets: Sequence[tuple[str, list[list[object]]]],
                modified: date) -> Path:
    """The kind's template filled: the first sheet's rows (its header row first) go under the
    template's headers, matched by normalised name, in a data sheet titled as given; further
    sheets are added as staff add them. `Percent` cells get a % format, dates a French one."""
    (title, rows), *others = sheets
    book = new_workbook(KINDS_BY_NAME[kind], _reference(), title=title)
    fixed = datetime.combine(modified, time(12, 0))
    book.properties.created = fixed
    book.properties.modified = fixed
    headers = KINDS_BY_NAME[kind].headers
    places = [headers.index(normalise_name(h)) + 1 for h in rows[0]]
    data = book.worksheets[0]
    for number, row in enumerate(rows[1:], start=2):
        for place, value in zip(places, row, strict=False):
            _put(data.cell(row=number, column=place), value)
    for extra_title, extra_rows in others:
        sheet = book.create_sheet(extra_title)
        for row in extra_rows:
            sheet.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_frozen_zip(buffer.getvalue(), fixed))
    _touch(path, modified)
    return path


def _put(cell: object, value: object) -> None:
    if isinstance(value, Percent):
        cell.value = value.value  # type: ignore[attr-defined]
        cell.number_format = "0%"  # type: ignore[attr-defined]
        return
    cell.value = value  # type: ignore[attr-defined]
    if isinstance(value, date):
        cell.number_format = "DD/MM/YYYY"  # type: ignore[attr-defined]


_CORE_MODIFIED = re.compile(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)")


def _frozen_zip(data: bytes, moment: datetime) -> bytes:
    """The workbook with every time stamp inside it set to `moment`.

    openpyxl stamps the save time into the document properties and each zip entry, so two demos
    writing the same cells gave different files: a second `make demo` must find the shared
    folder byte for byte as the first left it.
    """
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            body = source.read(entry.filename)
            if entry.filename == "docProps/core.xml":
                body = _CORE_MODIFIED.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            frozen = zipfile.ZipInfo(entry.filename, date_time=moment.timetuple()[:6])
            frozen.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(frozen, body)
    return out.getvalue()


# -- objectifs -----------------------------------------------------------------------------------
def _yearly_counts(people: list[dict], year: int, as_of: date) -> dict[tuple[str, str, str], int]:
    """Per (indicator, programme, antenna): what happened that year, the base of a target."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    counts: dict[tuple[str, str, str], int] = {}
    for person in people:
        scope = (person["programme"], person["antenna"])
        finished = person.get("end_date")
        if start <= person["start_date"] <= end:
            counts[("ENT", *scope)] = counts.get(("ENT", *scope), 0) + 1
        if finished is not None and start <= finished <= end:
            counts[("SOR", *scope)] = counts.get(("SOR", *scope), 0) + 1
        if person["start_date"] <= end and (finished is None or finished >= start):
            counts[("ACT", *scope)] = counts.get(("ACT", *scope), 0) + 1
    if year == as_of.year:  # a target is set for the whole year: extrapolate the part seen
        share = max((as_of - start).days + 1, 30) / 365
        counts = {k: round(v / share) for k, v in counts.items()}
    return counts


def _objectifs(people: list[dict], as_of: date, rng: random.Random) -> list[list[object]]:
    rows: list[list[object]] = [
        ["Indicateur", "Programme", "Antenne", "Année", "Trimestre", "Cible"],
    ]
    years = range(as_of.year - 2, as_of.year + 1)
    for year in years:
        counts = _yearly_counts(people, year, as_of)
        for programme in PROGRAMMES:
            for antenna in ANTENNAS:
                for code in ("ENT", "ACT", "SOR"):
                    base = max(counts.get((code, programme, antenna), 0), 3)
                    rows.append([code, programme, antenna, year, None,
                                 round(base * rng.uniform(0.95, 1.25))])
                active = max(counts.get(("ACT", programme, antenna), 0), 3)
                rows.append(["HRS", programme, antenna, year, None,
                             round(active * rng.uniform(14, 22), -1)])
        entries = sum(v for k, v in counts.items() if k[0] == "ENT")
        rows.append(["ENT_P", "TOUS", "TOUTES", year, None, max(round(entries * 0.95), 5)])
        # Rates, typed the three ways staff do: 55, "0,55" and a %-formatted cell.
        rows.append(["SD_SORTIE", "SOCLE", "TOUTES", year, None, 55])
        rows.append(["SD_SORTIE", "AVEC", "TOUTES", year, None, "0,55"])
        rows.append(["SD_SORTIE", "SOCLE_FEMMES", "TOUTES", year, None, Percent(0.5)])
        rows.append(["ED_SORTIE", "TOUS", "TOUTES", year, None, 25])
        rows.append(["SD_6M", "TOUS", "TOUTES", year, None, Percent(0.6)])
    counts = _yearly_counts(people, as_of.year, as_of)
    for quarter in range(1, 5):  # quarterly targets for the current year, Paris only
        for programme in ("SOCLE", "AVEC"):
            base = max(counts.get(("ENT", programme, "PARIS"), 0), 4)
            rows.append(["ENT", programme, "paris", as_of.year, f"T{quarter}",
                         max(round(base / 4 * rng.uniform(0.9, 1.2)), 1)])
    return rows


# -- émargements ---------------------------------------------------------------------------------
def _sessions(people: list[dict], antenna: str, year: int, month: int, as_of: date,
              rng: random.Random, names: dict[str, str]) -> list[list[object]]:
    """About one workshop a week; attendees among the antenna's active participants."""
    rows = []
    last = min(_end_of_month(year, month), as_of)
    day = date(year, month, 1)
    while day <= last:
        if day.weekday() == rng.choice((1, 3)) and rng.random() < 0.7:
            workshop = rng.choice(WORKSHOPS)
            duration = rng.choice((120, 120, 120, 90, 180, None))
            present = [p for p in people if p["antenna"] == antenna and _active(p, day)]
            for person in rng.sample(present, min(len(present), rng.randint(3, 8))):
                attended = rng.choices(("oui", "Oui", "x", "non", ""), (50, 15, 20, 10, 5))[0]
                rows.append([day, antenna.title(), workshop, person["participant_id"],
                             names[person["participant_id"]], attended, duration])
        day += timedelta(days=1)
    return rows


def _months(as_of: date) -> list[tuple[int, int]]:
    first = _add_months(date(as_of.year, as_of.month, 1), -(ATTENDANCE_MONTHS - 1))
    return [(_add_months(first, i).year, _add_months(first, i).month)
            for i in range(ATTENDANCE_MONTHS)]


def _unknown_id(people: list[dict]) -> str:
    known = {p["participant_id"] for p in people}
    candidate, n = "P999999", 0
    while candidate in known:
        n += 1
        candidate = f"P999999{n}"
    return candidate


def _emargements(folder: Path, people: list[dict], as_of: date, rng: random.Random,
                 names: dict[str, str]) -> list[Path]:
    headers = ["Date", "Antenne", "Atelier", "ID CRM", "Nom", "Présent", "Durée (minutes)"]
    written = []
    paris_months = []
    for year, month in _months(as_of):
        rows = _sessions(people, "PARIS", year, month, as_of, rng, names)
        paris_months.append((year, month, rows))
    # A row pasted into the next month's file too (the loader keeps both; SQL counts it once).
    if len(paris_months) > 1 and paris_months[0][2]:
        paris_months[1][2].insert(0, list(paris_months[0][2][-1]))
    # Bad rows, warn class: an impossible date and a "maybe" for attendance.
    for _, _, rows in paris_months[-2:]:
        if rows:
            bad = list(rows[0])
            bad[0] = f"30/02/{as_of.year}"
            rows.append(bad)
            break
    for _, _, rows in reversed(paris_months):
        if rows:
            maybe = list(rows[-1])
            maybe[5] = "peut-être"
            rows[-1] = maybe
            break
    for year, month, rows in paris_months:
        shown = [[_typed_date(r[0], rng) if isinstance(r[0], date) else r[0], *r[1:]]
                 for r in rows]
        path = folder / "Émargements" / f"Paris {year}-{month:02d} {MONTHS_FR[month - 1]}.xlsx"
        modified = min(_add_months(date(year, month, 1), 1) + timedelta(days=1), as_of)
        written.append(_write_xlsx(path, "emargements", [("Émargements", [headers, *shown])],
                                   modified))
    written.append(_emargements_csv(folder, people, as_of, rng, names))
    return written


def _emargements_csv(folder: Path, people: list[dict], as_of: date, rng: random.Random,
                     names: dict[str, str]) -> Path:
    """Bordeaux keeps one CSV, saved by Excel in French Windows: `;` and Windows-1252."""
    rows = []
    for year, month in _months(as_of):
        rows += _sessions(people, "BORDEAUX", year, month, as_of, rng, names)
    if rows:
        stranger = list(rows[len(rows) // 2])
        stranger[3] = _unknown_id(people)
        stranger[4] = "Inconnu"
        rows.append(stranger)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["Date", "Antenne", "Atelier", "ID CRM", "Nom", "Présent", "Durée (minutes)"])
    for row in rows:
        writer.writerow([row[0].strftime("%d/%m/%Y"), *("" if v is None else v for v in row[1:])])
    path = folder / "emargements_bordeaux.csv"
    path.write_bytes(buffer.getvalue().encode("cp1252", errors="replace"))
    _touch(path, as_of)
    return path


# -- suivi post-parcours --------------------------------------------------------------------------
def _suivi(people: list[dict], as_of: date, rng: random.Random) -> list[list[object]]:
    rows: list[list[object]] = [["ID CRM", "Date contact", "Joint", "Situation", "Type contrat",
                                 "Date début", "Date fin", "Type formation"]]
    missing_start_done = False
    for person in people:
        end = person.get("end_date")
        if end is None or end > as_of:
            continue
        call = _add_months(end, 6) + timedelta(days=rng.randint(-20, 25))
        if call > as_of or rng.random() < 0.2:
            continue
        reached = rng.random() < 0.75
        row: list[object] = [person["participant_id"], _typed_date(call, rng),
                             "oui" if reached else "non", None, None, None, None, None]
        if reached:
            situation = rng.choices(
                ("emploi", "formation", "creation", "recherche", "autre"), (45, 20, 5, 25, 5)
            )[0]
            row[3] = {"creation": "Création"}.get(situation, situation.capitalize())
            started = end + timedelta(days=rng.randint(5, 150))
            if situation == "emploi":
                contract = rng.choice(("CDI", "CDD", "CDD", "Intérim", "ALTERNANCE", "IAE"))
                row[4] = contract
                row[5] = started
                if contract in ("CDD", "Intérim", "ALTERNANCE"):
                    row[6] = _add_months(started, rng.choice((2, 6, 12)))
            elif situation == "formation":
                row[5] = started
                row[6] = _add_months(started, rng.choice((3, 9)))
                row[7] = rng.choice(("Qualifiante", "Certifiante", "Pré-qualifiante",
                                     "Non qualifiante"))
            elif situation == "creation":
                row[5] = started
            if situation == "emploi" and not missing_start_done:
                row[5] = row[6] = None  # a forgotten start date: the situation part is held back
                missing_start_done = True
        rows.append(row)
    return rows


# -- apprentissage and plans ---------------------------------------------------------------------
# Dates are placed relative to `as_of` so that, whatever the demo date, the plan reads as a live
# one: an intermediate evaluation done last year, a thematic one running, the external final
# evaluation starting within 90 days, recommendations done, running, overdue and stale.
def _months_before(as_of: date, months: int, day: int = 1) -> date:
    first = _add_months(date(as_of.year, as_of.month, 1), -months)
    return first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))


def _months_after(as_of: date, months: int, day: int = 1) -> date:
    return _months_before(as_of, -months, day)


def _lesson_dates(as_of: date) -> dict[str, date]:
    return {
        "CAP-01": _months_before(as_of, 20, 14), "CAP-02": _months_before(as_of, 16, 20),
        "CAP-03": _months_before(as_of, 13, 2), "CAP-04": _months_before(as_of, 10, 25),
        "CAP-05": _months_before(as_of, 9, 10), "CAP-06": _months_before(as_of, 6, 18),
        "CAP-07": _months_before(as_of, 4, 7), "CAP-08": _months_before(as_of, 1, 12),
    }


def _evaluation_ids(as_of: date) -> dict[str, str]:
    last, this = as_of.year - 1, as_of.year
    return {"intermediate": f"EVAL-{last}-SOCLE-INT", "thematic": f"EVAL-{this}-FEMMES-THE",
            "final": f"EVAL-{this}-PIC-FIN", "avec": f"EVAL-{this + 1}-AVEC-BDX-INT"}


def _capitalisation(as_of: date) -> list[list[object]]:
    on = _lesson_dates(as_of)
    rows: list[list[object]] = [
        ["ID", "Date", "Type", "Programme", "Antenne", "Titre", "Contexte", "Constats",
         "Enseignements", "Indicateurs"],
        ["CAP-01", on["CAP-01"], "Fiche capitalisation", "SOCLE", "PARIS",
         "Binômes de recherche d'emploi",
         "En fin de parcours SOCLE, la participation aux ateliers collectifs baisse nettement : "
         "moins d'une séance sur deux est suivie après le sixième mois.",
         "Les personnes entrées en même temps et réunies en binôme viennent plus régulièrement "
         "aux ateliers et s'entraident pour les démarches en ligne.",
         "Constituer les binômes dès l'entrée en parcours et leur réserver un créneau d'atelier "
         "commun ; suivre les heures d'accompagnement réalisées par binôme.",
         "HRS, SD_SORTIE"],
        ["CAP-02", on["CAP-02"], "RETEX", "AVEC", "BORDEAUX",
         "Job dating logistique avec trois entrepôts de la métropole",
         "Les entrepôts de la rive droite recrutent des préparateurs de commandes mais "
         "connaissent mal le public BPI et ses droits au travail.",
         "Huit entreprises présentes, un retour à chaque candidat sous quinze jours ; les "
         "candidats préparés au vocabulaire du métier obtiennent plus souvent un second "
         "entretien.",
         "Préparer les candidats au vocabulaire métier une semaine avant ; inviter les "
         "entreprises à présenter le poste elles-mêmes ; renouveler chaque semestre.",
         "EMP_ENG, ED_SORTIE, DELAI_EMPLOI"],
        ["CAP-03", on["CAP-03"], "Atelier réflexion", "TOUS", "TOUTES",
         "Joindre les personnes six mois après leur sortie",
         "Atelier réunissant les deux antennes : la situation à 6 mois reste inconnue pour une "
         "part importante des personnes sorties.",
         "Les appels en journée aboutissent rarement (personnes au travail ou en formation) ; "
         "les numéros changent souvent après la sortie.",
         "Appeler en fin de journée, proposer un message écrit, faire confirmer un second moyen "
         "de contact à la sortie du parcours.",
         "SUIVI_6M, SD_6M"],
        ["CAP-04", on["CAP-04"], "Fiche capitalisation", "SOCLE_FEMMES", "PARIS",
         "Garde d'enfants pendant les ateliers",
         "Des absences répétées aux ateliers du SOCLE Femmes sont liées à la garde des jeunes "
         "enfants, surtout pendant les vacances scolaires.",
         "Depuis l'accord avec une halte-garderie partenaire, les absences pour ce motif ont "
         "nettement reculé et moins de parcours sont interrompus.",
         "Formaliser le partenariat par une convention et l'inclure dans la présentation du "
         "programme aux prescripteurs.",
         "ENT_F, ABD, HRS"],
        ["CAP-05", on["CAP-05"], "Évaluation", "SOCLE", "TOUTES",
         "Synthèse de l'évaluation intermédiaire du SOCLE",
         "Évaluation interne à mi-parcours conduite avec les deux antennes (entretiens avec "
         "l'équipe, les prescripteurs et des employeurs partenaires ; analyse des indicateurs).",
         "Entrées conformes aux objectifs ; sorties dynamiques en retrait à Bordeaux ; le niveau "
         "de français à l'entrée explique une partie des abandons.",
         "Renforcer la prospection d'employeurs pour le SOCLE et mesurer le niveau de français à "
         "l'entrée et à la sortie.",
         "ENT, SD_SORTIE, ABD"],
        ["CAP-06", on["CAP-06"], "RETEX", "SOCLE", "BORDEAUX",
         "Cours de français à visée professionnelle avec un organisme de formation",
         "Une session de cours de français orientés vers les métiers de l'aide à domicile a "
         "été organisée avec un organisme de formation local.",
         "La plupart des participantes et participants ont poursuivi vers une formation "
         "qualifiante ; le créneau du samedi a été peu suivi.",
         "Reconduire le partenariat en semaine ; articuler le cours avec l'entrée en formation "
         "qualifiante.",
         "SP_SORTIE, HRS"],
        ["CAP-07", on["CAP-07"], "RETEX", "AVEC", "PARIS",
         "Mentorat par des salariés d'entreprises partenaires",
         "Des salariés volontaires d'entreprises partenaires accompagnent une personne du "
         "programme AVEC pendant trois mois.",
         "Les personnes mentorées décrochent plus vite un premier entretien ; l'appariement "
         "par secteur d'activité compte davantage que la fréquence des rencontres.",
         "Apparier par secteur ; préparer les mentors aux démarches administratives propres "
         "aux personnes réfugiées ; étudier l'extension à Bordeaux.",
         "EMP_SORTIE, DELAI_EMPLOI"],
        ["CAP-08", on["CAP-08"], "Atelier réflexion", "TOUS", "PARIS",
         "Orientation des publics par les prescripteurs",
         "Atelier avec France Travail, deux CADA et une mission locale sur les orientations "
         "vers les programmes de l'antenne.",
         "Une partie des personnes orientées vers AVEC relèvent plutôt du SOCLE (niveau de "
         "français, projet professionnel à construire).",
         "Partager une fiche d'orientation commune et un contact référent par programme.",
         "ENT, ENT_P"],
    ]
    return rows


def _recommandations(as_of: date) -> list[list[object]]:
    evaluation = _evaluation_ids(as_of)["intermediate"]
    before = _months_before

    def after(months: int, day: int = 1) -> date:
        return _months_after(as_of, months, day)

    return [
        ["ID", "Source ID", "Recommandation", "Responsable", "Priorité", "Échéance", "Statut",
         "Date statut"],
        ["REC-01", "CAP-01", "Constituer les binômes dès l'entrée en parcours SOCLE",
         "Responsable antenne", "Haute", before(as_of, 14, 30), "Fait", before(as_of, 15, 12)],
        ["REC-02", "CAP-02", "Reconduire le job dating logistique chaque semestre et l'ouvrir "
         "au BTP", "Chargé relations entreprises", "Moyenne", after(3, 30), "En cours",
         before(as_of, 2, 10)],
        ["REC-03", "CAP-03", "Appeler en fin de journée et proposer un message écrit pour le "
         "suivi à 6 mois", "Chargé suivi-évaluation", "Haute", before(as_of, 2, 15), "À faire",
         before(as_of, 6, 5)],
        ["REC-04", "CAP-04", "Signer une convention avec la halte-garderie partenaire",
         "Direction", "Haute", after(2, 28), "En cours", before(as_of, 1, 20)],
        ["REC-05", evaluation, "Renforcer la prospection d'employeurs pour le SOCLE à Bordeaux",
         "Responsable antenne", "Haute", before(as_of, 1, 15), "En cours",
         before(as_of, 5, 3)],
        ["REC-06", evaluation, "Mesurer le niveau de français à l'entrée et à la sortie du "
         "parcours", "Chargé suivi-évaluation", "Moyenne", before(as_of, 0, 1), "Fait",
         before(as_of, 1, 8)],
        ["REC-07", "CAP-06", "Ouvrir un second créneau de cours de français le samedi",
         "Responsable antenne", "Basse", before(as_of, 3, 30), "Abandonné",
         before(as_of, 4, 2)],
        ["REC-08", "CAP-07", "Étudier l'extension du mentorat à l'antenne de Bordeaux",
         "Direction", "Moyenne", after(6, 30), "À faire", before(as_of, 1, 2)],
        ["REC-09", "CAP-08", "Diffuser une fiche d'orientation commune aux prescripteurs",
         "Responsable programme", "Urgente", after(2, 15), "À faire", None],
    ]


def _plan_evaluation(as_of: date) -> list[list[object]]:
    ids = _evaluation_ids(as_of)

    def after(months: int, day: int = 1) -> date:
        return _months_after(as_of, months, day)

    final_start = as_of + timedelta(days=45)
    rows: list[list[object]] = [
        ["ID", "Programme", "Antenne", "Type", "Mode", "Début prévu", "Fin prévue", "Critères",
         "Questions", "Indicateurs", "Statut"],
        [ids["intermediate"], "SOCLE", "TOUTES", "Intermédiaire", "Interne",
         _months_before(as_of, 14, 1), _months_before(as_of, 11, 19),
         "Pertinence, Cohérence, Efficacité",
         "Le SOCLE répond-il aux besoins des personnes les plus éloignées de l'emploi (niveau de "
         "français, mobilité, garde d'enfants) ?\n"
         "L'articulation avec les prescripteurs permet-elle d'orienter les publics visés ?\n"
         "Les entrées et la file active atteignent-elles les objectifs dans chaque antenne ?\n"
         "Quelle part des sorties est dynamique, et qu'est-ce qui freine les autres ?",
         "ENT, ENT_F, ACT, HRS, ABD, SD_SORTIE", "Terminée"],
        [ids["thematic"], "SOCLE_FEMMES", "PARIS", "Thématique", "Interne",
         _months_before(as_of, 2, 1), after(1, 31), "Pertinence, Efficacité",
         "Les freins propres aux femmes (garde d'enfants, horaires, isolement) sont-ils levés "
         "pendant le parcours ?\n"
         "Les femmes accèdent-elles à l'emploi et à la formation aussi souvent que les hommes "
         "du SOCLE ?",
         "ENT_F, ABD, SD_SORTIE, EMP_SORTIE", "En cours"],
        [ids["final"], "TOUS", "TOUTES", "Finale", "Externe", final_start,
         final_start + timedelta(days=120),
         "Efficacité, Efficience, Impact, Viabilité",
         "Dans quelle mesure les personnes accompagnées accèdent-elles à un emploi durable ou à "
         "une formation qualifiante à la sortie ?\n"
         "Les situations se maintiennent-elles six mois après la sortie ?\n"
         "En combien de temps les personnes accèdent-elles à un emploi, et selon quel programme "
         "?\n"
         "Les moyens engagés (heures d'accompagnement, entreprises mobilisées) sont-ils à la "
         "mesure des résultats ?\n"
         "Quels acquis du programme perdureront au-delà du financement PIC IPR ?",
         "ENT, SOR, SD_SORTIE, ED_SORTIE, EMP_SORTIE, SP_SORTIE, SD_6M, SUIVI_6M, "
         "DELAI_EMPLOI, HRS, EMP_ENG", "Prévue"],
        [ids["avec"], "AVEC", "BORDEAUX", "Intermédiaire", "Interne", after(8, 1), after(10, 15),
         "Pertinence, Efficacité",
         "Le programme AVEC touche-t-il des personnes proches de l'emploi à Bordeaux ?\n"
         "Les entreprises mobilisées recrutent-elles des personnes du programme ?",
         "ENT, EMP_ENG, EMP_SORTIE, DELAI_EMPLOI", None],
    ]
    return rows


def _plan_action(as_of: date) -> list[list[object]]:
    """The MEL action plan over eighteen months around `as_of` (offsets in months)."""
    actions = (
        ("Paramétrer le CRM pour le suivi à 6 mois (contacts, situations)", "Suivi",
         "Chargé suivi-évaluation", "Responsable antenne", "Haute", (-10, 1), (-8, 31),
         "1 500", "6"),
        ("Former les équipes à la saisie des émargements et des situations", "Suivi",
         "Chargé suivi-évaluation", "Chargé d'accompagnement", "Haute", (-9, 1), (-8, 28),
         None, "4"),
        ("Contrôles qualité mensuels des données par antenne", "Suivi", "Chargé suivi-évaluation",
         "Responsable antenne", "Moyenne", (-10, 1), (7, 31), None, "18"),
        ("Exports trimestriels au collecteur PIC IPR", "Suivi", "Chargé suivi-évaluation",
         "Direction", "Haute", (-10, 1), (7, 31), None, "8"),
        ("Évaluation thématique : accès des femmes à l'emploi", "Évaluation",
         "Chargé suivi-évaluation", "Responsable antenne", "Moyenne", (-2, 1), (1, 31), None,
         "12"),
        ("Rédiger les termes de référence de l'évaluation finale", "Évaluation", "Direction",
         "Chargé suivi-évaluation", "Haute", (-4, 1), (-2, 30), None, "5"),
        ("Recruter l'évaluateur externe", "Évaluation", "Direction", "Chargé suivi-évaluation",
         "Haute", (-2, 1), (0, 28), None, "3"),
        ("Évaluation finale externe du programme", "Évaluation", "Évaluateur externe",
         "Chargé suivi-évaluation, Direction, Responsable antenne", "Haute", (1, 15), (5, 30),
         "24 000", "10"),
        ("Fiches de capitalisation et RETEX des antennes", "Apprentissage",
         "Responsable antenne", "Chargé d'accompagnement", "Moyenne", (-10, 1), (7, 31),
         None, "10"),
        ("Ateliers de réflexion semestriels inter-antennes", "Apprentissage",
         "Chargé suivi-évaluation", "Responsable antenne, Chargé d'accompagnement", "Moyenne",
         (-6, 1), (6, 30), "1 600", "8"),
        ("Revue trimestrielle des recommandations en comité de direction", "Apprentissage",
         "Direction", "Chargé suivi-évaluation", "Moyenne", (-10, 1), (7, 31), None, "4"),
        ("Rapport annuel de redevabilité aux financeurs", "Communication", "Direction",
         "Chargé suivi-évaluation", "Haute", (-8, 15), (-6, 15), "2 000", "8"),
        ("Restitution des résultats aux personnes accompagnées et aux partenaires",
         "Communication", "Responsable antenne", "Chargé suivi-évaluation", "Basse", (6, 1),
         (7, 15), "1 200", "4"),
    )
    rows: list[list[object]] = [
        ["ID", "Action", "Axe", "Responsable", "Contributeurs", "Priorité", "Début", "Fin",
         "Statut", "Budget (EUR)", "Jours homme"],
    ]
    for number, (action, axis, owner, helpers, priority, start, end, budget, days) in enumerate(
        actions, start=1
    ):
        first, last = _months_after(as_of, *start), _months_after(as_of, *end)
        status = "Terminé" if last < as_of else ("En cours" if first <= as_of else "Prévu")
        if number == 2:
            status = "En cours"  # training not finished on time: shows as late in the plan
        rows.append([f"PA-{number:02d}", action, axis, owner, helpers, priority, first, last,
                     status, budget, days])
    return rows


# -- the whole association (issue 27): axes 3–7, funders, costs, the participants' voice --------
# Written after the files above with a generator of their own, so adding them changed none of
# the cells of the older files. Every row is valid: the quarantine shows the older files' defects.
def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _communication(as_of: date, rng: random.Random) -> list[list[object]]:
    """Campaigns (spanning periods), events, media, advocacy, employer awareness, two years."""
    rows: list[list[object]] = [
        ["ID", "Date", "Date fin", "Type", "Antenne", "Public", "Titre",
         "Personnes touchées", "Entreprises touchées", "Lien"],
    ]
    plan = (
        ("Campagne", "TOUTES", "Grand public", "Campagne « Réfugiés, talents d'ici »", 40, True),
        ("Événement", "PARIS", "Entreprises", "Petit-déjeuner employeurs inclusifs", 0, False),
        ("Média", "TOUTES", "Grand public", "Reportage radio sur l'accompagnement vers l'emploi",
         0, False),
        ("Plaidoyer", "TOUTES", "Institutions", "Rencontre avec la DIAIR sur la reconnaissance "
         "des diplômes", 0, False),
        ("Sensibilisation entreprises", "BORDEAUX", "Entreprises",
         "Atelier RH : recruter une personne réfugiée", 0, False),
        ("Réseaux sociaux", "TOUTES", "Grand public", "Série de portraits anonymes", 30, True),
        ("Publication", "TOUTES", "Partenaires", "Rapport d'activité annuel", 0, False),
        ("Événement", "BORDEAUX", "Réfugiés", "Forum de l'emploi et de la formation", 0, False),
        ("Sensibilisation entreprises", "PARIS", "Entreprises",
         "Club d'entreprises partenaires", 0, False),
    )
    number = 0
    start = _months_before(as_of, 23, 1)
    month = 0
    while _months_after(start, month) <= as_of:
        first = _months_after(start, month)
        for kind, antenna, audience, title, span, campaign in (plan[month % len(plan)],
                                                               plan[(month + 4) % len(plan)]):
            number += 1
            day = first + timedelta(days=rng.randint(0, 25))
            if day > as_of:
                continue
            end = day + timedelta(days=span + rng.randint(20, 60)) if campaign else None
            people = (None if kind == "Plaidoyer" or rng.random() < 0.1
                      else rng.randint(20, 400) * (10 if campaign else 1))
            companies = (rng.randint(3, 25) if audience == "Entreprises" else
                         (0 if rng.random() < 0.5 else None))
            link = f"https://aere.example.org/actions/COM-{number:03d}" if rng.random() < 0.4 \
                else None
            rows.append([f"COM-{number:03d}", day, end, kind, antenna, audience, title, people,
                         companies, link])
        month += 1
    return rows


def _jalons(as_of: date) -> list[list[object]]:
    """Milestones of axes 3, 5, 6, 7: essaimage to Nantes (open) and Lille (under way)."""
    def at(months: int, day: int = 15) -> date:
        return _months_after(as_of, months, day)

    rows: list[list[object]] = [
        ["ID", "Axe", "Jalon", "Territoire", "Étape", "Date prévue", "Date réelle", "Statut",
         "Responsable"],
        # Nantes: studied, funded, opened, first participants; late on recruitment.
        ["ESS-NAN-1", "ESSAIMAGE", "Étude d'opportunité à Nantes", "NANTES", "Étude", at(-20),
         at(-20, 10), "Atteint", "Direction"],
        ["ESS-NAN-2", 7, "Convention signée avec un partenaire nantais", "NANTES",
         "Partenariats", at(-16), at(-17, 28), "Atteint", "Direction"],
        ["ESS-NAN-3", "7", "Financement de l'antenne de Nantes obtenu", "NANTES", "Financement",
         at(-13), at(-12, 5), "Atteint", "Direction"],
        ["ESS-NAN-4", "Essaimage", "Équipe de Nantes recrutée", "NANTES", "Recrutement", at(-10),
         at(-8, 20), "Atteint", "Direction"],
        ["ESS-NAN-5", "ESSAIMAGE", "Ouverture de l'antenne de Nantes", "NANTES", "Ouverture",
         at(-7), at(-7, 1), "Atteint", "Responsable antenne"],
        ["ESS-NAN-6", "ESSAIMAGE", "Premiers participants accueillis à Nantes", "NANTES",
         "Premiers participants", at(-5), at(-5, 12), "Atteint", "Responsable antenne"],
        ["ESS-NAN-7", "ESSAIMAGE", "Antenne de Nantes autonome", "NANTES", "Autonomie", at(8),
         None, "Prévu", "Direction"],
        # Lille: study done, partnerships under way, one step abandoned then re-planned.
        ["ESS-LIL-1", "ESSAIMAGE", "Étude d'opportunité à Lille", "LILLE", "Étude", at(-6),
         at(-5, 2), "Atteint", "Direction"],
        ["ESS-LIL-2", "ESSAIMAGE", "Convention signée avec un partenaire à Lille", "LILLE",
         "Partenariats", at(-1), None, "En cours", "Direction"],
        ["ESS-LIL-3", "ESSAIMAGE", "Local mutualisé à Lille", "LILLE", "Ouverture", at(-3),
         None, "Abandonné", "Direction"],
        ["ESS-LIL-4", "ESSAIMAGE", "Ouverture de l'antenne de Lille", "LILLE", "Ouverture",
         at(6), None, "Prévu", "Direction"],
        # Innovation, SEA, coordination.
        ["INN-1", "INNOVATION", "Application de prise de rendez-vous en ligne", None, None,
         at(-9), at(-9, 28), "Atteint", "Chargé numérique"],
        ["INN-2", 3, "Tableau de bord des antennes dans le CRM", None, None, at(-2), at(-1, 10),
         "Atteint", "Chargé suivi-évaluation"],
        ["INN-3", "Innovation", "Module d'émargement sur tablette", None, None, at(4), None,
         "En cours", "Chargé numérique"],
        ["SEA-1", "SEA", "Plan de suivi-évaluation validé en COPIL", None, None, at(-18),
         at(-18, 20), "Atteint", "Chargé suivi-évaluation"],
        ["SEA-2", 5, "Enquête de satisfaction déployée dans toutes les antennes", None, None,
         at(-12), at(-11, 3), "Atteint", "Chargé suivi-évaluation"],
        ["SEA-3", "SEA", "Évaluation finale externe lancée", None, None, at(2), None, "Prévu",
         "Direction"],
        ["COO-1", "COORDINATION", "Comité de pilotage annuel", None, None, at(-11), at(-11, 12),
         "Atteint", "Direction"],
        ["COO-2", 6, "Convention de partenariat avec France Travail renouvelée", None, None,
         at(-4), at(-4, 30), "Atteint", "Direction"],
        ["COO-3", "COORDINATION", "Procédure de traitement des plaintes adoptée", None, None,
         at(-1), None, "En cours", "Direction"],
    ]
    return rows


FUNDERS = (
    # code, name, type, grant, programmes, antennas, axes, amount, indicators, frequency
    ("PIC_IPR", "Plan d'investissement dans les compétences — Intégration professionnelle des "
     "réfugiés", "Public", "PIC-IPR-2024-017", "TOUS", "TOUTES", None, 1_850_000,
     "ENT, ACT, SOR, SD_SORTIE, ED_SORTIE, EMP_SORTIE, SD_6M", "Trimestrielle"),
    ("FONDATION_AVENIR", "Fondation Avenir Solidaire", "Privé", "FAS-2025-04", "AVEC", "PARIS",
     "1", 120_000, "ENT, SD_SORTIE, EMP_SORTIE", "Semestrielle"),
    ("FONDATION_HORIZONS", "Fondation Horizons Partagés", "Privé", "FHP-ESS-2025",
     "SOCLE, SOCLE_FEMMES", "BORDEAUX, NANTES", "2, 7", 80_000,
     "ENT_F, ACT, HRS, SD_SORTIE", "Annuelle"),
)


def _financements(as_of: date) -> list[list[object]]:
    rows: list[list[object]] = [
        ["Financeur", "Nom", "Type", "Convention", "Début", "Fin", "Programmes", "Antennes",
         "Axes", "Montant (EUR)", "Indicateurs", "Fréquence"],
    ]
    for code, name, kind, grant, programmes, antennas, axes_, amount, indicators, freq in FUNDERS:
        first = (date(as_of.year - 2, 1, 1) if code == "PIC_IPR"
                 else date(as_of.year - 1, 7 if code == "FONDATION_AVENIR" else 1, 1))
        last = date(as_of.year + (0 if code == "PIC_IPR" else 1), 12, 31)
        rows.append([code, name, kind, grant, first, last, programmes, antennas, axes_,
                     f"{amount:,}".replace(",", " "), indicators, freq])
    return rows


def _funder_targets(as_of: date) -> list[list[object]]:
    """Targets of the private funders' reports (`financeur`), beside the organisation's."""
    rows: list[list[object]] = [["Indicateur", "Programme", "Antenne", "Année", "Trimestre",
                                 "Cible", "Financeur"]]
    for year in (as_of.year - 1, as_of.year):
        rows += [["ENT", "AVEC", "PARIS", year, None, 60, "FONDATION_AVENIR"],
                 ["SD_SORTIE", "AVEC", "PARIS", year, None, 60, "FONDATION_AVENIR"],
                 ["EMP_SORTIE", "AVEC", "PARIS", year, None, Percent(0.45), "FONDATION_AVENIR"],
                 ["ENT_F", "SOCLE", "BORDEAUX", year, None, 25, "FONDATION_HORIZONS"],
                 ["SD_SORTIE", "SOCLE", "BORDEAUX", year, None, 50, "FONDATION_HORIZONS"]]
    return rows


# Yearly budget per axis (EUR) — the PIC carries most of it; lines per programme and antenna for
# the accompaniment axes, whole-organisation lines for the others.
BUDGET_LINES = (
    # axis, programme, antenna, funder, yearly budget
    ("1", "AVEC", "PARIS", "FONDATION_AVENIR", 60_000),
    ("AVEC", "AVEC", "BORDEAUX", "PIC_IPR", 90_000),
    ("2", "SOCLE", "PARIS", "PIC_IPR", 240_000),
    ("SOCLE", "SOCLE", "BORDEAUX", "PIC_IPR", 160_000),
    ("SOCLE", "SOCLE_FEMMES", "PARIS", "PIC_IPR", 70_000),
    ("2", "SOCLE", "BORDEAUX", "FONDATION_HORIZONS", 30_000),
    ("INNOVATION", "TOUS", "TOUTES", "PIC_IPR", 45_000),
    ("4", "TOUS", "TOUTES", "PIC_IPR", 35_000),
    ("SEA", None, None, "PIC_IPR", 55_000),
    ("COORDINATION", "TOUS", "TOUTES", None, 85_000),
    ("ESSAIMAGE", "TOUS", "NANTES", "FONDATION_HORIZONS", 50_000),
    ("7", "TOUS", "LILLE", None, 20_000),
)


def _budget(as_of: date, rng: random.Random) -> list[list[object]]:
    """Two years: yearly lines for the past year, quarterly lines for the current one."""
    rows: list[list[object]] = [
        ["Année", "Trimestre", "Axe", "Programme", "Antenne", "Financeur", "Budget (EUR)",
         "Dépense (EUR)"],
    ]
    current = _quarter_start(as_of)
    for axis, programme, antenna, funder, yearly in BUDGET_LINES:
        spent = round(yearly * rng.uniform(0.82, 1.04), -2)
        rows.append([as_of.year - 1, None, axis, programme, antenna, funder, yearly, spent])
        for quarter in range(1, 5):
            start = date(as_of.year, 3 * quarter - 2, 1)
            budget = round(yearly / 4, -2)
            if start > current:  # planned, not spent yet
                rows.append([as_of.year, f"T{quarter}", axis, programme, antenna, funder, budget,
                             None])
                continue
            spending = round(budget * rng.uniform(0.55 if start == current else 0.8, 1.05), -2)
            rows.append([as_of.year, quarter, axis, programme, antenna, funder, budget,
                         spending])
    # A correction booked on its own line (negative spending, refund of an overpaid invoice).
    rows.append([as_of.year - 1, None, "COORDINATION", "TOUS", "TOUTES", "PIC_IPR", None,
                 "-1 250,00"])
    return rows


def _satisfaction(people: list[dict], as_of: date, rng: random.Random) -> list[list[object]]:
    """A few hundred anonymous answers over a year, at the programme and antenna of a person
    active that day (no id: the survey is anonymous)."""
    rows: list[list[object]] = [
        ["Date", "Programme", "Antenne", "Moment", "Note globale", "Accueil", "Ateliers",
         "Accompagnement individuel", "Recommande", "Commentaire"],
    ]
    remarks = ("Merci pour l'accueil.", "Les ateliers CV m'ont beaucoup aidé.",
               "Plus de cours de français, s'il vous plaît.", "Horaires difficiles avec les "
               "enfants.", None, None, None)
    for offset in range(365, -1, -1):
        day = as_of - timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        active = [p for p in people if _active(p, day)]
        for person in rng.sample(active, min(len(active), rng.choice((0, 0, 1, 1, 2)))):
            moment = rng.choices(("en_cours", "Sortie", "six mois"), (60, 30, 10))[0]
            overall = rng.choices((1, 2, 3, 4, 5), (3, 6, 16, 40, 35))[0]
            parts = [None if rng.random() < 0.15 else min(5, max(1, overall + rng.randint(-1, 1)))
                     for _ in range(3)]
            recommends = (None if rng.random() < 0.1 else
                          ("oui" if overall >= 3 or rng.random() < 0.3 else "non"))
            rows.append([day, person["programme"], person["antenna"], moment, overall, *parts,
                         recommends, rng.choice(remarks)])
    return rows


def _retours(as_of: date, rng: random.Random) -> list[list[object]]:
    """Feedback of every type and category, answered in 2 to 45 days or still open; one
    sensitive report (signalement / discrimination)."""
    rows: list[list[object]] = [
        ["ID", "Date réception", "Canal", "Type", "Catégorie", "Programme", "Antenne",
         "Émetteur", "Date réponse", "Statut", "Description", "Suite donnée"],
    ]
    kinds = (
        ("plainte", "accueil", "participant", "Attente trop longue à l'accueil."),
        ("suggestion", "ateliers", "participant", "Proposer un atelier sur le permis de "
         "conduire."),
        ("felicitation", "accompagnement", "participant", "Merci à l'équipe pour son soutien."),
        ("plainte", "orientation_emploi", "entreprise", "Candidats orientés sans le niveau de "
         "français demandé."),
        ("suggestion", "accompagnement", "partenaire", "Partager les dates de sortie avec le "
         "partenaire formation."),
        ("felicitation", "ateliers", "benevole", "Très bonne dynamique de groupe."),
        ("plainte", "ateliers", "participant", "Salle trop petite pour l'atelier numérique."),
        ("suggestion", "autre", "autre", "Traduire la plaquette en dari et en tigrinya."),
        ("signalement", "accueil", "benevole", "Rampe d'accès abîmée devant l'entrée."),
        ("plainte", "securite", "participant", "Parking mal éclairé le soir après l'atelier."),
    )
    channels = ("Oral", "Écrit", "email", "Boîte à idées", "Enquête", "Téléphone")
    for number, offset in enumerate(range(330, 0, -11), start=1):
        received = as_of - timedelta(days=offset)
        kind, category, sender, text = kinds[number % len(kinds)]
        delay = rng.choice((2, 5, 9, 14, 21, 30, 31, 45, None))
        answered = received + timedelta(days=delay) if delay is not None else None
        if answered is not None and answered > as_of:
            answered = None
        status = ("clos" if answered and rng.random() < 0.7 else
                  "traite" if answered else "ouvert")
        programme = rng.choice(PROGRAMMES) if sender == "participant" else "TOUS"
        antenna = rng.choice(ANTENNAS) if rng.random() < 0.8 else "TOUTES"
        follow = "Réponse écrite envoyée." if answered else None
        rows.append([f"RET-{number:03d}", received, channels[number % len(channels)], kind,
                     category, programme, antenna, sender, answered, status, text, follow])
    # The sensitive report: counted, never listed outside raw (its text stays there).
    received = as_of - timedelta(days=40)
    rows.append(["RET-900", received, "Oral", "Signalement", "Discrimination", "SOCLE", "PARIS",
                 "participant", received + timedelta(days=3), "traite",
                 "Propos discriminatoires rapportés lors d'un entretien chez un employeur.",
                 "Entretien avec la personne, employeur alerté, suivi par la direction."])
    return rows


def _temoignages(as_of: date) -> list[list[object]]:
    """Anonymised testimonies; some with written consent, one without, one consent not dated,
    one withdrawn (turned to `non`)."""
    def at(months: int, day: int = 10) -> date:
        return _months_after(as_of, months, day)

    return [
        ["ID", "Date", "Programme", "Antenne", "Texte", "Consentement", "Date consentement",
         "Thème"],
        ["TEM-01", at(-10), "SOCLE", "PARIS", "Au début je n'osais pas parler. Les ateliers "
         "m'ont donné confiance, aujourd'hui je travaille dans la logistique.", "oui", at(-10, 12),
         "confiance"],
        ["TEM-02", at(-8), "AVEC", "BORDEAUX", "Mon diplôme n'était pas reconnu. Avec ma "
         "conseillère, j'ai trouvé une formation qualifiante d'aide-soignante.", "oui",
         at(-8, 20), "premier_emploi"],
        ["TEM-03", at(-6), "SOCLE_FEMMES", "PARIS", "Le groupe de femmes m'a permis de sortir "
         "de chez moi et de parler français tous les jours.", "non", None, "francais"],
        ["TEM-04", at(-4), "SOCLE", "BORDEAUX", "J'ai signé mon premier contrat en France, un "
         "CDD de six mois dans une entreprise du bâtiment.", "oui", None, "premier_emploi"],
        ["TEM-05", at(-3), "AVEC", "PARIS", "Le mentorat avec une cadre de l'entreprise m'a "
         "aidé à comprendre les codes du travail en France.", "oui", at(-3, 15), "mentorat"],
        ["TEM-06", at(-2), "SOCLE", "PARIS", "Les cours de français à visée professionnelle "
         "m'ont préparé aux entretiens.", "non", at(-2, 12), "francais"],
    ]


# -- entry point ---------------------------------------------------------------------------------
def write_demo_spreadsheets(folder: Path, participants: list[dict], *, as_of: date,
                            seed: int = 7) -> list[Path]:
    """Write the demo shared folder under `folder`; returns the files written, sorted.

    `participants`: dicts with `participant_id`, `antenna`, `programme`, `start_date`, `end_date`
    (dates; `end_date` may be None), one per enrolment, as the fake CRM has them.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    people = sorted(
        (p for p in participants if p["start_date"] <= as_of),
        key=lambda p: (str(p["participant_id"]), p["start_date"]),
    )
    names = {p["participant_id"]: f"{rng.choice(FIRST_NAMES)} {chr(rng.randint(65, 90))}."
             for p in people}
    written = [
        _write_xlsx(folder / f"Objectifs {as_of.year}.xlsx", "objectifs",
                    [("Objectifs", _objectifs(people, as_of, rng)),
                     ("Notes", [["Les taux sont en %"], ["Mise à jour après chaque COPIL"]])],
                    date(as_of.year, 1, 20) if as_of >= date(as_of.year, 1, 20) else as_of),
        *_emargements(folder, people, as_of, rng, names),
        _write_xlsx(folder / "suivi post-parcours.xlsx", "suivi_post_parcours",
                    [("Appels", _suivi(people, as_of, rng))], as_of),
        _write_xlsx(folder / "capitalisation.xlsx", "capitalisation",
                    [("Fiches", _capitalisation(as_of))], as_of),
        _write_xlsx(folder / "recommandations.xlsx", "recommandations",
                    [("Suivi", _recommandations(as_of))], as_of),
        _write_xlsx(folder / "plan_evaluation.xlsx", "plan_evaluation",
                    [("Plan", _plan_evaluation(as_of))], as_of),
        _write_xlsx(folder / "plan_action.xlsx", "plan_action",
                    [("Chronogramme", _plan_action(as_of))], as_of),
    ]
    more = random.Random(seed * 1000 + 27)  # its own draws: the files above stay as they were
    written += [
        _write_xlsx(folder / "communication.xlsx", "communication",
                    [("Actions", _communication(as_of, more))], as_of),
        _write_xlsx(folder / "jalons.xlsx", "jalons", [("Jalons", _jalons(as_of))], as_of),
        _write_xlsx(folder / "financements.xlsx", "financements",
                    [("Conventions", _financements(as_of))], as_of),
        _write_xlsx(folder / "Objectifs financeurs.xlsx", "objectifs",
                    [("Cibles", _funder_targets(as_of))], as_of),
        _write_xlsx(folder / "budget.xlsx", "budget", [("Budget", _budget(as_of, more))], as_of),
        _write_xlsx(folder / "satisfaction.xlsx", "satisfaction",
                    [("Réponses", _satisfaction(people, as_of, more))], as_of),
        _write_xlsx(folder / "retours.xlsx", "retours", [("Retours", _retours(as_of, more))],
                    as_of),
        _write_xlsx(folder / "Témoignages.xlsx", "temoignages",
                    [("Témoignages", _temoignages(as_of))], as_of),
    ]
    return sorted(written)
