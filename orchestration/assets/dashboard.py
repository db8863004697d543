"""Published state → the built-in dashboard (*tableau de bord*), after each successful publication.

The asset `publication/dashboard` depends on `publication/published_marts` and regenerates
`SEA_INTERNAL_DIR/tableau_de_bord.html` from what readers see (reports/dashboard, reading the
published file or schema, never the warehouse's marts): the page shows the published state and
its date, as a BI tool would.

It runs only when the publication step materialised: a night whose `error` checks withhold
publication yields no output from `published_marts`, and Dagster skips this step — the file
stays, byte for byte, the dashboard of the publication readers keep. A skipped step says nothing
in French, so the hook `dashboard_kept` (applied to `published_marts` where the definitions are
built) logs, at the end of a publication step that did not publish, that the dashboard is
unchanged and which data it shows. The page is written beside the old one and renamed onto it:
someone opening it from the shared folder gets the previous page or the new one, never half.
"""

import os
import uuid
from pathlib import Path

from dagster import (
    AssetExecutionContext,
    DagsterEventType,
    DagsterInstance,
    HookContext,
    MaterializeResult,
    MetadataValue,
    asset,
    failure_hook,
    success_hook,
)

from common.publication import read_publication
from common.settings import Settings
from orchestration.assets.raw_crm import OWNERS
from orchestration.publication import GROUP, PUBLISHED_KEY
from orchestration.resources import SeaSettingsResource

DASHBOARD_FILE = "tableau_de_bord.html"
DASHBOARD_STEP = "publication__dashboard"
PUBLICATION_STEP = "publication__published_marts"


def dashboard_path(settings: Settings) -> Path:
    """Where the dashboard is: the internal folder (staff only; small counts allowed there)."""
    return settings.internal_dir / DASHBOARD_FILE


def write_dashboard(settings: Settings) -> Path:
    """Build the dashboard of the published state and rename it onto `dashboard_path`."""
    from reports.dashboard import build_dashboard  # its libraries loaded only when it runs

    target = dashboard_path(settings)
    target.parent.mkdir(parents=True, exist_ok=True)
    building = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.building")
    try:
        build_dashboard(settings.warehouse, settings.published, building)
        os.replace(building, target)
    finally:
        building.unlink(missing_ok=True)
    return target


@asset(
    key=["publication", "dashboard"], group_name=GROUP, owners=OWNERS,
    deps=[PUBLISHED_KEY],
    description=(
        "Tableau de bord interne (tableau_de_bord.html dans SEA_INTERNAL_DIR) : une page qui "
        "s'ouvre d'un double-clic, sans serveur ni internet — indicateurs et cibles, "
        "tendances, résultats à la sortie et à 6 mois, qualité des données par antenne, "
        "calendrier des évaluations et recommandations. Régénéré depuis la publication pour "
        "les lecteurs, seulement après une publication réussie : quand la publication est "
        "retenue, le fichier reste celui de la publication en place, dont il affiche la date."),
)
def dashboard(context: AssetExecutionContext,
              sea_settings: SeaSettingsResource) -> MaterializeResult:
    settings = sea_settings.settings
    current = read_publication(settings.warehouse, settings.published)
    try:
        path = write_dashboard(settings)
    except Exception as exc:
        context.log.error(f"Tableau de bord non régénéré : {exc} ; le fichier précédent reste "
                          f"en place ({dashboard_path(settings)}).")
        raise
    as_of = str(current.as_of) if current else "?"
    context.log.info(f"Tableau de bord mis à jour (données au {as_of}) : {path}")
    return MaterializeResult(metadata={
        "fichier": MetadataValue.path(str(path)),
        "ouvrir": MetadataValue.url(path.resolve().as_uri()),  # a link the UI makes clickable
        "date d'arrêté": as_of,
        "taille (octets)": path.stat().st_size,
    })


def _published_in_run(instance: DagsterInstance, run_id: str) -> bool:
    return any(entry.dagster_event and entry.dagster_event.asset_key == PUBLISHED_KEY
               for entry in instance.all_logs(run_id,
                                              of_type=DagsterEventType.ASSET_MATERIALIZATION))


def _kept_message(settings: Settings) -> str:
    path = dashboard_path(settings)
    current = read_publication(settings.warehouse, settings.published)
    if not path.is_file():
        return ("Tableau de bord pas encore produit : rien n'est encore publié."
                if current is None else
                "Tableau de bord pas encore produit : il le sera à la prochaine publication.")
    shows = f"les données au {current.as_of}" if current else "la publication précédente"
    return f"Tableau de bord inchangé (publication retenue) : {path} montre toujours {shows}."


def _say_dashboard_kept(context: HookContext) -> None:
    if context.step_key != PUBLICATION_STEP:
        return
    if _published_in_run(context.instance, context.run_id):
        return
    settings = context.resources.sea_settings.settings
    context.log.warning(_kept_message(settings))


@success_hook(name="dashboard_kept_after_withheld_publication",
              required_resource_keys={"sea_settings"})
def dashboard_kept(context: HookContext) -> None:
    """A publication step that withheld publication: the run says the dashboard is unchanged."""
    _say_dashboard_kept(context)


@failure_hook(name="dashboard_kept_after_failed_publication",
              required_resource_keys={"sea_settings"})
def dashboard_kept_on_failure(context: HookContext) -> None:
    """A publication that failed (the previous one kept): the dashboard is unchanged too."""
    _say_dashboard_kept(context)


DASHBOARD_HOOKS = {dashboard_kept, dashboard_kept_on_failure}


def dashboard_line(instance: DagsterInstance, run_id: str, settings: Settings) -> str:
    """What a refresh says about the dashboard, in French (`make refresh`, `make demo`)."""
    if any(entry.step_key == DASHBOARD_STEP for entry in
           instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)):
        return f"Tableau de bord (double-cliquez pour l'ouvrir) : {dashboard_path(settings)}"
    return _kept_message(settings)
