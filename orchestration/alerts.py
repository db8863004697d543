"""Alerts: the data lead is told, by e-mail and/or a chat tool's webhook, when a night or the
quarter goes wrong — nobody watches the UI at 2 a.m., and a withheld publication otherwise goes
unnoticed until a reader asks why the figures are old.

What alerts (one message per event, never one per check; a clean night sends nothing):

- a failed run, nightly or quarterly: from `run_nightly`'s failure path (orchestration/runs.py)
  for the commands, and from the run-failure sensor `run_failure_alerts` for the runs the UI,
  the daemon or the schedules launch. Both format the message with `failed_run_alert`; a run a
  command alerts itself carries the tag `ALERTED_TAG`, which the sensor skips, so a run is never
  alerted twice when `make refresh` runs beside `make ui`'s daemon;
- an `error` check failed, so the publication for readers is withheld while the run itself
  succeeds: the publication step says it (orchestration/assets/publication.py,
  `withheld_publication_alert`);
- a quarterly report blocked by the gate: the quarterly run fails on its blocking check
  `gate_passed` (the sensor recognises it and says "blocked", not "failed"), or `make report`
  refuses the quarter (orchestration/reporting.py).

Once a week, each antenna of `SEA_ALERT_ANTENNA_CONTACTS` with records flagged by `warn`
checks receives their digest by e-mail (`weekly_quality_digest`, `send_digests`).

Each message is French and says what failed, for which quarter, the checks with their rule and
the antennas their records belong to (from the scorecard, where it counts exactly the records
the check found — orchestration/gate.py, `antennas_of`), and where to look: the run in the UI
(`SEA_UI_URL/runs/<run id>`), the data-quality scorecard, the table of offending records.
Counts and antenna codes only: never a record id, a name or a pseudonym.

Channels come from the settings (`AlertSettings`, common/settings.py); none configured means
alerts are off, said once in the run's log. A channel that cannot be reached is logged in one
French line without its secrets (SMTP password, webhook URL) and never fails the run.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any, Protocol

from dagster import (
    DagsterEventType,
    DagsterInstance,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunFailureSensorContext,
    SkipReason,
    run_failure_sensor,
)

from common.settings import PARIS, SMTPS_PORT, AlertSettings, Settings
from common.warehouse import connect
from expectations.outcomes import FAILURES_TABLE

# A run whose command sends its own failure alert (`run_nightly`): the sensor leaves it.
ALERTED_TAG = "sea/alerte"
ALERTED_BY_COMMAND = "envoyée par la commande"
SENSOR_NAME = "run_failure_alerts"
TIMEOUT_SECONDS = 15
MAX_LISTED = 20
GATE_CHECK = "gate_passed"  # orchestration/checks.py
SCORECARD_ASSET = "marts/data_quality_scorecard"
NO_ANTENNA = "SANS_ANTENNE"

JOBS_FR = {
    "nightly_refresh": "l'actualisation nocturne",
    "sheets_refresh": "la relecture des tableurs partagés",  # orchestration/sensors.py
    "quarterly_reporting": "la production des livrables trimestriels",
    "weekly_quality_digest": "l'envoi des bilans qualité hebdomadaires des antennes",
}


class RunLog(Protocol):
    """Dagster's `context.log` or a `logging.Logger`: where a delivery is said."""

    def info(self, msg: str, *args: Any) -> Any: ...

    def warning(self, msg: str, *args: Any) -> Any: ...


@dataclass(frozen=True)
class Alert:
    """One message: a subject line and a plain-text body (French)."""

    subject: str
    body: str

    def text(self) -> str:
        """The webhook's text: the subject, a blank line, the body."""
        return f"{self.subject}\n\n{self.body}"


@dataclass(frozen=True)
class FailedCheck:
    """A failed check as an alert names it: key, rule in French, failing records, antennas."""

    key: str
    rule: str = ""
    rows: int | None = None
    antennas: tuple[tuple[str, int], ...] = ()

    def line(self) -> str:
        """`- « rule » : non respectée par N enregistrement(s) ; antenne(s) : A (n) [key]`: the
        rule a reader understands first, the key the data lead filters on last."""
        text = f"- « {self.rule} »" if self.rule else f"- {self.key}"
        if self.rows is not None:
            text += f" : non respectée par {self.rows} enregistrement(s)"
        if self.antennas:
            text += " ; antenne(s) : " + ", ".join(
                f"{'sans antenne' if a == NO_ANTENNA else a} ({n})" for a, n in self.antennas)
        return f"{text} [{self.key}]" if self.rule else text


# ---------------------------------------------------------------------------------------------
# Where to look


def run_url(alerts: AlertSettings, run_id: str) -> str:
    return f"{alerts.ui_url}/runs/{run_id}"


def scorecard_url(alerts: AlertSettings) -> str:
    return f"{alerts.ui_url}/assets/{SCORECARD_ASSET}"


def _where(settings: Settings, run_id: str | None, checks: Sequence[FailedCheck]) -> list[str]:
    lines = ["Où regarder :"]
    if run_id:
        lines.append(f"- l'exécution dans l'interface Dagster : {run_url(settings.alerts, run_id)}")
    if checks:
        lines.append("- le tableau de bord de la qualité des données : "
                     f"{scorecard_url(settings.alerts)} (table marts.data_quality_scorecard, "
                     "par antenne et par mois)")
        lines.append(f"- les enregistrements en cause : table {FAILURES_TABLE} de l'entrepôt, "
                     "filtrée sur check_key")
    return lines


def _listed(checks: Sequence[FailedCheck]) -> list[str]:
    lines = [c.line() for c in checks[:MAX_LISTED]]
    if len(checks) > MAX_LISTED:
        lines.append(f"- … et {len(checks) - MAX_LISTED} autre(s)")
    return lines


def _antenna_summary(checks: Sequence[FailedCheck]) -> str:
    names = sorted({a for c in checks for a, _ in c.antennas})
    if not names:
        return ""
    shown = ["sans antenne" if a == NO_ANTENNA else a for a in names]
    return f" — antenne(s) {', '.join(shown[:5])}{', …' if len(shown) > 5 else ''}"


def _now() -> str:
    return f"{datetime.now(PARIS):%d/%m/%Y à %H:%M}"


# ---------------------------------------------------------------------------------------------
# The failed checks, with their antennas


def failed_checks(wh: Any, keys: Sequence[str]) -> list[FailedCheck]:
    """The checks `keys` with their French rule, failing count and antennas, read from the
    warehouse the check wrote (`marts.dq_check_failures`, the scorecard's `dq_rule_results`).

    An alert must go out even when the warehouse cannot be read (it may be why the run
    failed): the keys alone are returned then.
    """
    from orchestration.gate import antennas_of

    keys = sorted(set(keys))
    if not keys:
        return []
    try:
        if not wh.table_exists(FAILURES_TABLE):
            return [FailedCheck(k) for k in keys]
        marks = ", ".join("?" for _ in keys)
        found = {key: (rule, int(rows)) for key, rule, rows in wh.fetchall(
            f"select check_key, max(rule_fr), max(failing_rows) from {FAILURES_TABLE} "
            f"where check_key in ({marks}) group by check_key", keys)}
        antennas = antennas_of(wh, {k: n for k, (_, n) in found.items()})
    except Exception:  # noqa: BLE001 - the alert goes without the detail
        return [FailedCheck(k) for k in keys]
    return [FailedCheck(k, found[k][0] or "", found[k][1], antennas.get(k, ()))
            if k in found else FailedCheck(k) for k in keys]


def failed_checks_in(settings: Settings, keys: Sequence[str]) -> list[FailedCheck]:
    """`failed_checks` on a connection of its own (outside a run's step)."""
    if not keys:
        return []
    try:
        with connect(settings.warehouse, read_only=not settings.warehouse_is_postgres) as wh:
            return failed_checks(wh, keys)
    except Exception:  # noqa: BLE001 - a locked or unreachable warehouse: keys only
        return [FailedCheck(k) for k in sorted(set(keys))]


# ---------------------------------------------------------------------------------------------
# The messages


def withheld_publication_alert(settings: Settings, run_id: str, checks: Sequence[FailedCheck],
                               unrun: Sequence[str], kept: str) -> Alert:
    """A night whose `error` checks failed (or could not run): readers keep the previous
    publication. `kept`: what readers keep, in French."""
    count = len(checks)
    subject = (f"[sea] Publication retenue : {count} contrôle(s) « erreur » en échec"
               if count else f"[sea] Publication retenue : {len(unrun)} contrôle(s) non exécuté(s)")
    subject += _antenna_summary(checks)
    lines = [f"L'actualisation du {_now()} (date d'arrêté {settings.as_of}) n'a pas publié "
             f"les données pour les lecteurs : {kept}."]
    if checks:
        lines += ["", "Contrôles de sévérité erreur en échec :", *_listed(checks)]
    if unrun:
        lines += ["", "Contrôles qui n'ont pas pu s'exécuter :",
                  *_listed([FailedCheck(k) for k in unrun])]
    lines += ["", "Corrigez les enregistrements dans le CRM ou les tableurs (ou demandez une "
              "dérogation) : la prochaine actualisation publiera d'elle-même.", "",
              *_where(settings, run_id, checks)]
    return Alert(subject, "\n".join(lines))


def blocked_report_alert(settings: Settings, quarter: str, checks: Sequence[FailedCheck],
                         run_id: str | None = None) -> Alert:
    """The gate refused a quarter: its deliverables were not produced."""
    subject = (f"[sea] Rapport {quarter} bloqué : {len(checks)} contrôle(s) bloquant(s) en "
               f"échec{_antenna_summary(checks)}")
    lines = [f"Les livrables du trimestre {quarter} (export collecteur, rapport) n'ont pas été "
             f"produits le {_now()} : la porte qualité est bloquée (date d'arrêté "
             f"{settings.as_of}).", "", "Contrôles bloquants :", *_listed(checks), "",
             "Corrigez les enregistrements, ou faites enregistrer une dérogation pour ce "
             "trimestre (expectations/waivers.yml), puis relancez le rapport "
             f"(make report QUARTER={quarter}).", "", *_where(settings, run_id, checks)]
    return Alert(subject, "\n".join(lines))


def _gate_verdict(instance: DagsterInstance, run_id: str) -> list[str] | None:
    """The blocking checks of a run whose gate refused its quarter, else None."""
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION):
        data = entry.dagster_event.event_specific_data if entry.dagster_event else None
        if data is None or data.check_name != GATE_CHECK or data.passed:
            continue
        listed = data.metadata.get("contrôles bloquants")
        text = str(listed.value) if listed is not None else ""
        return [k.strip() for k in text.split(",") if k.strip() and k.strip() != "aucun"]
    return None


def _step_failures(instance: DagsterInstance, run_id: str) -> list[tuple[str, Any]]:
    return [(entry.step_key or "?", entry.dagster_event.step_failure_data.error)
            for entry in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
            if entry.dagster_event and entry.dagster_event.step_failure_data]


def failed_run_alert(settings: Settings, instance: DagsterInstance, run_id: str, job_name: str,
                     *, partition: str | None = None, summary: str | None = None,
                     origin: str = "") -> Alert:
    """The message of a failed run, whoever launched it (the one code path of the command and
    the sensor). `summary`: the command's one-line failure summary when it has it (else built
    here from the run's failed steps, its full error written to the log folder);
    `origin`: how the run was started, when known."""
    from orchestration.failures import explain_step_failures
    from orchestration.gate import quarter_of_partition
    from orchestration.publication import check_verdict, publication_line

    quarter = None
    if partition:
        try:
            quarter = quarter_of_partition(partition)
        except Exception:  # noqa: BLE001 - a key not a quarter: shown as it is
            quarter = partition
    blocking = _gate_verdict(instance, run_id)
    if blocking is not None:
        return blocked_report_alert(settings, quarter or "?",
                                    failed_checks_in(settings, blocking), run_id)
    if summary is None:
        command = "refresh" if job_name == "nightly_refresh" else job_name
        summary = explain_step_failures(settings, command, run_id,
                                        _step_failures(instance, run_id))
    what = JOBS_FR.get(job_name, f"l'exécution {job_name}")
    subject = f"[sea] Échec de {what}" + (f" {quarter}" if quarter else "")
    failed, _ = check_verdict(instance, run_id)
    checks = failed_checks_in(settings, failed)
    subject += _antenna_summary(checks)
    lines = [f"Échec de {what}{' ' + quarter if quarter else ''} le {_now()}"
             f"{' (origine : ' + origin + ')' if origin else ''}.", "",
             summary[:1].upper() + summary[1:]]
    if job_name in ("nightly_refresh", "sheets_refresh"):  # the jobs that publish
        lines += ["", publication_line(instance, run_id)]
    if checks:
        lines += ["", "Contrôles de sévérité erreur en échec :", *_listed(checks)]
    lines += ["", *_where(settings, run_id, checks)]
    return Alert(subject, "\n".join(lines))


# ---------------------------------------------------------------------------------------------
# Delivery


def _masked(text: str, settings: Settings) -> str:
    from orchestration.failures import masked

    for secret in sorted(settings.alerts.secrets(), key=len, reverse=True):
        text = text.replace(secret, "***")
    return masked(text, settings)


def send_email(alerts: AlertSettings, alert: Alert, to: Sequence[str] = ()) -> None:
    """`alert` by e-mail to `to` (default: `SEA_ALERT_EMAIL_TO`)."""
    message = EmailMessage()
    message["Subject"] = alert.subject
    message["From"] = alerts.smtp_from
    message["To"] = ", ".join(to or alerts.email_to)
    # quoted-printable: readable by any server, 8BITMIME advertised or not
    message.set_content(alert.body, cte="quoted-printable")
    if alerts.smtp_port == SMTPS_PORT:
        server: smtplib.SMTP = smtplib.SMTP_SSL(alerts.smtp_host, alerts.smtp_port,
                                                timeout=TIMEOUT_SECONDS,
                                                context=ssl.create_default_context())
    else:
        server = smtplib.SMTP(alerts.smtp_host, alerts.smtp_port, timeout=TIMEOUT_SECONDS)
    with server:
        if alerts.smtp_starttls and alerts.smtp_port != SMTPS_PORT:
            server.starttls(context=ssl.create_default_context())
        if alerts.smtp_user:
            server.login(alerts.smtp_user, alerts.smtp_password)
        server.send_message(message)


def send_webhook(alerts: AlertSettings, alert: Alert) -> None:
    """POST `{"text": …}`: what Mattermost, Slack and Teams' simple incoming webhooks read."""
    request = urllib.request.Request(
        alerts.webhook_url, data=json.dumps({"text": alert.text()}).encode("utf-8"),
        headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise urllib.error.URLError(f"réponse HTTP {response.status}")


def _why(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"réponse HTTP {exc.code}"
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else ""
    return f"{type(exc).__name__}{' : ' + detail if detail else ''}"


def deliver(settings: Settings, alert: Alert, log: RunLog) -> list[str]:
    """Send `alert` to every configured channel; returns the channels it reached. A channel
    that fails is said in the log (French, secrets masked) and never raises: an alert must not
    turn a run into a failure, nor hide the failure it reports."""
    alerts = settings.alerts
    if not alerts.enabled:  # said once per run by the publication step, not per event
        return []
    alert = Alert(_masked(alert.subject, settings), _masked(alert.body, settings))
    sent = []
    channels = []
    if alerts.email_on:
        channels.append(("courriel", f"{alerts.smtp_host}:{alerts.smtp_port}", send_email,
                         "SEA_ALERT_SMTP_*"))
    if alerts.webhook_on:
        channels.append(("webhook", alerts.webhook_display, send_webhook,
                         "SEA_ALERT_WEBHOOK_URL"))
    for name, where, send, variables in channels:
        try:
            send(alerts, alert)
        except Exception as exc:  # noqa: BLE001 - said, never raised
            log.warning(_masked(f"Alerte non envoyée par {name} ({where}) : {_why(exc)} — "
                                f"vérifiez {variables} et que le service répond.", settings))
            continue
        sent.append(name)
    if sent:
        log.info(f"Alerte envoyée ({', '.join(sent)}) : {alert.subject}")
    return sent


# ---------------------------------------------------------------------------------------------
# The weekly digest of `warn` checks, per antenna

DIGEST_JOB = "weekly_quality_digest"


@dataclass(frozen=True)
class AntennaWarning:
    """A failing `warn` check's share of one antenna's records."""

    key: str
    rule: str
    records: int


def warn_digests(wh: Any) -> tuple[str, dict[str, list[AntennaWarning]]]:
    """(as-of date, antenna → its failing `warn` checks) from the last verdicts of the checks
    (`marts.dq_check_failures`), split by antenna where the scorecard mirrors the check exactly
    (`antennas_of`); a check it does not mirror reaches the data lead's dashboard only."""
    from orchestration.gate import antennas_of

    if not wh.table_exists(FAILURES_TABLE):
        return "", {}
    rows = wh.fetchall(f"select check_key, max(rule_fr), max(failing_rows), max(as_of) "
                       f"from {FAILURES_TABLE} where severity = 'warn' group by check_key")
    rules = {key: rule or key for key, rule, _, _ in rows}
    as_of = max((str(r[3]) for r in rows if r[3] is not None), default="")
    found: dict[str, list[AntennaWarning]] = {}
    for key, pairs in sorted(antennas_of(wh, {k: int(n) for k, _, n, _ in rows}).items()):
        for antenna, count in pairs:
            found.setdefault(antenna, []).append(AntennaWarning(key, rules[key], count))
    return as_of, found


def digest_alert(settings: Settings, antenna: str, as_of: str,
                 warnings: Sequence[AntennaWarning]) -> Alert:
    """One antenna's weekly message: its records the `warn` checks flag, rule by rule."""
    total = sum(w.records for w in warnings)
    lines = [f"Bilan de la semaine (données au {as_of or '?'}) : {total} enregistrement(s) de "
             f"l'antenne {antenna} sont à revoir, selon {len(warnings)} contrôle(s) de qualité "
             "de sévérité avertissement :", ""]
    lines += [f"- « {w.rule} » : {w.records} enregistrement(s) [{w.key}]"
              for w in warnings[:MAX_LISTED]]
    if len(warnings) > MAX_LISTED:
        lines.append(f"- … et {len(warnings) - MAX_LISTED} autre(s)")
    lines += ["", "Ces avertissements ne bloquent ni la publication ni le rapport trimestriel ; "
              "les corriger dans le CRM ou les tableurs rend les chiffres de l'antenne plus "
              "justes.", "", "Où regarder :",
              "- le tableau de bord interne, section qualité des données (par antenne et par "
              "mois), ou dans l'interface Dagster : " + scorecard_url(settings.alerts),
              f"- la liste des enregistrements : table marts.dq_issues, filtrée sur antenna = "
              f"'{antenna}' (la responsable des données peut l'extraire)"]
    return Alert(f"[sea] Qualité des données, antenne {antenna} : {total} enregistrement(s) "
                 "à revoir", "\n".join(lines))


def send_digests(settings: Settings, wh: Any, log: RunLog) -> dict[str, int]:
    """Send each antenna of `SEA_ALERT_ANTENNA_CONTACTS` with flagged records its digest, by
    e-mail to its contacts; an antenna with nothing flagged gets nothing. Returns antenna →
    records announced, for what was delivered."""
    alerts = settings.alerts
    as_of, found = warn_digests(wh)
    sent: dict[str, int] = {}
    for antenna, to in alerts.antenna_contacts:
        warnings = found.get(antenna)
        if not warnings:
            continue
        alert = digest_alert(settings, antenna, as_of, warnings)
        try:
            send_email(alerts, alert, to)
        except Exception as exc:  # noqa: BLE001 - said, never raised
            log.warning(_masked(f"Bilan de l'antenne {antenna} non envoyé par courriel "
                                f"({alerts.smtp_host}:{alerts.smtp_port}) : {_why(exc)} — "
                                "vérifiez SEA_ALERT_SMTP_* et que le service répond.", settings))
            continue
        log.info(f"Bilan envoyé à l'antenne {antenna} ({len(to)} destinataire(s)) : "
                 f"{alert.subject}")
        sent[antenna] = sum(w.records for w in warnings)
    return sent


def build_digest_job(settings: Settings):
    """The weekly digest's job and schedule (`SEA_ALERT_DIGEST_CRON`, Paris time), or None
    when no antenna contact is configured."""
    from dagster import ScheduleDefinition, job, op

    if not settings.alerts.antenna_contacts:
        return None

    @op(name="send_warn_digests", description="Bilan hebdomadaire des avertissements qualité, "
        "envoyé à chaque antenne (SEA_ALERT_ANTENNA_CONTACTS).")
    def send_warn_digests(context) -> None:  # OpExecutionContext (a string annotation fails)
        pg = settings.warehouse_is_postgres
        with connect(settings.warehouse, read_only=not pg) as wh:
            sent = send_digests(settings, wh, context.log)
        context.log.info(f"{len(sent)} antenne(s) destinataire(s) d'un bilan cette semaine.")

    @job(name=DIGEST_JOB, description=("Bilan hebdomadaire, par antenne, des contrôles qualité "
                                       "« avertissement » en échec, envoyé à ses contacts."))
    def weekly_quality_digest() -> None:
        send_warn_digests()

    schedule = ScheduleDefinition(
        name=f"{DIGEST_JOB}_schedule", job=weekly_quality_digest,
        cron_schedule=settings.alerts.digest_cron, execution_timezone="Europe/Paris",
        default_status=DefaultScheduleStatus.RUNNING,
        description="Chaque semaine (SEA_ALERT_DIGEST_CRON, heure de Paris).")
    return weekly_quality_digest, schedule


# ---------------------------------------------------------------------------------------------
# The sensor


def build_alert_sensor(settings: Settings):
    """The run-failure sensor of the code location: alerts for the runs the UI, the daemon or
    the schedules launch (a command's own runs carry `ALERTED_TAG` and are left to it)."""

    @run_failure_sensor(
        name=SENSOR_NAME, default_status=DefaultSensorStatus.RUNNING,
        description=("Alerte (courriel, webhook) quand une exécution échoue ou que la porte "
                     "qualité bloque un trimestre ; canaux : SEA_ALERT_SMTP_*, "
                     "SEA_ALERT_EMAIL_TO, SEA_ALERT_WEBHOOK_URL."))
    def run_failure_alerts(context: RunFailureSensorContext):
        run = context.dagster_run
        if run.tags.get(ALERTED_TAG):
            return SkipReason(f"Exécution {run.run_id} : alerte déjà envoyée par sa commande.")
        if not settings.alerts.enabled:
            return SkipReason(settings.alerts.describe())
        alert = failed_run_alert(settings, context.instance, run.run_id, run.job_name,
                                 partition=run.tags.get("dagster/partition"),
                                 origin=_origin(run.tags))
        deliver(settings, alert, context.log)
        return None

    return run_failure_alerts


def _origin(tags: Mapping[str, str]) -> str:
    if tags.get("dagster/schedule_name"):
        return f"le planning {tags['dagster/schedule_name']}"
    if tags.get("dagster/sensor_name"):
        return f"le capteur {tags['dagster/sensor_name']}"
    if tags.get("dagster/backfill"):
        return "un rattrapage (backfill) depuis l'interface"
    return "l'interface Dagster"


def trial_alert(settings: Settings) -> Alert:
    """The message `python -m orchestration.alerts` sends: proves the channels work."""
    return Alert("[sea] Message d'essai des alertes",
                 f"Message d'essai envoyé le {_now()} : si vous le lisez, les alertes de sea "
                 "vous parviennent (échec d'une exécution, publication retenue, rapport "
                 f"trimestriel bloqué).\n\nInterface Dagster : {settings.alerts.ui_url}")


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m orchestration.alerts`: send a test message to the configured channels and say
    which it reached; exit 1 unless every configured channel was reached (none configured
    included), 2 on a settings mistake."""
    import logging
    import sys

    from common.settings import SettingsError, export_dotenv, load_settings

    logging.basicConfig(format="sea: %(message)s", level=logging.INFO, stream=sys.stderr)
    try:
        export_dotenv()
        settings = load_settings()
    except SettingsError as exc:
        print(f"sea: {exc}", file=sys.stderr)
        return 2
    print(settings.alerts.describe())
    if not settings.alerts.enabled:
        return 1
    sent = deliver(settings, trial_alert(settings), logging.getLogger("sea.alerts"))
    return 0 if len(sent) == settings.alerts.email_on + settings.alerts.webhook_on else 1


if __name__ == "__main__":
    raise SystemExit(main())
