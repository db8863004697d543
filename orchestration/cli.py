"""Entry points behind the Makefile: `python -m orchestration.cli <command>`.

Each command reads the settings first, so a configuration mistake stops it at once with one
line; nothing else in a command reads the environment.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from common.settings import PROJECT_ROOT, Settings, SettingsError, export_dotenv, load_settings

if TYPE_CHECKING:
    from common.publication import Publication


def _settings(demo: bool, participants: int | None = None) -> Settings:
    """The command's settings, read once at start-up: `.env` exported to the environment
    (secrets reach Dagster's resources by name) and dbt's environment set for the process."""
    try:
        export_dotenv()
        settings = load_settings(demo=demo or None)
    except SettingsError as exc:
        print(f"sea: erreur de configuration : {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    if participants is not None:  # `--participants` wins over SEA_DEMO_PARTICIPANTS
        settings = dataclasses.replace(settings, demo_participants=participants)
    os.environ.update(settings.dbt_env())
    return settings


def _refused(cause: str, fix: str) -> int:
    """A request the command cannot serve as asked: one French line, nothing to log."""
    print(f"sea: échec : {cause} — {fix}", file=sys.stderr)
    return 2


def cmd_prepare(_: argparse.Namespace) -> int:
    """Build the dbt manifest Dagster loads (run by `make setup`)."""
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    dbt = PROJECT_ROOT / ".venv" / "bin" / "dbt"
    return subprocess.call(
        [str(dbt) if dbt.exists() else "dbt", "parse", "--quiet", "--profiles-dir", "."],
        cwd=PROJECT_ROOT / "dbt_project", env=env)


def cmd_refresh(args: argparse.Namespace) -> int:
    """`make refresh`; with SEA_DEMO=1 the fake CRM and the demo spreadsheets are served for the
    time of the refresh, as `make demo` does (else the default CRM URL answers nothing)."""
    from connectors.run_lock import RunLockError
    from orchestration.runs import RunFailed, run_nightly

    settings = _settings(args.demo, args.participants)
    sources = contextlib.nullcontext()
    if settings.demo:
        from devtools.demo import demo_sources

        sources = demo_sources(settings)
    try:
        with sources:
            result = run_nightly(settings, origin="make refresh")
    except (RunFailed, RunLockError) as exc:
        if getattr(exc, "publication", ""):  # before the cause: the last line names it
            print(f"sea: {exc.publication}", file=sys.stderr)
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    from orchestration.assets.dashboard import dashboard_line
    from orchestration.instance import dagster_instance
    from orchestration.publication import publication_line

    print(f"Actualisation terminée (date d'arrêté {settings.as_of}). "
          f"Entrepôt : {settings.warehouse_display}")
    # published, or withheld and why: what readers (BI tools) see after this refresh
    instance = dagster_instance(settings)
    print(publication_line(instance, result.run_id))
    print(dashboard_line(instance, result.run_id, settings))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`make report QUARTER=2026-Q3`: gate, then deliverables; non-zero when the gate blocks.
    `make report FUNDER=<code> PERIOD=2026 | 2026-S2 | 2026-Q3`: one funder's report."""
    from connectors.run_lock import RunLockError
    from orchestration.report_request import QuarterRefused, check_quarter
    from orchestration.reporting import GateBlocked, run_funder_report, run_quarterly_report

    settings = _settings(args.demo)
    if args.funder:
        from reports.funder import FunderReportError

        try:
            gate, delivery = run_funder_report(settings, args.funder, args.period or "")
        except (GateBlocked, RunLockError, FunderReportError) as exc:
            print(f"sea: {exc}", file=sys.stderr)
            return 1
        for line in gate.summary_fr().splitlines():
            print(line)
        print(delivery.message)
        for name, path in sorted(delivery.files.items()):
            print(f"  {name} : {path}")
        return 0
    try:
        quarter = check_quarter(settings, args.quarter)
    except QuarterRefused as exc:
        return _refused(exc.cause, exc.fix)
    try:
        run = run_quarterly_report(settings, quarter.code)
    except (GateBlocked, RunLockError) as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    for line in run.gate.summary_fr().splitlines():
        print(line)
    print(run.delivery.message)
    for name, path in sorted(run.delivery.files.items()):
        print(f"  {name} : {path}")
    return 0


def cmd_evidence(args: argparse.Namespace) -> int:
    """`make evidence EVALUATION=<id>`: one evaluation's evidence pack."""
    from connectors.run_lock import RunLockError, read_lock
    from reports.evidence.build import build_evidence_pack
    from reports.evidence.data import EvaluationNotFound

    settings = _settings(args.demo)
    try:
        with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
            pack = build_evidence_pack(settings.warehouse, args.evaluation,
                                       as_of=settings.as_of,
                                       output_dir=settings.output_dir / "evidence",
                                       k=settings.disclosure_k)
    except EvaluationNotFound as exc:
        return _refused(str(exc), "relancez avec l'un de ces identifiants : "
                        "make evidence EVALUATION=<identifiant>")
    except RunLockError as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    print(f"Dossier de preuves {args.evaluation} (données arrêtées au {pack.as_of:%d/%m/%Y}) :")
    for path in (pack.xlsx, pack.html, pack.pdf):
        if path:
            print(f"  {path}")
    return 0


# The placeholder of the reader's password in the connection strings printed (and in the
# README's): the pipeline never knows the password, an administrator sets it.
PASSWORD_PLACEHOLDER = "MOT_DE_PASSE"


def reader_uri(settings: Settings) -> str:
    """The SQLAlchemy URI a BI tool (Superset, a notebook) uses for the published state — the
    form of README.md § Connecting a BI tool, which tests/test_bi_connections.py connects with:
    the published DuckDB file opened read-only, or PostgreSQL as the reader role (psycopg 3)."""
    if settings.warehouse_is_postgres:
        parts = urlsplit(settings.warehouse)
        return (f"postgresql+psycopg://{settings.reader_role}:{PASSWORD_PLACEHOLDER}@"
                f"{parts.hostname or 'localhost'}:{parts.port or 5432}/{parts.path.lstrip('/')}")
    return f"duckdb:///{Path(settings.published).resolve()}?access_mode=read_only"


def cmd_reader_role(args: argparse.Namespace) -> int:
    """`make reader-role`: give BI tools their access without a refresh, idempotently.

    PostgreSQL: the reader role (`SEA_READER_ROLE`) created if missing, with `published` as
    its search path, `SELECT` on what is published now, and nothing on the other schemas
    (common/publication.py, `ensure_reader_role`) — after an administrator recreated the role,
    say, or before the first publication. DuckDB has no roles: it says which file to open.
    """
    from common.publication import (
        PUBLISHED_SCHEMA,
        UNPUBLISHED_SCHEMAS,
        ensure_reader_role,
        read_publication,
    )
    from common.warehouse import PostgresWarehouse, connect

    settings = _settings(args.demo)
    if not settings.warehouse_is_postgres:
        current = read_publication(settings.warehouse, settings.published)
        print("Entrepôt DuckDB : pas de rôle à créer. Les outils de BI ouvrent, en lecture "
              f"seule, le fichier publié : {Path(settings.published).resolve()}")
        print(_published_state(current))
        print(f"  URI SQLAlchemy (Superset) : {reader_uri(settings)}")
        return 0
    role = settings.reader_role
    with connect(settings.warehouse) as wh:
        assert isinstance(wh, PostgresWarehouse)
        ensure_reader_role(wh, role)
        tables = 0
        if wh.scalar("select count(*) from pg_namespace where nspname = ?", [PUBLISHED_SCHEMA]):
            # Grants follow the role, not the schema: a role recreated since the last
            # publication gets its access back here rather than at the next refresh.
            wh.execute(f"grant usage on schema {PUBLISHED_SCHEMA} to {role}")
            wh.execute(f"grant select on all tables in schema {PUBLISHED_SCHEMA} to {role}")
            tables = wh.scalar("select count(*) from information_schema.tables "
                               "where table_schema = ?", [PUBLISHED_SCHEMA])
        database = wh.scalar("select current_database()")
    current = read_publication(settings.warehouse)
    print(f"Rôle lecteur {role} à jour dans la base {database} : lecture seule du schéma "
          f"{PUBLISHED_SCHEMA} ({tables} tables), aucun accès à "
          f"{', '.join(UNPUBLISHED_SCHEMAS)}.")
    print(_published_state(current))
    print(f"  Mot de passe (par un administrateur, jamais par le pipeline) : "
          f"ALTER ROLE {role} PASSWORD '…';")
    print(f"  URI SQLAlchemy (Superset) : {reader_uri(settings)}")
    return 0


def _published_state(current: Publication | None) -> str:
    """What readers see now, in French: the publication's dates, or that there is none yet."""
    if current is None:
        return ("  Rien n'est encore publié : la publication apparaîtra après la prochaine "
                "actualisation dont les contrôles passent (make refresh).")
    return (f"  Publication en place : date d'arrêté {current.as_of:%d/%m/%Y}, publiée le "
            f"{current.published_at:%d/%m/%Y à %H:%M} UTC.")


def cmd_templates(args: argparse.Namespace) -> int:
    """`make templates [DIR=<folder>]`: one blank .xlsx per spreadsheet kind, with its help
    sheet and drop-down lists (docs/spreadsheets.md#collection-templates)."""
    from connectors.sheets.templates import catalogue_labels, reference_data, write_templates
    from orchestration.catalogue import CATALOGUE_CSV

    settings = _settings(args.demo)
    folder = Path(args.dir) if args.dir else settings.internal_dir / "modeles"
    written = write_templates(folder, reference_data(catalogue_labels(CATALOGUE_CSV)))
    print(f"{len(written)} modèles de tableurs écrits dans {folder.resolve()} :")
    for path in written:
        print(f"  {path.name}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """`make backup [DIR=<folder>]`: a consistent copy of the warehouse, `snapshots` included,
    taken under the read lock so it never races a refresh (docs/runbook.md#backup-and-restore)."""
    from orchestration.backup import BackupError, backup

    settings = _settings(args.demo)
    try:
        content = backup(settings, Path(args.dir) if args.dir else None)
    except BackupError as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    print(f"Sauvegarde de l'entrepôt {settings.warehouse_display} terminée : "
          f"{len(content.tables)} tables, {content.rows} lignes, dans {content.folder}")
    for line in content.summary_fr():
        print(line)
    print("  Elle contient des données personnelles : gardez-la sur un disque réservé à "
          "l'équipe. Pour la remettre en place : make restore FROM=" + str(content.folder))
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    """`make restore FROM=<backup folder>`: the backup put back in place of the warehouse,
    under the refresh lock (no refresh, no report meanwhile)."""
    from datetime import datetime

    from orchestration.backup import BackupError, restore

    settings = _settings(args.demo)
    if not args.source:
        return _refused("aucune sauvegarde indiquée",
                        "make restore FROM=<dossier sea-<date>-<heure> créé par make backup>")
    try:
        content, aside = restore(settings, Path(args.source))
    except BackupError as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    taken = datetime.fromisoformat(content.created_at)
    print(f"Sauvegarde du {taken:%d/%m/%Y à %H:%M} restaurée dans "
          f"{settings.warehouse_display} : {len(content.tables)} tables, {content.rows} lignes "
          "vérifiées")
    for line in content.summary_fr():
        print(line)
    if aside:
        print(f"  L'entrepôt remplacé est gardé dans {aside} : supprimez-le une fois la "
              "restauration vérifiée (il contient des données personnelles).")
    print("  Lancez ensuite make refresh : les suppressions RGPD reçues depuis la sauvegarde "
          "seront appliquées de nouveau.")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from devtools.demo import run_demo

    return run_demo(_settings(True, args.participants))


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` on 127.0.0.1, with the fake CRM alongside when SEA_DEMO=1."""
    from orchestration.instance import prepare_dagster_home

    settings = _settings(args.demo, args.participants)
    prepare_dagster_home(settings)
    with contextlib.ExitStack() as stack:
        if settings.demo:
            from devtools.demo import demo_sources

            stack.enter_context(demo_sources(settings))
        return _dagster_dev(args.port)


def _dagster_dev(port: int) -> int:
    dagster = PROJECT_ROOT / ".venv" / "bin" / "dagster"
    cmd = [str(dagster) if dagster.exists() else "dagster", "dev", "-m",
           "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)]
    print(f"Interface Dagster : http://127.0.0.1:{port} (Ctrl-C pour arrêter)")
    # dagster dev ignores SIGINT/SIGTERM inherited as ignored: reset them, and give it its own
    # process group so stopping `make ui` stops the webserver, daemon and code servers too.
    proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, start_new_session=True,
                            preexec_fn=_default_signals)
    # Ctrl-C and SIGTERM stop the group, even when this process was started with SIGINT ignored
    # (a background job of a script inherits that, and Python then never raises KeyboardInterrupt).
    signal.signal(signal.SIGINT, _raise_interrupt)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        return _stop_group(proc)


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _raise_interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _stop_group(proc: subprocess.Popen) -> int:
    for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
            return proc.wait(timeout=wait)
        except ProcessLookupError:
            return proc.wait()
        except subprocess.TimeoutExpired:
            continue
    return proc.wait()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "prepare": cmd_prepare,
    "refresh": cmd_refresh,
    "demo": cmd_demo,
    "ui": cmd_ui,
    "report": cmd_report,
    "evidence": cmd_evidence,
    "reader-role": cmd_reader_role,
    "templates": cmd_templates,
    "backup": cmd_backup,
    "restore": cmd_restore,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sea")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--demo", action="store_true", help="allow the demo pseudonym key")
    parser.add_argument("--participants", type=int, default=None,
                        help="the fake CRM's size in demo mode (default SEA_DEMO_PARTICIPANTS)")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--quarter", help="report: the quarter, e.g. 2026-Q3")
    parser.add_argument("--funder", help="report: a funder's code (financements), with --period")
    parser.add_argument("--period", help="report --funder: 2026, 2026-S2 or 2026-Q3")
    parser.add_argument("--evaluation", help="evidence: the evaluation id of plan_evaluation")
    parser.add_argument("--dir", help="templates: the folder (default SEA_INTERNAL_DIR/modeles); "
                        "backup: where the backup folder is made (default data/sauvegardes)")
    parser.add_argument("--from", dest="source", help="restore: the backup folder")
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except Exception as exc:  # noqa: BLE001 - any failure ends on one line, details logged
        return _failed(args, exc)


def _failed(args: argparse.Namespace, exc: Exception) -> int:
    """A command that failed on something unexpected (PostgreSQL down, a file locked…) ends on
    one French line naming the cause and the fix; the traceback goes to the log it names."""
    from orchestration.failures import explain_exception

    try:
        with warnings.catch_warnings():  # the demo key's warning was shown at start-up
            warnings.simplefilter("ignore")
            settings: Settings | None = load_settings(demo=args.demo or None)
    except SettingsError:
        settings = None
    print(f"sea: {explain_exception(settings, args.command, exc)}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
