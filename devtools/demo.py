"""`make demo`: the whole pipeline on synthetic data, from a fresh clone.

Starts the fake CRM (when `CRM_BASE_URL` is left at its default), writes the demo spreadsheets
(when `SHEETS_DIR` is left at its default, or is empty, or was written by a demo), runs the
nightly refresh, says where the warehouse and the deliverables are, then the next commands to
try, printed so that each works as copied (`SEA_DEMO=1` and every setting the demo ran with,
secrets excepted), and ends on the dashboard's path, the page to open first. The same fake CRM
and spreadsheets serve `SEA_DEMO=1 make refresh` and `SEA_DEMO=1 make ui`.

Two demos on the same day load the same world and the same files, so the second publishes no
new version of the quarter.
"""

from __future__ import annotations

import shlex
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from pathlib import Path
from urllib.parse import urlsplit

from common.quarters import Quarter, last_complete_quarter
from common.settings import (
    DEMO_CRM_PORT,
    PARIS,
    PROJECT_ROOT,
    Settings,
    SettingsError,
    load_settings,
)
from connectors.run_lock import RunLockError, read_lock
from devtools.demo_sheets import write_demo_spreadsheets
from devtools.fake_crm import FakeCRMServer, World
from orchestration.assets.dashboard import dashboard_line
from orchestration.instance import dagster_instance
from orchestration.reporting import GateBlocked, run_quarterly_report
from orchestration.runs import RunFailed, run_nightly
from reports.evidence.build import build_evidence_pack, due_evaluations
from reports.guide.training import build_training
from reports.plan_sea.build import build_plan_sea

DEFAULT_CRM_URL = f"http://127.0.0.1:{DEMO_CRM_PORT}"
DEFAULT_SHEETS_DIR = PROJECT_ROOT / "data" / "demo_sheets"
DEMO_SEED = 42
UI_PORT = 3000
DEMO_MARKER = ".sea-demo"


def world_clock(settings: Settings) -> datetime:
    """The fake CRM's 'now': a function of the as-of day alone, so that two demos on the same
    day serve the same world (the synthetic population is drawn over the span up to 'now': a
    clock that moved by one second reshuffled it, and a second demo published other figures).

    The evening of the as-of day (20:00 UTC) for a past day or a later day being simulated;
    for today, the start of the day in Paris, the latest instant the real time has passed
    whenever the demo runs that day. Never later than the run's own clock, or the CRM's last
    records would be taken for future-dated ones.
    """
    clock = settings.run_clock().replace(tzinfo=UTC)
    if settings.as_of == datetime.now(PARIS).date():
        moment = datetime.combine(settings.as_of, time(0), tzinfo=PARIS).astimezone(UTC)
    else:
        moment = datetime.combine(settings.as_of, time(20, 0), tzinfo=UTC)
    return min(moment, clock)


def start_fake_crm_if_default(settings: Settings) -> FakeCRMServer | None:
    """Serve the synthetic CRM where the default `CRM_BASE_URL` points; None for a real CRM.

    Raises `PortInUseError` when another program holds the port (said in one line by the CLI).
    """
    if settings.crm_base_url != DEFAULT_CRM_URL:
        return None
    world = World(seed=DEMO_SEED, participants=settings.demo_participants,
                  now=world_clock(settings))
    server = FakeCRMServer(world, token=settings.crm_api_token, port=DEMO_CRM_PORT)
    server.start()
    return server


def is_demo_folder(folder: Path) -> bool:
    """The default `SHEETS_DIR`, a folder that is missing or empty, or one a demo wrote (it
    holds DEMO_MARKER, a hidden file the spreadsheet loader skips)."""
    if folder == DEFAULT_SHEETS_DIR or (folder / DEMO_MARKER).is_file():
        return True
    return not folder.exists() or not any(folder.iterdir())


@contextmanager
def demo_sources(settings: Settings) -> Iterator[FakeCRMServer | None]:
    """The fake CRM and the demo spreadsheets of the as-of day, for as long as the block runs.

    The spreadsheets are written only beside the fake CRM, whose people they are about, and
    only into a demo folder (`is_demo_folder`): never over a real shared folder.
    """
    server = start_fake_crm_if_default(settings)
    try:
        if server is not None and is_demo_folder(settings.sheets_dir):
            write_demo_spreadsheets(settings.sheets_dir, demo_participants(server.world),
                                    as_of=settings.as_of)
            (settings.sheets_dir / DEMO_MARKER).write_text(
                "Tableurs fictifs écrits par make demo, réécrits à chaque démonstration.\n",
                encoding="utf-8")
        yield server
    finally:
        if server is not None:
            server.stop()


def demo_participants(world: World) -> list[dict]:
    """What the spreadsheet generator needs to write plausible attendance and follow-up rows."""
    people = []
    for enrolment in world.records("enrolments"):
        people.append({
            "participant_id": enrolment["participant_id"],
            "antenna": enrolment["antenna"],
            "programme": enrolment["programme"],
            "start_date": date.fromisoformat(enrolment["start_date"]),
            "end_date": date.fromisoformat(enrolment["end_date"])
            if enrolment["end_date"] else None,
        })
    return people


def run_demo(settings: Settings) -> int:
    print(f"sea demo : date d'arrêté {settings.as_of}, "
          f"{settings.demo_participants} participants fictifs")
    with demo_sources(settings) as server:
        if server is not None:
            print(f"  CRM fictif : {server.base_url}")
            if (settings.sheets_dir / DEMO_MARKER).is_file():
                print(f"  tableurs de démonstration : {settings.sheets_dir}")
        try:
            nightly = run_nightly(settings, origin="make demo")
        except (RunFailed, RunLockError) as exc:
            print(f"sea: {exc}", file=sys.stderr)
            return 1
    try:
        with read_lock(settings.warehouse, wait=settings.lock_wait_seconds):
            quarter, evaluation = _deliverables(settings)
    except (GateBlocked, RunLockError) as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 1
    print(f"Entrepôt : {settings.warehouse_display}")
    print(f"Historique Dagster : {settings.dagster_home}")
    print("Et ensuite (chaque commande fonctionne telle quelle, copiée depuis ce dossier) :")
    for command, meaning in next_commands(settings, quarter, evaluation):
        print(f"  {command}")
        print(f"      {meaning}")
    # Last: the page to open first (or why there is none)
    print(dashboard_line(dagster_instance(settings), nightly.run_id, settings))
    return 0


def _deliverables(settings: Settings) -> tuple[Quarter, str | None]:
    """The last complete quarter's deliverables, the Plan SEA with the team's guide and
    training deck, and one evidence pack; returns
    the quarter and the evaluation whose pack was written (None when none is due)."""
    quarter = last_complete_quarter(settings.as_of)
    run = run_quarterly_report(settings, quarter.code)
    print(f"Livrables {quarter.code} ({run.delivery.message}) : "
          f"{_relative(run.delivery.directory)}")
    warnings_count = len(run.gate.warnings)
    if warnings_count:
        print(f"  {warnings_count} avertissement(s) qualité, listés dans le rapport")
    plan = build_plan_sea(settings.warehouse, output_dir=settings.output_dir / "plan_sea",
                          k=settings.disclosure_k)
    print(f"Plan SEA : {_relative(plan.pdf or plan.html)}")
    training = build_training(settings.warehouse, settings.published, settings.internal_dir,
                              k=settings.disclosure_k)
    print(f"Guide de l'équipe : {_relative(training.guide.pdf or training.guide.html)}")
    print(f"Présentation de formation : {_relative(training.deck.pdf or training.deck.html)}")
    for line in _funder_reports(settings, quarter, run.gate):
        print(line)
    due = due_evaluations(settings.warehouse)
    if not due:
        return quarter, None
    pack = build_evidence_pack(settings.warehouse, due[0], as_of=settings.as_of,
                               output_dir=settings.output_dir / "evidence",
                               k=settings.disclosure_k)
    print(f"Dossier de preuves {due[0]} : {_relative(pack.pdf or pack.html)}")
    return quarter, due[0]


def _funder_reports(settings: Settings, quarter: Quarter, gate) -> list[str]:
    """Each private funder's report for its period holding the last complete quarter (the
    half-year of a semestrielle grant…), from the quarter's gate already evaluated."""
    from common.warehouse import connect
    from orchestration.reporting import period_of
    from reports.funder import FunderReportError, build_funder_report

    with connect(settings.warehouse, read_only=True) as wh:
        if not wh.table_exists("marts.funder_grants"):
            return []
        grants = wh.fetchall("select distinct funder_code, report_frequency "
                             "from marts.funder_grants where funder_type = 'prive' order by 1")
    lines = []
    for funder, frequency in grants:
        try:
            report = build_funder_report(
                settings.warehouse, funder, period_of(frequency, quarter.code),
                as_of=settings.as_of, output_dir=settings.output_dir,
                k=settings.disclosure_k, quality=gate.quality_summary())
        except FunderReportError as error:
            lines.append(f"Rapport au financeur {funder} : {error}")
            continue
        lines.append(f"Rapport au financeur {funder} ({report.quarter}) : "
                     f"{_relative(report.files.get('pdf') or report.files['html'])}")
    return lines


def next_commands(settings: Settings, quarter: Quarter,
                  evaluation: str | None) -> list[tuple[str, str]]:
    """The commands to try after the demo, each with what it does (French).

    Each carries `SEA_DEMO=1` (the demo key and the fake CRM: without it every command asks
    for a real `PSEUDONYM_KEY`) and the settings this demo ran with that differ from the
    defaults, so a command copied from the screen reads the same warehouse, on the same day.
    """
    prefix = " ".join(["SEA_DEMO=1", *_changed_settings(settings)])
    commands = [(f"{prefix} make report QUARTER={quarter.code}",
                 f"refait les livrables de {quarter.label_fr} derrière le contrôle qualité ; "
                 "tant que les données ne changent pas, aucune nouvelle version n'est écrite")]
    from devtools.demo_sheets import FUNDERS  # the demo's grants: code first, then name…

    private = next(f for f in FUNDERS if f[2] == "Privé")
    commands.append((f"{prefix} make report FUNDER={private[0]} "
                     f"PERIOD={quarter.year}-S{(quarter.number + 1) // 2}",
                     f"le rapport à {private[1]} pour ce semestre"))
    if evaluation:
        commands.append((f"{prefix} make evidence EVALUATION={shlex.quote(evaluation)}",
                         "refait le dossier de preuves de cette évaluation du plan"))
    commands += [
        (f"{prefix} make refresh",
         "une actualisation comme celle de chaque nuit, le CRM fictif démarré le temps de la "
         "commande"),
        (f"{prefix} make ui",
         f"l'interface Dagster sur http://127.0.0.1:{UI_PORT} (lignée, exécutions, contrôles), "
         "avec le CRM fictif ; l'actualisation de chaque nuit y est déjà programmée "
         "(Ctrl-C pour arrêter)"),
    ]
    return commands


def _changed_settings(settings: Settings) -> list[str]:
    """`NAME=value` for each setting a later command must share with this demo and that is not
    what it would read anyway (defaults and `.env`); never a secret."""
    try:
        with warnings.catch_warnings():  # the demo key's warning was shown at start-up
            warnings.simplefilter("ignore")
            usual = load_settings({}, demo=True)
    except SettingsError:  # `.env` alone is not a demo setting (a real CRM): say everything
        usual = None
    base = usual or settings
    pairs = {
        "SEA_AS_OF": (settings.as_of.isoformat() if settings.as_of_is_pinned else None,
                      base.as_of.isoformat() if base.as_of_is_pinned else None),
        "SEA_DEMO_PARTICIPANTS": (settings.demo_participants, base.demo_participants),
        "CRM_BASE_URL": (settings.crm_base_url, base.crm_base_url),
        "SHEETS_DIR": (settings.sheets_dir, base.sheets_dir),
        "SEA_WAREHOUSE": (settings.warehouse, base.warehouse),
        "SEA_OUTPUT_DIR": (settings.output_dir, base.output_dir),
        "SEA_INTERNAL_DIR": (settings.internal_dir, base.internal_dir),
        "DAGSTER_HOME": (settings.dagster_home, base.dagster_home),
        "DISCLOSURE_K": (settings.disclosure_k, base.disclosure_k),
    }
    changed = []
    for name, (value, default) in pairs.items():
        if value is None or (usual is not None and value == default):
            continue
        if name == "SEA_WAREHOUSE" and urlsplit(settings.warehouse).password:
            continue  # a PostgreSQL URL holding a password: the user has it in the environment
        changed.append(f"{name}={shlex.quote(str(value))}")
    return changed


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)
