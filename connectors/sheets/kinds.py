"""The spreadsheet kinds of `docs/spreadsheets.md`, as data.

A kind says which headers a sheet must have, how each column is typed and checked, and which key
later de-duplication uses. Adding a column or a kind is an edit of this table, not of the loader.
Header names are the normalised names (`names.normalise_name`) of what staff write.
"""

from __future__ import annotations

from dataclasses import dataclass

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
        ),
        dedup_key=("indicateur", "programme", "antenne", "annee", "trimestre"),
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
)

KINDS_BY_NAME: dict[str, Kind] = {k.name: k for k in KINDS}


def kind_for_name(normalised: str) -> Kind | None:
    """The kind whose name the normalised file or folder name starts with."""
    return next((k for k in KINDS if normalised.startswith(k.name)), None)
