"""Demo spreadsheets that read like AERé's shared folder, generated from the fake CRM's people.

They exercise what real files do — a title line above the header, accents and odd capitals in
headers, dates typed three ways, a Windows-1252 CSV, a row pasted into two monthly files, `TOUS`
for a scope, rate targets typed as 55, as `0,55` or in a %-formatted cell — plus a few bad rows
(warn class only) so the quarantine has something to show. Deterministic for a seed: the same
participants, `as_of` and seed give the same cells and the same file modification times.
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
from pathlib import Path

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


def _write_xlsx(path: Path, sheets: Sequence[tuple[str, list[list[object]]]],
                modified: date) -> Path:
    """Write rows as given; `Percent` cells get a % format, dates a French date format."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    fixed = datetime.combine(modified, time(12, 0))
    book.properties.created = fixed
    book.properties.modified = fixed
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append([c.value if isinstance(c, Percent) else c for c in row])
            for cell, value in zip(sheet[sheet.max_row], row, strict=False):
                if isinstance(value, Percent):
                    cell.number_format = "0%"
                elif isinstance(value, date):
                    cell.number_format = "DD/MM/YYYY"
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    book.save(buffer)
    path.write_bytes(_frozen_zip(buffer.getvalue(), fixed))
    _touch(path, modified)
    return path


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
        ["Objectifs SEA — AERé (validés en comité de pilotage)"],
        [],
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
        written.append(_write_xlsx(path, [("Émargements", [headers, *shown])], modified))
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
        _write_xlsx(folder / f"Objectifs {as_of.year}.xlsx",
                    [("Objectifs", _objectifs(people, as_of, rng)),
                     ("Notes", [["Les taux sont en %"], ["Mise à jour après chaque COPIL"]])],
                    date(as_of.year, 1, 20) if as_of >= date(as_of.year, 1, 20) else as_of),
        *_emargements(folder, people, as_of, rng, names),
        _write_xlsx(folder / "suivi post-parcours.xlsx",
                    [("Appels", _suivi(people, as_of, rng))], as_of),
        _write_xlsx(folder / "capitalisation.xlsx", [("Fiches", _capitalisation(as_of))],
                    as_of),
        _write_xlsx(folder / "recommandations.xlsx", [("Suivi", _recommandations(as_of))],
                    as_of),
        _write_xlsx(folder / "plan_evaluation.xlsx", [("Plan", _plan_evaluation(as_of))],
                    as_of),
        _write_xlsx(folder / "plan_action.xlsx", [("Chronogramme", _plan_action(as_of))],
                    as_of),
    ]
    return sorted(written)
