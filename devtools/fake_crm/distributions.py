"""Weighted value lists that make the synthetic population look like AERé's.

The weights are plausible orders of magnitude for a French refugee-employment association
(mostly Afghan, Sudanese and Eritrean men, a women-only programme, two antennas), chosen so that
every indicator of ``docs/indicators.md`` has something to count. They are not statistics of any
real organisation.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any


class Weighted:
    """Draws one value with a single ``random()`` call (cheaper than ``random.choices``)."""

    __slots__ = ("values", "cum")

    def __init__(self, pairs: Sequence[tuple[Any, float]]) -> None:
        self.values = [value for value, _ in pairs]
        self.cum: list[float] = []
        total = 0.0
        for _, weight in pairs:
            total += weight
            self.cum.append(total)

    def pick(self, rng: random.Random) -> Any:
        return self.values[bisect_right(self.cum, rng.random() * self.cum[-1])]

    def with_value(self, value: Any, weight: float) -> Weighted:
        """A copy with one more value (used to open a new antenna)."""
        pairs = [
            (v, c - (self.cum[i - 1] if i else 0.0))
            for i, (v, c) in enumerate(zip(self.values, self.cum, strict=True))
        ]
        return Weighted([*pairs, (value, weight)])


PROGRAMMES = Weighted([("SOCLE", 45), ("SOCLE_FEMMES", 15), ("AVEC", 35), ("PASS_NUMERIQUE", 5)])
ANTENNAS = [("PARIS", 65), ("BORDEAUX", 35)]
SEX = Weighted([("M", 71), ("F", 27), ("X", 0.6), (None, 1.4)])

NATIONALITIES = Weighted(
    [
        ("AFG", 27),
        ("SDN", 14),
        ("ERI", 10),
        ("SYR", 8),
        ("UKR", 8),
        ("GIN", 6),
        ("CIV", 4.5),
        ("TUR", 4),
        ("IRN", 4),
        ("SOM", 2.5),
        ("ETH", 2),
        ("COD", 2),
        ("IRQ", 1.5),
        ("PAK", 1.5),
        ("BGD", 1),
        ("RUS", 1),
        ("YEM", 0.7),
        ("XKX", 0.3),
        ("XXA", 0.8),
        ("XXB", 0.5),
        ("XXC", 0.2),
        ("XXX", 0.8),
        (None, 1.2),
    ]
)
PROTECTION = Weighted(
    [
        ("refugie", 58),
        ("protection_subsidiaire", 32),
        ("apatride", 1),
        ("autre", 4),
        (None, 5),
    ]
)
FRENCH_LEVEL = Weighted(
    [
        ("A0", 10),
        ("A1", 24),
        ("A2", 26),
        ("B1", 20),
        ("B2", 12),
        ("C1", 4),
        ("C2", 1),
        (None, 3),
    ]
)
FRENCH_LEVEL_AVEC = Weighted(
    [
        ("A1", 6),
        ("A2", 22),
        ("B1", 34),
        ("B2", 24),
        ("C1", 9),
        ("C2", 2),
        (None, 3),
    ]
)
CEFR = ("A0", "A1", "A2", "B1", "B2", "C1", "C2")
EDUCATION = Weighted(
    [
        ("infra3", 24),
        ("3", 19),
        ("4", 21),
        ("5", 12),
        ("6", 12),
        ("7", 6),
        ("8", 1.5),
        (None, 4.5),
    ]
)
REFERRER = Weighted(
    [
        ("france_travail", 30),
        ("mission_locale", 12),
        ("cada_hebergement", 20),
        ("association", 18),
        ("bouche_a_oreille", 12),
        ("autre", 4),
        (None, 4),
    ]
)
TRI_BOOL_QPV = Weighted([(True, 25), (False, 70), (None, 5)])
TRI_BOOL_RQTH = Weighted([(True, 5), (False, 90), (None, 5)])

EXIT_REASONS = Weighted(
    [
        ("completed", 34),
        ("job_found", 25),
        ("training_found", 15),
        ("dropout", 15),
        ("relocation", 5),
        ("other", 5),
        (None, 1),
    ]
)
#: probability that an ended enrolment has an outcome situation, by exit reason
OUTCOME_RATE = {
    "completed": 0.5,
    "job_found": 0.92,
    "training_found": 0.9,
    "dropout": 0.15,
    "relocation": 0.2,
    "other": 0.25,
    None: 0.4,
}
KIND_BY_EXIT = {
    "job_found": Weighted([("employment", 86), ("business_creation", 9), ("training", 5)]),
    "training_found": Weighted([("training", 90), ("employment", 10)]),
    None: Weighted([("employment", 60), ("training", 35), ("business_creation", 5)]),
}
CONTRACTS = Weighted(
    [
        ("CDI", 22),
        ("CDD", 35),
        ("INTERIM", 15),
        ("ALTERNANCE", 8),
        ("IAE", 13),
        ("AUTRE", 7),
    ]
)
CDD_MONTHS = Weighted(
    [(1, 8), (2, 10), (3, 14), (4, 8), (5, 5), (6, 20), (7, 5), (9, 8), (12, 12), (18, 5)]
)
TRAINING_TYPES = Weighted(
    [
        ("qualifying", 35),
        ("certifying", 25),
        ("pre_qualifying", 20),
        ("non_qualifying", 20),
    ]
)
HOURS = Weighted([(35, 55), (24, 10), (28, 8), (30, 8), (39, 5), (20, 5), (17.5, 3), (None, 6)])
ROME_CODES = (
    "K2204",
    "N1103",
    "H2913",
    "G1602",
    "G1603",
    "F1703",
    "F1704",
    "J1301",
    "N4101",
    "N4105",
    "K1304",
    "I1203",
    "H3302",
    "M1607",
    "D1106",
    "A1203",
    "G1803",
    "K1302",
    "H2102",
    "I1604",
)
ACTIVITY_TYPES = {
    "default": Weighted(
        [
            ("individual_meeting", 35),
            ("workshop", 24),
            ("french_course", 26),
            ("mentoring", 12),
            ("job_dating", 2),
            ("company_visit", 1),
        ]
    ),
    "AVEC": Weighted(
        [
            ("individual_meeting", 38),
            ("workshop", 25),
            ("french_course", 8),
            ("mentoring", 24),
            ("job_dating", 3),
            ("company_visit", 2),
        ]
    ),
}
DURATION_RANGE = {
    "individual_meeting": (30, 90),
    "workshop": (90, 180),
    "french_course": (120, 180),
    "mentoring": (45, 120),
    "job_dating": (60, 180),
    "company_visit": (90, 180),
    "employer_awareness": (60, 150),
    "followup_contact": (10, 30),
}
EMPLOYER_EVENTS = Weighted([("employer_awareness", 40), ("job_dating", 35), ("company_visit", 25)])
SIZE_BANDS = Weighted(
    [
        ("1-9", 25),
        ("10-49", 30),
        ("50-249", 20),
        ("250-4999", 15),
        ("5000+", 7),
        (None, 3),
    ]
)
#: (name prefix, NAF code) of synthetic employers
SECTORS = (
    ("Restaurant", "5610A"),
    ("Boulangerie", "1071C"),
    ("Hôtel", "5510Z"),
    ("Nettoyage", "8121Z"),
    ("Transports", "4941A"),
    ("Logistique", "5210B"),
    ("Bâtiment", "4120A"),
    ("Plomberie", "4322A"),
    ("Supermarché", "4711D"),
    ("Aide à domicile", "8810A"),
    ("Clinique", "8610Z"),
    ("Garage", "4520A"),
    ("Informatique", "6202A"),
    ("Sécurité", "8010Z"),
    ("Espaces verts", "8130Z"),
)
COMPANY_SUFFIXES = (
    "du Centre",
    "de la Garonne",
    "des Quais",
    "Lumière",
    "Atlantique",
    "Martin",
    "Dupont",
    "Bernard",
    "Moreau",
    "Lefebvre",
    "Saint-Michel",
    "République",
    "Bastille",
    "Chartrons",
    "Mériadeck",
    "Belleville",
    "Nation",
    "Horizon",
    "Avenir",
    "Solidaire",
)
COMPANY_FORMS = ("", "", " SAS", " SARL", " SA", " & Fils")

FIRST_NAMES_M = (
    "Mohammad",
    "Ahmad",
    "Abdul",
    "Mustafa",
    "Ali",
    "Hamid",
    "Yonas",
    "Tesfay",
    "Omar",
    "Ibrahim",
    "Mamadou",
    "Oleksandr",
    "Dmytro",
    "Hassan",
    "Karim",
    "Samir",
    "Yusuf",
    "Bilal",
    "Aziz",
    "Abdallah",
    "Idriss",
    "Moussa",
    "Reza",
    "Mehdi",
    "Ousmane",
    "Habib",
    "Jamal",
    "Khalid",
    "Said",
    "Amanuel",
    "Dawit",
    "Alassane",
    "Sekou",
    "Mahmoud",
    "Faisal",
    "Murat",
)
FIRST_NAMES_F = (
    "Fatima",
    "Aisha",
    "Maryam",
    "Zahra",
    "Amina",
    "Olena",
    "Iryna",
    "Kateryna",
    "Selam",
    "Helen",
    "Mariam",
    "Khadija",
    "Nour",
    "Layla",
    "Hawa",
    "Fatoumata",
    "Aminata",
    "Shirin",
    "Parisa",
    "Rahel",
    "Ruth",
    "Sara",
    "Halima",
    "Yasmin",
    "Tetiana",
    "Saba",
    "Hiba",
    "Leila",
)
LAST_NAMES = (
    "Ahmadi",
    "Hosseini",
    "Rahimi",
    "Karimi",
    "Mohammadi",
    "Haidari",
    "Sultani",
    "Noori",
    "Abdallah",
    "Osman",
    "Adam",
    "Ibrahim",
    "Ismail",
    "Tesfaye",
    "Gebremedhin",
    "Haile",
    "Kidane",
    "Berhane",
    "Khalil",
    "Haddad",
    "Hamdan",
    "Shevchenko",
    "Kovalenko",
    "Bondarenko",
    "Melnyk",
    "Diallo",
    "Bah",
    "Camara",
    "Kone",
    "Traore",
    "Yilmaz",
    "Kaya",
    "Demir",
    "Rostami",
    "Ghorbani",
    "Mohamud",
    "Warsame",
    "Hussain",
    "Mukendi",
    "Rahman",
)
NOTES = (
    "Souhaite travailler dans la restauration.",
    "Besoin d'un accompagnement sur le CV.",
    "Garde d'enfants à organiser avant l'entrée en formation.",
    "Disponible à partir de septembre.",
    "Permis de conduire en préparation.",
    "A déménagé, nouvelle adresse à confirmer.",
    "Intéressé par le BTP, expérience de maçon au pays.",
    "Rendez-vous reporté à sa demande.",
    "Démarches d'équivalence de diplôme en cours.",
    "Orientée vers un atelier numérique.",
)
