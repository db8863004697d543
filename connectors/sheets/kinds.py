"""The spreadsheet kinds of `docs/spreadsheets.md`, as data.

A kind says which headers a sheet must have, how each column is typed and checked, and which key
later de-duplication uses. Adding a column or a kind is an edit of this table, not of the loader.
Header names are the normalised names (`names.normalise_name`) of what staff write.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from common.code_lists import codes

# Column types: how a cell is parsed (see `rows.py`) and the SQL type it is stored as.
SQL_TYPES: dict[str, str | None] = {
    "text": "text",
    "date": "date",
    "boolean": "boolean",
    "number": "double precision",
    "integer": "integer",
    "quarter": "integer",  # 1–4, or empty for an annual target
    "target": "double precision",  # a number; `55 %` text or a %-formatted cell sets a flag
    "choice": "text",  # closed list, stored in its listed form
    "choice_list": "text",  # comma-separated closed-list codes, stored joined by `,`
    "open_code": "text",  # programme, antenna: `^[A-Z][A-Z0-9_]*$`
    "indicator": "text",  # an indicator code, checked against the catalogue when known
    "indicator_list": "text",
    "name_code": "text",  # roles and free statuses, stored as normalised names
    "name_code_list": "text",
    "participant": "text",  # the CRM participant id
    "scope_list": "text",  # programme or antenna codes, comma separated, or `TOUS` → `ALL`
    "axis": "text",  # an axis code of the `axes` seed, or its number 1–7 → the code
    "axis_list": "text",
    "optional_boolean": "boolean",  # like boolean, but a blank cell is null (not answered)
    "personal": None,  # personal data we do not need: never read, never stored
}


@dataclass(frozen=True)
class Column:
    """One header of a kind and how its cells are read."""

    header: str
    type: str
    required: bool = False
    choices: tuple[str, ...] = ()
    allow_all: bool = False  # `TOUS`/`TOUTES` → `ALL` (scope codes)
    low: int | None = None
    high: int | None = None
    default: object = None  # value stored when the cell is blank
    stored_as: str | None = None  # warehouse column name when it differs from the header
    situation_part: bool = False  # suivi_post_parcours: a problem here spares the contact

    @property
    def db_name(self) -> str:
        return self.stored_as or self.header

    @property
    def sql_type(self) -> str | None:
        return SQL_TYPES[self.type]

    @property
    def stored(self) -> bool:
        return self.sql_type is not None


@dataclass(frozen=True)
class Kind:
    """A family of spreadsheets sharing headers, e.g. every attendance file."""

    name: str
    label: str  # French, for messages
    columns: tuple[Column, ...]
    dedup_key: tuple[str, ...]  # warehouse columns; applied here for objectifs, later in SQL
    derived: tuple[tuple[str, str], ...] = ()  # (column, SQL type) computed by the loader

    @property
    def table(self) -> str:
        return f"sheet_{self.name}"

    @property
    def headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns)

    @property
    def required_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if c.required)

    @property
    def optional_headers(self) -> tuple[str, ...]:
        return tuple(c.header for c in self.columns if not c.required)

    @property
    def participant_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "participant"), None)

    def column(self, header: str) -> Column:
        return next(c for c in self.columns if c.header == header)


AXES_CSV = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "axes.csv"
# The collection templates' second sheet (connectors/sheets/templates.py): column help for
# staff, never data; the reader passes over it without a word.
HELP_SHEET = "Aide"


@cache
def axes() -> tuple[str, ...]:
    """The seven axes' codes in their order (axis n is `axes()[n - 1]`), from the `axes` seed.

    Read from the seed file, like the code lists, so a number typed by staff and the code the
    marts label mean the same axis.
    """
    with AXES_CSV.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda r: int(r["axis_order"]))
    return tuple(r["axis"] for r in rows)


# Axes whose progress is followed as milestones (`jalons`): the others have their own data.
MILESTONE_AXES = ("INNOVATION", "SEA", "COORDINATION", "ESSAIMAGE")

# Closed lists: the `code_lists` seed (dbt_project/seeds/code_lists.csv), where their French
# labels are too, so the loader accepts exactly what the marts and the deliverables label.
CONTRACTS = codes("contract")
SITUATIONS = codes("followup_situation")
SITUATIONS_WITH_START = ("emploi", "formation", "creation")
TRAINING_TYPES = codes("followup_training_type")
PRIORITIES = codes("priority")
DAC_CRITERIA = codes("dac_criterion")

KINDS: tuple[Kind, ...] = (
    Kind(
        name="objectifs",
        label="objectifs",
        columns=(
            Column("indicateur", "indicator", required=True),
            Column("programme", "open_code", required=True, allow_all=True),
            Column("antenne", "open_code", required=True, allow_all=True),
            Column("annee", "integer", required=True, low=2000, high=2100),
            Column("trimestre", "quarter", low=1, high=4),
            Column("cible", "target", required=True),
            # a target for one funder's report only (`financements`); blank: the organisation's
            Column("financeur", "open_code"),
        ),
        dedup_key=("indicateur", "programme", "antenne", "annee", "trimestre", "financeur"),
        derived=(("cible_is_percent_cell", "boolean"),),
    ),
    Kind(
        name="emargements",
        label="émargements",
        columns=(
            Column("date", "date", required=True),
            Column("antenne", "open_code"),
            Column("atelier", "text"),
            Column("id_crm", "participant", required=True, stored_as="participant_id"),
            Column("nom", "personal"),
            Column("present", "boolean", required=True),
            Column("duree_minutes", "number", default=120.0),
        ),
        dedup_key=("date", "participant_id", "atelier_key"),
        derived=(("atelier_key", "text"),),
    ),
    Kind(
        name="suivi_post_parcours",
        label="suivi post-parcours",
        columns=(
            Column("id_crm", "participant", required=True, stored_as="participant_id"),
            Column("date_contact", "date", required=True),
            Column("joint", "boolean", required=True),
            Column("situation", "choice", choices=SITUATIONS, situation_part=True),
            Column("type_contrat", "choice", choices=CONTRACTS, situation_part=True),
            Column("date_debut", "date", situation_part=True),
            Column("date_fin", "date", situation_part=True),
            Column("type_formation", "choice", choices=TRAINING_TYPES, situation_part=True),
        ),
        dedup_key=("participant_id", "situation", "date_debut"),
        derived=(("situation_quarantined", "boolean"),),
    ),
    Kind(
        name="capitalisation",
        label="capitalisation",
        columns=(
            Column("id", "text", required=True),
            Column("date", "date", required=True),
            Column(
                "type",
                "choice",
                required=True,
                choices=codes("lesson_type"),
            ),
            Column("programme", "open_code", allow_all=True),
            Column("antenne", "open_code", allow_all=True),
            Column("titre", "text", required=True),
            Column("contexte", "text"),
            Column("constats", "text"),
            Column("enseignements", "text"),
            Column("indicateurs", "indicator_list"),
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="recommandations",
        label="recommandations",
        columns=(
            Column("id", "text", required=True),
            Column("source_id", "text"),
            Column("recommandation", "text", required=True),
            Column("responsable", "name_code"),
            Column("priorite", "choice", choices=PRIORITIES),
            Column("echeance", "date"),
            Column(
                "statut",
                "choice",
                required=True,
                choices=codes("recommendation_status"),
            ),
            Column("date_statut", "date"),
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="plan_evaluation",
        label="plan d'évaluation",
        columns=(
            Column("id", "text", required=True),
            Column("programme", "open_code", required=True, allow_all=True),
            Column("antenne", "open_code", allow_all=True),
            Column("type", "choice", required=True, choices=codes("evaluation_type")),
            Column("mode", "choice", choices=codes("evaluation_mode")),
            Column("debut_prevu", "date", required=True),
            Column("fin_prevue", "date", required=True),
            Column("criteres", "choice_list", choices=DAC_CRITERIA),
            Column("questions", "text"),
            Column("indicateurs", "indicator_list"),
            Column("statut", "choice", choices=codes("evaluation_status")),
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="plan_action",
        label="plan d'action",
        columns=(
            Column("id", "text", required=True),
            Column("action", "text", required=True),
            Column(
                "axe",
                "choice",
                required=True,
                choices=codes("action_axis"),
            ),
            Column("responsable", "name_code"),
            Column("contributeurs", "name_code_list"),
            Column("priorite", "choice", choices=PRIORITIES),
            Column("debut", "date", required=True),
            Column("fin", "date", required=True),
            Column("statut", "name_code"),
            Column("budget_eur", "number"),
            Column("jours_homme", "number"),
        ),
        dedup_key=("id",),
    ),
    # -- the whole association (issue 27): axes 3–7, funders, costs, the participants' voice --
    Kind(
        name="communication",
        label="communication",
        columns=(
            Column("id", "text", required=True),
            Column("date", "date", required=True),
            Column("date_fin", "date"),
            Column("type", "choice", required=True, choices=codes("communication_type")),
            Column("antenne", "open_code", required=True, allow_all=True),
            Column("public", "choice", required=True, choices=codes("communication_audience")),
            Column("titre", "text", required=True),
            Column("personnes_touchees", "integer", low=0),  # blank = unknown, not 0
            Column("entreprises_touchees", "integer", low=0),
            Column("lien", "text"),
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="jalons",
        label="jalons",
        columns=(
            Column("id", "text", required=True),
            Column("axe", "axis", required=True, choices=MILESTONE_AXES),
            Column("jalon", "text", required=True),
            Column("territoire", "open_code"),
            Column("etape", "choice", choices=codes("milestone_stage")),
            Column("date_prevue", "date", required=True),
            Column("date_reelle", "date"),
            Column("statut", "choice", required=True, choices=codes("milestone_status")),
            Column("responsable", "name_code"),
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="financements",
        label="financements",
        columns=(
            Column("financeur", "open_code", required=True),
            Column("nom", "text", required=True),
            Column("type", "choice", required=True, choices=codes("funder_type")),
            Column("convention", "text", required=True),
            Column("debut", "date", required=True),
            Column("fin", "date", required=True),
            Column("programmes", "scope_list", required=True, allow_all=True),
            Column("antennes", "scope_list", required=True, allow_all=True),
            Column("axes", "axis_list"),  # blank: the axes of the programmes (resolved in SQL)
            Column("montant_eur", "number"),
            Column("indicateurs", "indicator_list", required=True),
            Column("frequence", "choice", choices=codes("report_frequency"),
                   default="annuelle"),
        ),
        dedup_key=("financeur", "convention"),
    ),
    Kind(
        name="budget",
        label="budget",
        columns=(
            Column("annee", "integer", required=True, low=2000, high=2100),
            Column("trimestre", "quarter", low=1, high=4),  # blank: the whole year
            Column("axe", "axis", required=True),
            Column("programme", "open_code", allow_all=True, default="ALL"),
            Column("antenne", "open_code", allow_all=True, default="ALL"),
            Column("financeur", "open_code"),
            Column("budget_eur", "number"),  # negative: a correction, flagged (warn) in staging
            Column("depense_eur", "number"),
        ),
        dedup_key=("annee", "trimestre", "axe", "programme", "antenne", "financeur"),
    ),
    Kind(
        name="satisfaction",
        label="satisfaction",
        columns=(
            Column("date", "date", required=True),
            Column("programme", "open_code", required=True, allow_all=True),
            Column("antenne", "open_code", required=True, allow_all=True),
            Column("moment", "choice", required=True, choices=codes("survey_moment")),
            Column("note_globale", "integer", required=True, low=1, high=5),
            Column("accueil", "integer", low=1, high=5),  # blank: not answered
            Column("ateliers", "integer", low=1, high=5),
            Column("accompagnement_individuel", "integer", low=1, high=5),
            Column("recommande", "optional_boolean"),  # blank: not answered (not `non`)
            Column("commentaire", "text"),  # may name people: raw only, never staged
            # The survey is anonymous: an id typed anyway is never read nor stored, only flagged.
            Column("id_crm", "personal"),
        ),
        dedup_key=("date", "programme", "antenne", "moment", "note_globale", "source_row"),
        derived=(("id_crm_filled", "boolean"),),
    ),
    Kind(
        name="retours",
        label="retours",
        columns=(
            Column("id", "text", required=True),
            Column("date_reception", "date", required=True),
            Column("canal", "choice", required=True, choices=codes("feedback_channel")),
            Column("type", "choice", required=True, choices=codes("feedback_type")),
            Column("categorie", "choice", required=True, choices=codes("feedback_category")),
            Column("programme", "open_code", allow_all=True),
            Column("antenne", "open_code", allow_all=True),
            Column("emetteur", "choice", choices=codes("feedback_sender")),
            Column("date_reponse", "date"),
            Column("statut", "choice", required=True, choices=codes("feedback_status")),
            Column("description", "text"),  # may name people: raw only, never staged
            Column("suite_donnee", "text"),  # idem
        ),
        dedup_key=("id",),
    ),
    Kind(
        name="temoignages",
        label="témoignages",
        columns=(
            Column("id", "text", required=True),
            Column("date", "date", required=True),
            Column("programme", "open_code", required=True, allow_all=True),
            Column("antenne", "open_code", required=True, allow_all=True),
            Column("texte", "text", required=True),  # staged only with consent (see staging)
            Column("consentement", "boolean", required=True),
            Column("date_consentement", "date"),
            Column("theme", "name_code"),
        ),
        dedup_key=("id",),
    ),
)

KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def kind_for_name(normalised: str) -> Kind | None:
    """The kind whose name the normalised file or folder name starts with."""
    return next((k for k in KINDS if normalised.startswith(k.name)), None)
