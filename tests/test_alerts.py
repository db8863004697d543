"""Alerts (orchestration/alerts.py): settings, messages, both channels, the failed-run paths.

A local SMTP sink (aiosmtpd) and a local HTTP receiver stand in for the mail server and the
chat tool. The nightly integration — a clean night sends nothing, a night failing an `error`
check sends one e-mail and one webhook naming the check — rides on the two refreshes
tests/test_publication.py already runs (its `refreshes` fixture), not on new ones. Here, the
failed-run path goes through `run_nightly` and the run-failure sensor with a one-op job standing
in for the nightly one: a second of Dagster instead of a pipeline.
"""

from __future__ import annotations

import email
import json
import logging
import socket
import threading
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    MetadataValue,
    Output,
    SkipReason,
    asset,
    build_run_status_sensor_context,
    define_asset_job,
)

from common.settings import SettingsError
from orchestration.alerts import (
    ALERTED_TAG,
    FailedCheck,
    blocked_report_alert,
    build_alert_sensor,
    deliver,
    failed_run_alert,
    withheld_publication_alert,
)
from tests.conftest import make_settings

PASSWORD = "sm7p-pa55word-S3CRET"
HOOK_TOKEN = "T0KEN-hooks-8f3a9c1d2e"
UI = "http://sea.aere.test:3000"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """A local SMTP server keeping every message it receives (and the logins it saw)."""

    def __init__(self, *, accept_login: bool = True) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.port = _free_port()
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's
                sink.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
                sink.messages.append(email.message_from_bytes(envelope.content,
                                                              policy=default_policy))
                return "250 OK"

        def authenticator(server, session, envelope, mechanism, auth_data):
            sink.logins.append((auth_data.login.decode(), auth_data.password.decode()))
            return AuthResult(success=accept_login, handled=False)  # False: answer 535

        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                      authenticator=authenticator, auth_require_tls=False,
                                      auth_exclude_mechanism=["LOGIN"])

    def __enter__(self) -> SmtpSink:
        self._controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._controller.stop()


def body_of(message: email.message.EmailMessage) -> str:
    """The text of a received e-mail, as written (SMTP carries CRLF line ends)."""
    return message.get_content().replace("\r\n", "\n").strip()


class WebhookReceiver:
    """A local HTTP server keeping every POST (path, JSON body); answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.posts: list[tuple[str, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.posts.append((self.path, json.loads(body)))
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:  # quiet
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hooks/{HOOK_TOKEN}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()


def alert_env(sink: SmtpSink | None, receiver: WebhookReceiver | None) -> dict[str, str]:
    """The alert settings pointing at a local sink and receiver (tests/test_publication.py
    uses it too)."""
    env = {"SEA_UI_URL": UI}
    if sink is not None:
        env.update(SEA_ALERT_SMTP_HOST="127.0.0.1", SEA_ALERT_SMTP_PORT=str(sink.port),
                   SEA_ALERT_SMTP_STARTTLS="0", SEA_ALERT_SMTP_USER="sea-alertes",
                   SEA_ALERT_SMTP_PASSWORD=PASSWORD, SEA_ALERT_SMTP_FROM="sea@aere.test",
                   SEA_ALERT_EMAIL_TO="data@aere.test, direction@aere.test")
    if receiver is not None:
        env["SEA_ALERT_WEBHOOK_URL"] = receiver.url
    return env


class Recorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))


@pytest.fixture
def recorded():
    logger = logging.getLogger("sea.alerts.test")
    handler = Recorder()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield logger, handler
    logger.removeHandler(handler)


# -- settings --------------------------------------------------------------------------------
def test_no_channel_means_alerts_off(tmp_path):
    alerts = make_settings(tmp_path).alerts
    assert not alerts.enabled and alerts.ui_url == "http://127.0.0.1:3000"
    assert alerts.describe() == (
        "Alertes désactivées : aucun canal configuré (SEA_ALERT_SMTP_HOST et "
        "SEA_ALERT_EMAIL_TO, ou SEA_ALERT_WEBHOOK_URL).")


def test_alert_settings_read_and_secrets_kept_out(tmp_path):
    env = {"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_SMTP_USER": "alertes@aere.test",
           "SEA_ALERT_SMTP_PASSWORD": PASSWORD, "SEA_ALERT_EMAIL_TO": "a@aere.test,b@aere.test",
           "SEA_ALERT_WEBHOOK_URL": f"https://chat.aere.test/hooks/{HOOK_TOKEN}",
           "SEA_UI_URL": UI + "/",
           "SEA_ALERT_ANTENNA_CONTACTS": "LYON=l@aere.test;paris=p@aere.test"}
    settings = make_settings(tmp_path, **env)
    assert settings.alerts.antenna_contacts == (("LYON", ("l@aere.test",)),
                                                ("PARIS", ("p@aere.test",)))
    alerts = settings.alerts
    assert (alerts.smtp_host, alerts.smtp_port, alerts.smtp_starttls) == (
        "smtp.aere.test", 587, True)
    assert alerts.smtp_from == "alertes@aere.test"  # the login, an address, by default
    assert alerts.email_to == ("a@aere.test", "b@aere.test")
    assert alerts.ui_url == UI
    assert alerts.describe() == ("Alertes : courriel à 2 destinataire(s) via "
                                 "smtp.aere.test:587, webhook https://chat.aere.test.")
    for shown in (repr(settings), repr(alerts), alerts.describe()):
        assert PASSWORD not in shown and HOOK_TOKEN not in shown
    # the Dagster resource gives them back (secrets configured by value only in-process)
    from orchestration.resources import SeaSettingsResource

    assert SeaSettingsResource.from_settings(settings).settings == settings


@pytest.mark.parametrize(("env", "expected"), [
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test",
      "SEA_ALERT_SMTP_FROM": "s@aere.test", "SEA_ALERT_SMTP_PORT": "5x87"},
     "SEA_ALERT_SMTP_PORT='5x87' invalide : attendu un numéro de port entre 1 et 65535"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test",
      "SEA_ALERT_SMTP_FROM": "s@aere.test", "SEA_ALERT_SMTP_PORT": "70000"},
     "SEA_ALERT_SMTP_PORT='70000' invalide : attendu un numéro de port entre 1 et 65535"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test, direction",
      "SEA_ALERT_SMTP_FROM": "s@aere.test"},
     "SEA_ALERT_EMAIL_TO=' direction' invalide : attendu une adresse électronique "
     "(nom@domaine.org)"),
    ({"SEA_ALERT_EMAIL_TO": "a@aere.test"},
     "SEA_ALERT_SMTP_HOST manquant : SEA_ALERT_EMAIL_TO est donné ; attendu le serveur SMTP "
     "qui envoie les alertes"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test"},
     "SEA_ALERT_EMAIL_TO manquant : SEA_ALERT_SMTP_HOST est donné ; attendu les adresses des "
     "destinataires, séparées par des virgules"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test"},
     "SEA_ALERT_SMTP_FROM manquant : attendu l'adresse d'expédition des alertes "
     "(sea@votre-association.org)"),
    ({"SEA_ALERT_SMTP_HOST": "smtp://smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test"},
     "SEA_ALERT_SMTP_HOST='smtp://smtp.aere.test' invalide : attendu un nom d'hôte "
     "(smtp.example.org), sans protocole ni chemin"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test",
      "SEA_ALERT_SMTP_PASSWORD": PASSWORD},
     "SEA_ALERT_SMTP_USER manquant : SEA_ALERT_SMTP_PASSWORD est donné ; attendu "
     "l'identifiant du compte SMTP"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test",
      "SEA_ALERT_SMTP_USER": "u@aere.test", "SEA_ALERT_SMTP_PASSWORD": PASSWORD,
      "SEA_ALERT_SMTP_STARTTLS": "0"},
     "SEA_ALERT_SMTP_STARTTLS=0 refusé avec un mot de passe : il circulerait en clair "
     "jusqu'à smtp.aere.test ; activez STARTTLS ou le port 465"),
    ({"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_EMAIL_TO": "a@aere.test",
      "SEA_ALERT_SMTP_FROM": "s@aere.test", "SEA_ALERT_SMTP_STARTTLS": "peut-être"},
     "SEA_ALERT_SMTP_STARTTLS='peut-être' invalide : attendu 1 ou 0 (oui ou non)"),
    ({"SEA_ALERT_WEBHOOK_URL": f"chat.aere.test/hooks/{HOOK_TOKEN}"},
     "SEA_ALERT_WEBHOOK_URL invalide : attendu une URL http(s):// (valeur non affichée : elle "
     "contient le secret du webhook)"),
    ({"SEA_UI_URL": "127.0.0.1:3000"},
     "SEA_UI_URL='127.0.0.1:3000' invalide : attendu l'adresse http(s):// de l'interface "
     "Dagster, par exemple http://127.0.0.1:3000"),
])
def test_alert_settings_mistakes_stop_at_start_up_in_one_line(tmp_path, env, expected):
    with pytest.raises(SettingsError) as raised:
        make_settings(tmp_path, **env)
    assert str(raised.value) == expected
    assert PASSWORD not in str(raised.value) and HOOK_TOKEN not in str(raised.value)


# -- messages --------------------------------------------------------------------------------
CHECKS = [
    FailedCheck("staging.stg_crm__enrolments.end_not_before_start",
                "La date de sortie n'est pas antérieure à la date d'entrée", 3,
                (("LYON", 2), ("SANS_ANTENNE", 1))),
    FailedCheck("raw.crm_participants.id_unique"),  # no scorecard rule mirrors it
]


def test_withheld_publication_message(tmp_path):
    settings = make_settings(tmp_path, SEA_UI_URL=UI)
    alert = withheld_publication_alert(settings, "run-42", CHECKS, [],
                                       "les lecteurs gardent la publication du 2026-11-19")
    assert alert.subject == ("[sea] Publication retenue : 2 contrôle(s) « erreur » en échec — "
                             "antenne(s) LYON, sans antenne")
    body = alert.body.splitlines()
    assert body[0].endswith("(date d'arrêté 2026-11-20) n'a pas publié les données pour les "
                            "lecteurs : les lecteurs gardent la publication du 2026-11-19.")
    assert body[2:5] == [
        "Contrôles de sévérité erreur en échec :",
        "- « La date de sortie n'est pas antérieure à la date d'entrée » : non respectée par 3 "
        "enregistrement(s) ; antenne(s) : LYON (2), sans antenne (1) "
        "[staging.stg_crm__enrolments.end_not_before_start]",
        "- raw.crm_participants.id_unique"]
    assert f"- l'exécution dans l'interface Dagster : {UI}/runs/run-42" in body
    assert any(line.startswith(f"- le tableau de bord de la qualité des données : {UI}/assets/"
                               "marts/data_quality_scorecard") for line in body)
    assert any("marts.dq_check_failures" in line for line in body)


def test_blocked_report_message(tmp_path):
    settings = make_settings(tmp_path, SEA_UI_URL=UI)
    alert = blocked_report_alert(settings, "2026-Q3", CHECKS[:1])
    assert alert.subject == ("[sea] Rapport 2026-Q3 bloqué : 1 contrôle(s) bloquant(s) en "
                             "échec — antenne(s) LYON, sans antenne")
    assert "make report QUARTER=2026-Q3" in alert.body
    assert "/runs/" not in alert.body  # no run: `make report`


# -- delivery --------------------------------------------------------------------------------
def test_one_alert_reaches_both_channels(tmp_path, recorded):
    logger, lines = recorded
    with SmtpSink() as sink, WebhookReceiver() as receiver:
        settings = make_settings(tmp_path, **alert_env(sink, receiver))
        alert = blocked_report_alert(settings, "2026-Q3", CHECKS[:1])
        assert deliver(settings, alert, logger) == ["courriel", "webhook"]
    assert len(sink.messages) == 1 and len(receiver.posts) == 1
    message = sink.messages[0]
    assert message["Subject"] == alert.subject
    assert message["From"] == "sea@aere.test"
    assert sink.envelopes == [("sea@aere.test", ["data@aere.test", "direction@aere.test"])]
    assert body_of(message) == alert.body
    assert sink.logins == [("sea-alertes", PASSWORD)]
    path, payload = receiver.posts[0]
    assert path == f"/hooks/{HOOK_TOKEN}"
    assert payload == {"text": alert.text()}
    assert lines.lines == [(logging.INFO, f"Alerte envoyée (courriel, webhook) : {alert.subject}")]


def test_a_channel_that_fails_is_logged_without_secrets_and_never_raises(tmp_path, recorded):
    logger, lines = recorded
    with SmtpSink(accept_login=False) as sink, WebhookReceiver(status=500) as receiver:
        settings = make_settings(tmp_path, **alert_env(sink, receiver))
        alert = blocked_report_alert(settings, "2026-Q3", CHECKS[:1])
        assert deliver(settings, alert, logger) == []
        # nobody listening at all
        closed = make_settings(tmp_path, **{**alert_env(sink, receiver),
                                            "SEA_ALERT_SMTP_PORT": str(_free_port()),
                                            "SEA_ALERT_WEBHOOK_URL": f"http://127.0.0.1:"
                                            f"{_free_port()}/hooks/{HOOK_TOKEN}"})
        assert deliver(closed, alert, logger) == []
    assert sink.messages == [] and len(receiver.posts) == 1  # received, answered 500
    assert [level for level, _ in lines.lines] == [logging.WARNING] * 4
    said = [line for _, line in lines.lines]
    assert said[0].startswith(f"Alerte non envoyée par courriel (127.0.0.1:{sink.port}) : "
                              "SMTPAuthenticationError")
    assert said[1] == ("Alerte non envoyée par webhook (http://127.0.0.1) : réponse HTTP 500 — "
                       "vérifiez SEA_ALERT_WEBHOOK_URL et que le service répond.")
    assert "ConnectionRefusedError" in said[2] and "URLError" in said[3]
    for line in said:
        assert PASSWORD not in line and HOOK_TOKEN not in line and "/hooks/" not in line


# -- a failed run: the command and the sensor ------------------------------------------------
def _failing_definitions(error: Exception):
    """A one-op "nightly_refresh" whose extraction fails as `error` says."""

    @asset(key=["raw", "crm_extract"])
    def crm_extract():
        raise error

    return Definitions(assets=[crm_extract], jobs=[define_asset_job("nightly_refresh")])


def test_a_failed_nightly_run_alerts_once_by_its_command_not_the_sensor(tmp_path, monkeypatch):
    from connectors.crm.client import CRMAuthError
    from orchestration import runs

    with SmtpSink() as sink, WebhookReceiver() as receiver:
        settings = make_settings(tmp_path, crm_url="http://127.0.0.1:9",
                                 **alert_env(sink, receiver))
        monkeypatch.setattr(runs, "build_definitions", lambda s: _failing_definitions(
            CRMAuthError("401 Unauthorized from http://127.0.0.1:9/api/v1/participants")))
        instance = DagsterInstance.ephemeral()
        with pytest.raises(runs.RunFailed, match="a refusé le jeton") as failed:
            runs.run_nightly(settings, instance, origin="make refresh")
        assert len(sink.messages) == 1 and len(receiver.posts) == 1
        run = instance.get_runs()[0]
        subject = sink.messages[0]["Subject"]
        assert subject == "[sea] Échec de l'actualisation nocturne"
        body = body_of(sink.messages[0])
        assert "(origine : make refresh)" in body
        assert str(failed.value)[:1].upper() + str(failed.value)[1:] in body  # the same line
        assert "Publication retenue : l'étape de publication n'a pas tourné" in body
        assert f"{UI}/runs/{run.run_id}" in body
        assert receiver.posts[0][1]["text"] == f"{subject}\n\n{body}"
        # the sensor leaves the command's run alone…
        sensor = build_alert_sensor(settings)
        failure = instance.all_logs(run.run_id, of_type=DagsterEventType.RUN_FAILURE)[0]
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=run,
            dagster_event=failure.dagster_event).for_run_failure()
        assert isinstance(sensor(context), SkipReason)
        assert len(sink.messages) == 1
        # …and alerts the same run, the same way, when the daemon launched it
        launched = run.with_tags({k: v for k, v in run.tags.items() if k != ALERTED_TAG}
                                 | {"dagster/schedule_name": "nightly_refresh_schedule"})
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=launched,
            dagster_event=failure.dagster_event).for_run_failure()
        assert sensor(context) is None
    assert len(sink.messages) == 2 and len(receiver.posts) == 2
    again = body_of(sink.messages[1])
    assert sink.messages[1]["Subject"] == subject
    assert "(origine : le planning nightly_refresh_schedule)" in again
    assert "a refusé le jeton d'accès (401)" in again and f"/runs/{run.run_id}" in again
    assert "test-token" not in again


def test_the_sensor_says_a_blocked_quarter(tmp_path):
    """A quarterly run fails on the gate's blocking check: "blocked", with the checks."""
    key = "staging.stg_crm__enrolments.end_not_before_start"

    @asset(key=["deliverables", "quality_gate"],
           check_specs=[AssetCheckSpec("gate_passed", asset=["deliverables", "quality_gate"],
                                       blocking=True)])
    def quality_gate():
        yield Output(1)
        yield AssetCheckResult(check_name="gate_passed", passed=False,
                               severity=AssetCheckSeverity.ERROR,
                               metadata={"contrôles bloquants": MetadataValue.text(key)})

    job = Definitions(assets=[quality_gate], jobs=[define_asset_job("quarterly_reporting")]
                      ).resolve_job_def("quarterly_reporting")
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False,
                                    tags={"dagster/partition": "2026-07-01"})
    assert not result.success
    with SmtpSink() as sink:
        settings = make_settings(tmp_path, **alert_env(sink, None))
        alert = failed_run_alert(settings, instance, result.run_id, "quarterly_reporting",
                                 partition="2026-07-01")
        sensor = build_alert_sensor(settings)
        context = build_run_status_sensor_context(
            sensor_name=sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
            dagster_event=result.get_run_failure_event()).for_run_failure()
        assert sensor(context) is None
    assert alert.subject == "[sea] Rapport 2026-Q3 bloqué : 1 contrôle(s) bloquant(s) en échec"
    assert f"- {key}" in alert.body.splitlines()  # the warehouse has no detail: the key alone
    assert [m["Subject"] for m in sink.messages] == [alert.subject]


def test_alerts_off_the_sensor_says_so(tmp_path):
    job = _failing_definitions(RuntimeError("boom")).resolve_job_def("nightly_refresh")
    instance = DagsterInstance.ephemeral()
    result = job.execute_in_process(instance=instance, raise_on_error=False)
    sensor = build_alert_sensor(make_settings(tmp_path))
    context = build_run_status_sensor_context(
        sensor_name=sensor.name, dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event()).for_run_failure()
    skipped = sensor(context)
    assert isinstance(skipped, SkipReason) and "Alertes désactivées" in skipped.skip_message


def test_the_trial_command_reaches_every_channel(tmp_path, monkeypatch, capsys):
    from orchestration.alerts import main

    monkeypatch.setattr("orchestration.alerts.TIMEOUT_SECONDS", 5)
    for name, value in {"SEA_DEMO": "1", "SEA_WAREHOUSE": str(tmp_path / "w.duckdb"),
                        "DAGSTER_HOME": str(tmp_path / "dh")}.items():
        monkeypatch.setenv(name, value)
    assert main() == 1  # nothing configured
    assert capsys.readouterr().out.startswith("Alertes désactivées")
    with SmtpSink() as sink, WebhookReceiver() as receiver:
        for name, value in alert_env(sink, receiver).items():
            monkeypatch.setenv(name, value)
        assert main() == 0
        monkeypatch.setenv("SEA_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{_free_port()}/x/y")
        assert main() == 1  # the e-mail went, the webhook did not
    assert [m["Subject"] for m in sink.messages] == ["[sea] Message d'essai des alertes"] * 2
    assert len(receiver.posts) == 1
    out = capsys.readouterr()
    assert PASSWORD not in out.out + out.err and HOOK_TOKEN not in out.out + out.err


def test_alert_secrets_are_not_in_what_the_ui_is_served(tmp_path, monkeypatch):
    """The code location's snapshot (resources, sensor) names the alert secrets' variables,
    never their values, when they come from the environment as under `make ui`."""
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    from orchestration.definitions import build_definitions

    env = {"SEA_ALERT_SMTP_HOST": "smtp.aere.test", "SEA_ALERT_SMTP_USER": "a@aere.test",
           "SEA_ALERT_SMTP_PASSWORD": PASSWORD, "SEA_ALERT_EMAIL_TO": "b@aere.test",
           "SEA_ALERT_WEBHOOK_URL": f"https://chat.aere.test/hooks/{HOOK_TOKEN}"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings = make_settings(tmp_path, **env)
    repo = build_definitions(settings).get_repository_def()
    served = serialize_value(RepositorySnap.from_def(repo))
    assert PASSWORD not in served and HOOK_TOKEN not in served
    assert "SEA_ALERT_SMTP_PASSWORD" in served and "SEA_ALERT_WEBHOOK_URL" in served
    assert "run_failure_alerts" in served
    assert repo.get_sensor_def("run_failure_alerts").default_status.value == "RUNNING"


# -- the weekly digest of `warn` checks per antenna ------------------------------------------
def _warehouse_with_verdicts(path) -> None:
    """The tables the digest reads, as a night leaves them: failing checks with their records
    (`marts.dq_check_failures`) and the scorecard by rule and antenna."""
    import pandas as pd

    from common.warehouse import connect
    from expectations.failures import COLUMNS, ensure_failures_table

    rows = []  # (check, rule, severity, failing rows, sample ids)
    for key, rule, severity, count in (
            ("staging.stg_crm__participants.birth_date_present", "Date de naissance renseignée",
             "warn", 3),
            ("staging.stg_crm__activities.duration_present", "Durée renseignée", "warn", 4),
            ("staging.stg_crm__enrolments.end_not_before_start", "Sortie après entrée",
             "error", 1),
            ("raw.sheet_attendance.unmirrored", "Règle sans tableau de bord", "warn", 2)):
        for i in range(min(count, 2)):
            rows.append((key, key.split(".")[1], rule, severity, count, f"p_{key[-4:]}{i}", None,
                         pd.Timestamp("2026-11-20 03:00"), pd.Timestamp("2026-11-20").date()))
    with connect(path) as wh:
        ensure_failures_table(wh)
        wh.insert_df("marts.dq_check_failures",
                     pd.DataFrame(rows, columns=[name for name, _ in COLUMNS]))
        wh.execute("create table marts.dq_rule_results (antenna varchar, gate_check varchar, "
                   "records_failed bigint)")
        wh.execute("insert into marts.dq_rule_results values "
                   "('PARIS', 'staging.stg_crm__participants.birth_date_present', 2), "
                   "('LYON', 'staging.stg_crm__participants.birth_date_present', 1), "
                   "('PARIS', 'staging.stg_crm__activities.duration_present', 4), "
                   "('PARIS', 'staging.stg_crm__enrolments.end_not_before_start', 1), "
                   "('BORDEAUX', 'staging.stg_crm__participants.birth_date_present', 0)")


def test_weekly_digest_goes_to_each_antenna_with_records_to_fix(tmp_path):
    from orchestration.alerts import build_digest_job

    warehouse = tmp_path / "w.duckdb"
    _warehouse_with_verdicts(str(warehouse))
    with SmtpSink() as sink:
        settings = make_settings(tmp_path, warehouse=str(warehouse), **alert_env(sink, None),
                                 SEA_ALERT_ANTENNA_CONTACTS="paris=p1@aere.test,p2@aere.test; "
                                 "LYON=l@aere.test;BORDEAUX=b@aere.test")
        job, schedule = build_digest_job(settings)
        assert schedule.cron_schedule == "0 8 * * 1"
        assert job.execute_in_process().success
    # BORDEAUX has nothing to fix: no message; the unmirrored check reaches no antenna
    assert sorted(sink.envelopes) == [("sea@aere.test", ["l@aere.test"]),
                                      ("sea@aere.test", ["p1@aere.test", "p2@aere.test"])]
    by_subject = {m["Subject"]: body_of(m) for m in sink.messages}
    paris = by_subject["[sea] Qualité des données, antenne PARIS : 6 enregistrement(s) à revoir"]
    assert paris.splitlines()[2:4] == [
        "- « Durée renseignée » : 4 enregistrement(s) [staging.stg_crm__activities."
        "duration_present]",
        "- « Date de naissance renseignée » : 2 enregistrement(s) [staging.stg_crm__"
        "participants.birth_date_present]"]
    assert "(données au 2026-11-20)" in paris and "Sortie après entrée" not in paris
    lyon = by_subject["[sea] Qualité des données, antenne LYON : 1 enregistrement(s) à revoir"]
    assert "antenna = 'LYON'" in lyon and "p_" not in lyon + paris  # never a record id


def test_no_antenna_contact_no_digest_job(tmp_path):
    from orchestration.alerts import build_digest_job

    assert build_digest_job(make_settings(tmp_path)) is None


@pytest.mark.parametrize(("env", "expected"), [
    ({"SEA_ALERT_ANTENNA_CONTACTS": "PARIS=p@aere.test"},
     "SEA_ALERT_SMTP_HOST manquant : SEA_ALERT_ANTENNA_CONTACTS est donné ; le bilan "
     "hebdomadaire des antennes part par courriel"),
    ({"SEA_ALERT_ANTENNA_CONTACTS": "PARIS p@aere.test"},
     "SEA_ALERT_ANTENNA_CONTACTS invalide près de 'PARIS p@aere.test' : attendu "
     "ANTENNE=adresse[,adresse] ; ANTENNE=… (un code d'antenne une seule fois, par exemple "
     "PARIS=paris@aere.org)"),
    ({"SEA_ALERT_ANTENNA_CONTACTS": "PARIS=paris"},
     "SEA_ALERT_ANTENNA_CONTACTS='paris' invalide : attendu une adresse électronique "
     "(nom@domaine.org)"),
    ({"SEA_ALERT_DIGEST_CRON": "lundi 8h"},
     "SEA_ALERT_DIGEST_CRON='lundi 8h' invalide : attendu une expression cron à 5 champs, "
     "par exemple '0 8 * * 1'"),
])
def test_digest_settings_mistakes(tmp_path, env, expected):
    with pytest.raises(SettingsError) as raised:
        make_settings(tmp_path, **env)
    assert str(raised.value) == expected


def test_every_alert_setting_is_documented():
    import re

    from common.settings import PROJECT_ROOT

    code = (PROJECT_ROOT / "common" / "settings.py").read_text(encoding="utf-8")
    names = set(re.findall(r'"(SEA_ALERT_[A-Z_]+|SEA_UI_URL)"', code))
    assert len(names) == 11, sorted(names)
    doc = (PROJECT_ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    assert {n for n in names if f"| `{n}` |" not in doc} == set()


def test_make_report_alerts_a_blocked_quarter_and_the_dagster_asset_leaves_it_to_the_sensor(
        tmp_path, monkeypatch):
    """`run_quarterly_report` refused by the gate: one alert from `make report` (record=True);
    none from the quarterly job's asset (record=False), whose failed run the sensor alerts."""
    from datetime import date, datetime

    from expectations.outcomes import CheckOutcome
    from expectations.suites import all_checks, default_suites
    from orchestration import reporting
    from orchestration.gate import GateResult

    key = "staging.stg_crm__enrolments.end_not_before_start"
    check = all_checks(default_suites())[key]
    gate = GateResult(quarter="2026-Q3", as_of=date(2026, 11, 20),
                      evaluated_at=datetime(2026, 11, 20, 6),
                      outcomes=(CheckOutcome(check, passed=False, row_count=2),),
                      antennas={key: (("PARIS", 2),)})
    monkeypatch.setattr(reporting, "evaluate_gate", lambda settings, quarter: gate)
    with SmtpSink() as sink:
        settings = make_settings(tmp_path, **alert_env(sink, None))
        with pytest.raises(reporting.GateBlocked):
            reporting.run_quarterly_report(settings, "2026-Q3", record=False)
        assert sink.messages == []
        with pytest.raises(reporting.GateBlocked):
            reporting.run_quarterly_report(settings, "2026-Q3")
    assert [m["Subject"] for m in sink.messages] == [
        "[sea] Rapport 2026-Q3 bloqué : 1 contrôle(s) bloquant(s) en échec — antenne(s) PARIS"]
    assert (f"- « {check.rule} » : non respectée par 2 enregistrement(s) ; antenne(s) : "
            f"PARIS (2) [{key}]") in body_of(sink.messages[0]).splitlines()
