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

from common.settings import PROJECT_ROOT, Settings, SettingsError, export_dotenv, load_settings


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
    from orchestration.instance import dagster_instance
    from orchestration.publication import publication_line

    print(f"Actualisation terminée (date d'arrêté {settings.as_of}). "
          f"Entrepôt : {settings.warehouse_display}")
    # published, or withheld and why: what readers (BI tools) see after this refresh
    print(publication_line(dagster_instance(settings), result.run_id))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """`make report QUARTER=2026-Q3`: gate, then deliverables; non-zero when the gate blocks."""
    from connectors.run_lock import RunLockError
    from orchestration.report_request import QuarterRefused, check_quarter
    from orchestration.reporting import GateBlocked, run_quarterly_report

    settings = _settings(args.demo)
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
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sea")
    parser.add_argument("command", choices=sorted(COMMANDS))
    parser.add_argument("--demo", action="store_true", help="allow the demo pseudonym key")
    parser.add_argument("--participants", type=int, default=None,
                        help="the fake CRM's size in demo mode (default SEA_DEMO_PARTICIPANTS)")
    parser.add_argument("--port", type=int, default=3000)
    parser.add_argument("--quarter", help="report: the quarter, e.g. 2026-Q3")
    parser.add_argument("--evaluation", help="evidence: the evaluation id of plan_evaluation")
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
