"""A failed command ends on one French line: what went wrong, what to do, where the details are.

The cause of a failed run is usually a few frames deep (a Dagster step error wrapping a CRM
error wrapping a connection error): staff should not have to read a stack trace to learn that
the CRM is down or the token expired. The chain of errors is matched against the failures staff
can fix themselves; the full errors, stack traces included, go to a log file under
`DAGSTER_HOME/logs/` whose path the line gives (with the Dagster run id when there was a run).
Secrets from the settings are masked in that file as everywhere else.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from common.settings import PARIS, Settings

LOG_FOLDER = "logs"
KEPT_FAILURE_LOGS = 50


@dataclass(frozen=True)
class ErrorLink:
    """One error of a chain (outermost first): its class name and message."""

    cls_name: str
    message: str


@dataclass(frozen=True)
class Diagnosis:
    cause: str  # French, what went wrong
    fix: str  # French, what to do


_PG_AUTH = re.compile(r"password authentication failed|authentification par mot de passe|"
                      r"no password supplied|role \".*\" does not exist", re.I)
_PG_NO_DB = re.compile(r"database \".*\" does not exist", re.I)
_PG_DOWN = re.compile(r"connection to server .* failed|could not connect to server|"
                      r"could not translate host name|connection refused|timeout expired|"
                      r"server closed the connection", re.I)
_HTTP_DOWN = re.compile(r"ConnectionError|ConnectTimeout|ReadTimeout|Timeout|"
                        r"Max retries exceeded|Failed to establish", re.I)


_PORT_BUSY = re.compile(r"port ([\w.:\[\]-]+):(\d+) already in use")
_DUCKDB_LOCKED = re.compile(r'Could not set lock on file "([^"]+)"(?:: Conflicting lock is held '
                            r"in (.+?) \(PID (\d+)\))?")


def _busy_port(names: set[str], text: str) -> Diagnosis | None:
    match = _PORT_BUSY.search(text)
    if "PortInUseError" not in names or not match:
        return None
    port = match.group(2)
    return Diagnosis(f"le port {port} du CRM fictif est déjà occupé par un autre programme",
                     f"arrêtez-le (un autre make demo ou make ui ? « ss -ltnp 'sport = :{port}' » "
                     "montre lequel) puis relancez")


def _locked_warehouse(text: str) -> Diagnosis | None:
    """DuckDB lets one process at a time open the file for writing: a BI tool, a notebook or a
    SQL client left open on the warehouse stops every run."""
    match = _DUCKDB_LOCKED.search(text)
    if not match:
        return None
    holder = ""
    if match.group(2):
        holder = f" ({Path(match.group(2)).name}, processus {match.group(3)})"
    return Diagnosis(f"l'entrepôt {match.group(1)} est ouvert par un autre programme{holder}",
                     "fermez ce programme (outil de BI, client SQL, notebook…) ou sa connexion "
                     "à l'entrepôt, puis relancez")


def diagnose(chain: Sequence[ErrorLink], settings: Settings | None) -> Diagnosis:
    """The first rule any error of the chain matches; a generic diagnosis otherwise."""
    names = {link.cls_name.rsplit(".", 1)[-1] for link in chain}
    text = "\n".join(link.message for link in chain)
    crm = settings.crm_base_url if settings else "CRM_BASE_URL"
    warehouse = settings.warehouse_display if settings else "SEA_WAREHOUSE"
    for rule in (_busy_port(names, text), _locked_warehouse(text)):
        if rule is not None:
            return rule
    if "CRMAuthError" in names:
        return Diagnosis(f"le CRM ({crm}) a refusé le jeton d'accès (401)",
                         "vérifiez CRM_API_TOKEN (jeton expiré ou révoqué ?) puis relancez")
    if "CRMError" in names and _HTTP_DOWN.search(text):
        return Diagnosis(f"le CRM est injoignable ({crm})",
                         "vérifiez CRM_BASE_URL, le réseau et que le CRM répond, puis relancez")
    if "CRMPaginationError" in names:
        return Diagnosis("le CRM renvoie des pages qui tournent en rond (pagination)",
                         "signalez-le à l'éditeur du CRM ; relancez quand c'est corrigé")
    if "CRMError" in names:
        return Diagnosis("le CRM a répondu par une erreur",
                         "réessayez plus tard ; si elle persiste, signalez-la à l'éditeur du CRM")
    if _PG_AUTH.search(text):
        return Diagnosis(f"PostgreSQL a refusé l'identification ({warehouse})",
                         "vérifiez l'utilisateur et le mot de passe de SEA_WAREHOUSE (un @ s'y "
                         "écrit %40)")
    if _PG_NO_DB.search(text):
        return Diagnosis(f"la base PostgreSQL n'existe pas ({warehouse})",
                         "créez-la ou corrigez son nom dans SEA_WAREHOUSE")
    if (settings is None or settings.warehouse_is_postgres) and _PG_DOWN.search(text):
        return Diagnosis(f"PostgreSQL est injoignable ({warehouse})",
                         "vérifiez que le serveur est démarré et l'hôte et le port de "
                         "SEA_WAREHOUSE, puis relancez")
    if "DbtBuildFailed" in names:
        return Diagnosis("la construction des modèles dbt a échoué",
                         "lisez le journal pour le modèle en cause et corrigez-le ou signalez-le")
    innermost = chain[-1] if chain else ErrorLink("Exception", "")
    first = innermost.message.strip().splitlines()[0][:200] if innermost.message.strip() else ""
    label = innermost.cls_name.rsplit(".", 1)[-1]
    return Diagnosis(f"erreur inattendue ({label}{' : ' + first if first else ''})",
                     "lisez le journal, corrigez la cause ou signalez-la à l'équipe MEL")


def exception_chain(exc: BaseException) -> list[ErrorLink]:
    """`exc` and the errors it was raised from (or while handling), outermost first."""
    chain: list[ErrorLink] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        cls = type(current)
        chain.append(ErrorLink(f"{cls.__module__}.{cls.__qualname__}", str(current)))
        current = current.__cause__ or current.__context__
    return chain


def error_info_chain(info) -> list[ErrorLink]:
    """The same for a Dagster `SerializableErrorInfo` (a step's recorded error)."""
    chain: list[ErrorLink] = []
    while info is not None:
        chain.append(ErrorLink(info.cls_name or "Exception", info.message or ""))
        info = info.cause or info.context
    return chain


def _secrets(settings: Settings | None) -> list[str]:
    if settings is None:
        return []
    values = [settings.crm_api_token, settings.pseudonym_key]
    if settings.warehouse_is_postgres:
        password = urlsplit(settings.warehouse).password
        if password:
            values += [password, unquote(password)]
    return [v for v in values if v and len(v) >= 4]


def masked(text: str, settings: Settings | None) -> str:
    for secret in sorted(_secrets(settings), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def log_folder(settings: Settings | None) -> Path:
    from common.settings import PROJECT_ROOT

    return (settings.dagster_home if settings else PROJECT_ROOT / "data") / LOG_FOLDER


def write_failure_log(settings: Settings | None, command: str, sections: Iterable[str]) -> Path:
    """The full failure in `DAGSTER_HOME/logs/<command>-<time>.log`; its path is returned.

    The folder keeps the latest KEPT_FAILURE_LOGS files: a broken night repeated for weeks must
    not fill the disk.
    """
    folder = log_folder(settings)
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(PARIS)
    path = folder / f"echec-{command}-{now:%Y%m%d-%H%M%S-%f}.log"
    body = "\n\n".join(sections)
    path.write_text(masked(f"sea {command} — échec le {now:%d/%m/%Y à %H:%M:%S}\n\n{body}\n",
                           settings), encoding="utf-8")
    logs = sorted(folder.glob("echec-*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEPT_FAILURE_LOGS:]:
        old.unlink(missing_ok=True)
    return path


def failure_line(diagnosis: Diagnosis, log_path: Path, settings: Settings | None) -> str:
    """The one line the user sees (no newline, secrets masked)."""
    line = f"échec : {diagnosis.cause} — {diagnosis.fix} (détails : {log_path})"
    return masked(" ".join(line.split()), settings)


def explain_exception(settings: Settings | None, command: str, exc: BaseException) -> str:
    """One French line for an exception raised outside a Dagster run; its traceback logged."""
    text = "".join(traceback.format_exception(exc))
    path = write_failure_log(settings, command, [text])
    return failure_line(diagnose(exception_chain(exc), settings), path, settings)


def explain_step_failures(settings: Settings | None, command: str, run_id: str,
                          failures: Sequence[tuple[str, object]]) -> str:
    """One French line for a failed Dagster run, from its failed steps' errors (`(step key,
    SerializableErrorInfo)`), diagnosed on the first; every step's error logged in full."""
    sections = [f"Exécution Dagster {run_id} (détail aussi dans l'interface : make ui)."]
    for step, info in failures:
        sections.append(f"Étape {step} :\n{info.to_string() if info is not None else '?'}")
    path = write_failure_log(settings, command, sections)
    if not failures:
        diagnosis = Diagnosis("l'exécution Dagster a échoué sans étape en erreur",
                              f"ouvrez l'exécution {run_id} dans l'interface (make ui)")
    else:
        step, info = failures[0]
        diagnosis = diagnose(error_info_chain(info), settings)
        diagnosis = Diagnosis(f"{diagnosis.cause} [étape {step}]", diagnosis.fix)
    return failure_line(diagnosis, path, settings)
