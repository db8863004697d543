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
the run then ends as failed, and `publication_line` says publication was withheld.
"""

import json
from collections.abc import Iterator

from dagster import (
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetObservation,
    DagsterEventType,
    DagsterInstance,
    MaterializeResult,
    MetadataValue,
    ResourceParam,
    asset,
)
from dagster._core.storage.tags import PRIORITY_TAG

from common.publication import (
    READER_SEEDS,
    PublicationError,
    erase_from_publication,
    publish,
    read_publication,
)
from common.settings import Settings
from connectors.pseudonyms import pseudonym
from orchestration.assets.raw_crm import OWNERS
from orchestration.dbt_project import manifest_path
from orchestration.resources import SeaSettingsResource, WarehouseResource

GROUP = "publication"
PUBLISHED_KEY = AssetKey(["publication", "published_marts"])
WITHHELD = "retenue"
AS_OF_FIELD = "date d'arrêté"
KEPT_FIELD = "publication en place (date d'arrêté)"
PUBLISHED = "publiée"


def published_sources() -> list[tuple[str, str]]:
    """`(schema, table)` of what is published: every dbt model of the `marts` schema and the
    reference seeds readers need (`READER_SEEDS`), read from the dbt manifest — never a table
    the checks write there (`marts.dq_check_failures` holds record ids for the data lead)."""
    manifest = json.loads(manifest_path().read_text(encoding="utf-8"))
    sources = []
    for node in manifest["nodes"].values():
        schema = (node.get("config") or {}).get("schema")
        if node["resource_type"] == "model" and schema == "marts":
            sources.append(("marts", node["name"]))
        elif node["resource_type"] == "seed" and node["name"] in READER_SEEDS:
            sources.append((schema or "reference", node["name"]))
    return sorted(sources)


SOURCES = published_sources()


def _check_key(asset_key: AssetKey, check_name: str) -> str:
    """A check as the logs and `marts.dq_check_failures` name it: `staging.stg_x.rule`."""
    return ".".join([*asset_key.path, check_name])


def check_verdict(instance: DagsterInstance, run_id: str) -> tuple[list[str], list[str]]:
    """The run's `error` checks that failed, and its planned checks that could not run — no
    evaluation, and their step did not succeed (check keys, sorted): either withholds
    publication. A check whose step succeeded without evaluating it was left out on purpose
    (dbt's tests of seeds a night does not reload) and withholds nothing."""
    succeeded = {entry.step_key for entry in
                 instance.all_logs(run_id, of_type=DagsterEventType.STEP_SUCCESS)}
    evaluated: set[str] = set()
    failed: set[str] = set()
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None:
            continue
        name = _check_key(data.asset_key, data.check_name)
        evaluated.add(name)
        if not data.passed and data.severity == AssetCheckSeverity.ERROR:
            failed.add(name)
    unrun = set()
    for entry in instance.all_logs(run_id,
                                   of_type=DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None or data.asset_key == PUBLISHED_KEY or entry.step_key in succeeded:
            continue
        name = _check_key(data.asset_key, data.check_name)
        if name not in evaluated:
            unrun.add(name)
    return sorted(failed), sorted(unrun)


def withheld_reason(failed: list[str], unrun: list[str]) -> str:
    """Why publication is withheld, in French (for the run's log and the asset's page)."""
    parts = []
    if failed:
        parts.append(f"{len(failed)} contrôle(s) de sévérité erreur en échec ("
                     + ", ".join(failed[:10]) + (", …" if len(failed) > 10 else "") + ")")
    if unrun:
        parts.append(f"{len(unrun)} contrôle(s) non exécuté(s) ("
                     + ", ".join(unrun[:10]) + (", …" if len(unrun) > 10 else "") + ")")
    return " ; ".join(parts)


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
    failed, unrun = check_verdict(context.instance, context.run_id)
    if failed or unrun:
        reason = withheld_reason(failed, unrun)
        current = read_publication(settings.warehouse, settings.published)
        kept = (f"les lecteurs gardent la publication du {current.as_of}" if current
                else "rien n'est encore publié")
        context.log.error(f"Publication retenue : {reason} ; {kept}.")
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
            done = publish(wh, SOURCES, as_of=settings.as_of, run_id=context.run_id,
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


def publication_line(instance: DagsterInstance, run_id: str) -> str:
    """What a refresh says about publication, in French: published, or withheld and why (the
    asset's observation, or its step not run after a blocking check or a step failed)."""
    for entry in instance.all_logs(run_id, of_type={DagsterEventType.ASSET_MATERIALIZATION,
                                                    DagsterEventType.ASSET_OBSERVATION}):
        event = entry.dagster_event
        if event is None or event.asset_key != PUBLISHED_KEY:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            meta = event.step_materialization_data.materialization.metadata
            as_of, tables = meta[AS_OF_FIELD].value, meta["tables"].value
            return f"Publication pour les lecteurs : date d'arrêté {as_of}, {tables} tables."
        meta = event.asset_observation_data.asset_observation.metadata
        return (f"Publication retenue : {meta['raison'].value} ; publication en place "
                f"(date d'arrêté) : {meta[KEPT_FIELD].value}.")
    failed, _ = check_verdict(instance, run_id)
    because = f" : {', '.join(failed)}" if failed else ""
    return ("Publication retenue : l'étape de publication n'a pas tourné (contrôle bloquant "
            f"ou étape en amont en échec{because}) ; les lecteurs gardent la publication "
            "précédente.")
