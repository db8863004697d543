"""Marts → published state for readers, last step of the nightly refresh, only when the run's
checks allow it (write – audit – publish; common/publication.py does the swap).

The asset `publication/published_marts` depends on every mart and on the reference seeds readers
need, and runs after every check of the run: its step has the lowest priority of the job, so
Dagster's in-process executor starts it only when no other step is ready — and every check step
is ready once the dbt step has finished. It then reads the run's own check evaluations:

- an `error` check failed, or a planned check has no evaluation (it could not run): nothing is
  published, the run says so in French (an error line naming the checks) and records an
  *observation* of the asset with the reason — no materialisation, so the UI keeps showing the
  last real publication as the asset's latest materialisation; participants erased since that
  publication are taken out of it all the same (erasure does not wait for a clean night);
- otherwise the marts are published and the asset is materialised, with what readers now see.

A failed *blocking* check (the marts' `error` checks) fails its step and Dagster skips this one:
the run then ends as failed, and `publication_line` (orchestration/publication.py) says
publication was withheld.

A withheld publication is also sent as one alert (e-mail, webhook) naming the failed checks and
their antennas (orchestration/alerts.py); a failed run is alerted by its command or the
run-failure sensor instead.
"""

from collections.abc import Iterator

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)
from dagster._core.storage.tags import PRIORITY_TAG

from common.publication import PublicationError, erase_from_publication, publish, read_publication
from common.settings import Settings
from connectors.pseudonyms import pseudonym
from orchestration.alerts import deliver, failed_checks, withheld_publication_alert
from orchestration.assets.raw_crm import OWNERS
from orchestration.publication import (
    AS_OF_FIELD,
    GROUP,
    KEPT_FIELD,
    PUBLISHED,
    PUBLISHED_KEY,
    WITHHELD,
    check_verdict,
    published_sources,
    withheld_reason,
)
from orchestration.resources import SeaSettingsResource, WarehouseResource

# Read from the dbt manifest at import: this module is imported when definitions are built
# (orchestration/definitions.py), after the project is parsed.
SOURCES = published_sources()


def _erase_from_kept_publication(settings: Settings, warehouse: WarehouseResource) -> int:
    """Erasure reaches the publication readers keep: the rows of every participant of the
    deletion log leave it (common/publication.py, `erase_from_publication`)."""
    with warehouse.get_warehouse() as wh:
        ids = [r[0] for r in wh.fetchall(
            "select distinct id from raw.deletion_log where resource = 'participants'")] \
            if wh.table_exists("raw.deletion_log") else []
        keys = [pseudonym(settings.pseudonym_key, pid) for pid in ids]
        return erase_from_publication(wh, keys, published=settings.published)


@asset(
    key=PUBLISHED_KEY, group_name=GROUP, owners=OWNERS,
    # The marts only: the seeds are loaded on the nights that change them (
    # orchestration/assets/dbt_models.py, `refresh_args`), and a dep on an asset the run does
    # not materialise would skip this step. They are published as loaded all the same.
    deps=[AssetKey([schema, table]) for schema, table in SOURCES if schema == "marts"],
    output_required=False, op_tags={PRIORITY_TAG: "-100"},
    description=(
        "Publication des marts pour les lecteurs (outils de BI, tableau de bord) : les marts "
        "et les référentiels utiles (catalogue, listes de codes, cadre logique, programmes), "
        "copiés en tables puis substitués d'un coup à la publication précédente — seulement "
        "si aucun contrôle de sévérité erreur n'a échoué pendant l'actualisation. Sinon les "
        "lecteurs gardent la publication précédente et l'exécution dit pourquoi. DuckDB : le "
        "fichier SEA_PUBLISHED, en lecture seule ; PostgreSQL : le schéma `published`, lisible "
        "par le rôle SEA_READER_ROLE."),
)
def published_marts(context: AssetExecutionContext, sea_settings: SeaSettingsResource,
                    warehouse: ResourceParam[WarehouseResource]) -> Iterator:
    settings = sea_settings.settings
    # said once per night, whatever happens next (orchestration/alerts.py)
    context.log.info(settings.alerts.describe())
    failed, unrun = check_verdict(context.instance, context.run.run_id)
    if failed or unrun:
        reason = withheld_reason(failed, unrun)
        current = read_publication(settings.warehouse, settings.published)
        kept = (f"les lecteurs gardent la publication du {current.as_of}" if current
                else "rien n'est encore publié")
        context.log.error(f"Publication retenue : {reason} ; {kept}.")
        # One message for the night, every failed check in it. Checks that could not run
        # alone mean a step failed: the run fails, and its failure alert says it all.
        if failed and settings.alerts.enabled:
            with warehouse.get_warehouse() as wh:
                checks = failed_checks(wh, failed)
            deliver(settings, withheld_publication_alert(settings, context.run.run_id, checks,
                                                         unrun, kept), context.log)
        erased = _erase_from_kept_publication(settings, warehouse) if current else 0
        if erased:
            context.log.info(f"Effacements appliqués à la publication en place : {erased} "
                             "ligne(s) de participants effacés retirée(s).")
        yield AssetObservation(asset_key=PUBLISHED_KEY, metadata={
            "publication": WITHHELD,
            "raison": reason,
            KEPT_FIELD: str(current.as_of) if current else "aucune",
            "lignes effacées de la publication en place": erased,
        })
        return
    with warehouse.get_warehouse() as wh:
        try:
            done = publish(wh, SOURCES, as_of=settings.as_of, run_id=context.run.run_id,
                           published=settings.published, reader_role=settings.reader_role)
        except PublicationError as exc:
            context.log.error(f"Publication retenue : {exc}")
            raise
    context.log.info(done.message())
    yield MaterializeResult(asset_key=PUBLISHED_KEY, metadata={
        "publication": PUBLISHED,
        AS_OF_FIELD: str(done.as_of),
        "publiée à (UTC)": done.published_at.isoformat(sep=" "),
        "tables": len(done.tables),
        "où": MetadataValue.path(done.location) if not settings.warehouse_is_postgres
        else done.location,
    })
