"""The one place `sea` reads its configuration (environment variables or `.env`).

Every entry point calls `load_settings()` first, so a missing or malformed value stops the
command at start-up with one line naming the variable and what is expected, instead of a stack
trace from deep inside a run. Secrets (`CRM_API_TOKEN`, `PSEUDONYM_KEY`, passwords in
`SEA_WAREHOUSE`) are kept out of `repr()` so they never reach a log or the Dagster UI.
"""

from __future__ import annotations

import io
import ipaddress
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from dotenv import dotenv_values
from dotenv.parser import parse_stream

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PARIS = ZoneInfo("Europe/Paris")

DEMO_CRM_PORT = 8765
DEMO_CRM_TOKEN = "demo-token"
# Only `make demo` and `make test` may use it; every other command needs a real key.
DEMO_PSEUDONYM_KEY = "sea-demo-pseudonym-key-not-for-real-data"

MIN_KEY_LENGTH = 16
# A key such as "abababababababab" is long but guessable.
MIN_KEY_DISTINCT = 8

_CRON_FIELD = re.compile(r"^[0-9*/,\-]+$")
# A PostgreSQL role name the pipeline writes into its GRANT statements: a plain identifier.
_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class SettingsError(ValueError):
    """A configuration mistake, phrased as the one line the user sees."""


DEFAULT_UI_URL = "http://127.0.0.1:3000"
DEFAULT_SMTP_PORT = 587
DEFAULT_DIGEST_CRON = "0 8 * * 1"  # Mondays, 08:00 Paris time
_ANTENNA = re.compile(r"^[A-Z0-9_]{1,40}$")
# Implicit TLS (SMTPS): the connection is encrypted from the start, STARTTLS does not apply.
SMTPS_PORT = 465
_ADDRESS = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")
_TRUE, _FALSE = ("1", "true", "yes", "oui"), ("0", "false", "no", "non")


@dataclass(frozen=True)
class AlertSettings:
    """Where alerts go (orchestration/alerts.py): e-mail through an SMTP server and/or a chat
    tool's incoming webhook. Neither configured: alerts are off, which is not a mistake.

    The SMTP password and the webhook URL (its path is the secret of a chat webhook) are kept
    out of `repr()`; `describe()` is what may be printed.
    """

    smtp_host: str = ""
    smtp_port: int = DEFAULT_SMTP_PORT
    smtp_user: str = ""
    smtp_password: str = field(default="", repr=False)
    smtp_from: str = ""
    smtp_starttls: bool = True
    email_to: tuple[str, ...] = ()
    webhook_url: str = field(default="", repr=False)
    ui_url: str = DEFAULT_UI_URL
    # The weekly digest of `warn` checks: antenna code -> its contacts' addresses (e-mail only).
    antenna_contacts: tuple[tuple[str, tuple[str, ...]], ...] = ()
    digest_cron: str = DEFAULT_DIGEST_CRON

    @property
    def antenna_contacts_text(self) -> str:
        """The mapping as `SEA_ALERT_ANTENNA_CONTACTS` writes it (`parse_antenna_contacts`)."""
        return ";".join(f"{a}={','.join(to)}" for a, to in self.antenna_contacts)

    @property
    def email_on(self) -> bool:
        return bool(self.smtp_host and self.email_to)

    @property
    def webhook_on(self) -> bool:
        return bool(self.webhook_url)

    @property
    def enabled(self) -> bool:
        return self.email_on or self.webhook_on

    @property
    def webhook_display(self) -> str:
        """The webhook's scheme and host only: its path and query carry the secret."""
        parts = urlsplit(self.webhook_url)
        return f"{parts.scheme}://{parts.hostname}" if self.webhook_url else ""

    def secrets(self) -> list[str]:
        """Values an alert's log line must never contain."""
        values = [self.smtp_password, self.webhook_url]
        if self.webhook_url:
            parts = urlsplit(self.webhook_url)
            values += [parts.path, parts.query]
        return [v for v in values if v and len(v) >= 4 and v != "/"]

    def describe(self) -> str:
        """The channels in one French line, without a secret (the run log says it once)."""
        if not self.enabled:
            return ("Alertes désactivées : aucun canal configuré (SEA_ALERT_SMTP_HOST et "
                    "SEA_ALERT_EMAIL_TO, ou SEA_ALERT_WEBHOOK_URL).")
        channels = []
        if self.email_on:
            channels.append(f"courriel à {len(self.email_to)} destinataire(s) via "
                            f"{self.smtp_host}:{self.smtp_port}")
        if self.webhook_on:
            channels.append(f"webhook {self.webhook_display}")
        return "Alertes : " + ", ".join(channels) + "."


@dataclass(frozen=True)
class Settings:
    crm_base_url: str
    crm_api_token: str = field(repr=False)
    sheets_dir: Path
    warehouse: str = field(repr=False)
    output_dir: Path
    internal_dir: Path
    pseudonym_key: str = field(repr=False)
    dagster_home: Path
    as_of: date
    as_of_is_pinned: bool
    crm_overlap: timedelta
    disclosure_k: int
    nightly_cron: str
    quarterly_delay_days: int
    demo: bool
    # The fake CRM's size in demo mode (`make demo`, then `SEA_DEMO=1 make refresh/ui`): one
    # setting, so the later commands serve the world the demo loaded.
    demo_participants: int = 3000
    # How long a report waits for a running refresh (and a refresh for a report), in seconds.
    lock_wait_seconds: int = 3600
    # What BI readers are given (common/publication.py): on DuckDB the read-only file of the
    # published marts (`SEA_PUBLISHED`, default `published.duckdb` beside the warehouse; empty
    # on PostgreSQL, where the published state is the schema `published`); on PostgreSQL the
    # role allowed to read it and nothing else (`SEA_READER_ROLE`).
    published: str = ""
    reader_role: str = "sea_reader"
    # Alert channels (SEA_ALERT_*, SEA_UI_URL): orchestration/alerts.py.
    alerts: AlertSettings = field(default_factory=AlertSettings)
    # Freshness delays in hours (orchestration/freshness.py): a night plus its run time by
    # default, so one missed night is noticed the next morning.
    freshness_crm_hours: int = 26
    freshness_published_hours: int = 26

    @property
    def warehouse_is_postgres(self) -> bool:
        return self.warehouse.startswith(("postgresql://", "postgres://"))

    @property
    def warehouse_display(self) -> str:
        """The warehouse location with any password masked: safe to print."""
        if not self.warehouse_is_postgres:
            return str(Path(self.warehouse).resolve())
        parts = urlsplit(self.warehouse)
        netloc = parts.hostname or ""
        if parts.port:
            netloc += f":{parts.port}"
        if parts.username:
            netloc = f"{parts.username}{':***' if parts.password else ''}@{netloc}"
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    def run_clock(self) -> datetime:
        """The instant a run starts at (naive UTC), by which CRM records dated in the future are
        recognised and beyond which no watermark moves.

        The real time — except for a run pinned to an as-of date after today, which simulates
        that day (the demo, tests and the benchmark advance a synthetic CRM past today): its
        clock is the end of that day in Paris, or every record of the simulated days would be
        taken for a CRM clock error.
        """
        now = datetime.now(UTC).replace(tzinfo=None)
        if self.as_of_is_pinned and self.as_of > datetime.now(PARIS).date():
            end = datetime.combine(self.as_of + timedelta(days=1), time(0), tzinfo=PARIS)
            return max(now, end.astimezone(UTC).replace(tzinfo=None))
        return now

    @property
    def dbt_target(self) -> str:
        return "postgres" if self.warehouse_is_postgres else "duckdb"

    def dbt_env(self) -> dict[str, str]:
        """Environment for a dbt subprocess: the warehouse connection and nothing secret logged.

        dbt masks the values of variables whose name starts with `DBT_ENV_SECRET_`.
        """
        env = {
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
            "DO_NOT_TRACK": "1",
            "SEA_AS_OF": self.as_of.isoformat(),
        }
        if self.warehouse_is_postgres:
            # A URL percent-encodes what would break it (`@` is `%40` in a password); dbt takes
            # each part as a plain value, so each is decoded here as libpq decodes the URL.
            parts = urlsplit(self.warehouse)
            env.update(
                SEA_PG_HOST=parts.hostname or "127.0.0.1",
                SEA_PG_PORT=str(parts.port or 5432),
                SEA_PG_USER=unquote(parts.username or "") or os.environ.get("USER", "postgres"),
                DBT_ENV_SECRET_SEA_PG_PASSWORD=unquote(parts.password or ""),
                SEA_PG_DBNAME=unquote(parts.path.lstrip("/")) or "postgres",
            )
            env["SEA_DUCKDB_PATH"] = ""
        else:
            env["SEA_DUCKDB_PATH"] = str(Path(self.warehouse).resolve())
        return env


def read_dotenv(path: Path) -> dict[str, str]:
    """The variables of a `.env` file, as python-dotenv reads them (`KEY=VALUE`, quotes,
    `export`, comments, quoted values over several lines), taken literally: no `${VAR}`
    expansion, since a secret may hold a `$`.

    python-dotenv skips a line it cannot read with a log warning, and reads a bare `KEY` as
    unset; either is a mistake in a configuration file, stopped here with one French line that
    names the file and line — not its content, which may be a secret.
    """
    if not path.is_file():
        return {}
    text = path.read_text(encoding="utf-8")
    for binding in parse_stream(io.StringIO(text)):
        if binding.error or (binding.key is not None and binding.value is None):
            raise SettingsError(f"{path}:{binding.original.line} : ligne illisible, attendu "
                                "CLE=valeur")
    values = dotenv_values(stream=io.StringIO(text), interpolate=False)
    return {key: value for key, value in values.items() if value is not None}


def export_dotenv(path: Path | None = None) -> None:
    """Put the variables of `.env` (beside the Makefile) into this process's environment, a
    variable already set winning — as `dagster dev` does for its code location.

    Called once at start-up by the commands and the code location: the secrets then reach the
    Dagster resources by variable name (`EnvVar`, orchestration/resources.py), never by value.
    """
    for key, value in read_dotenv(path or PROJECT_ROOT / ".env").items():
        os.environ.setdefault(key, value)


def _merged_environment(environ: Mapping[str, str] | None) -> dict[str, str]:
    """Real environment variables win over `.env` beside the Makefile."""
    merged = read_dotenv(PROJECT_ROOT / ".env")
    merged.update(os.environ if environ is None else environ)
    return {k: v for k, v in merged.items() if v != ""}


def _path(env: Mapping[str, str], name: str, default: str) -> Path:
    path = Path(env.get(name, default))
    return path if path.is_absolute() else PROJECT_ROOT / path


def _int(env: Mapping[str, str], name: str, default: int, minimum: int, expected: str,
         maximum: int | None = None) -> int:
    raw = env.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} invalide : attendu {expected}") from None
    if value < minimum or (maximum is not None and value > maximum):
        raise SettingsError(f"{name}={raw!r} invalide : attendu {expected}")
    return value


def _as_of(env: Mapping[str, str]) -> tuple[date, bool]:
    raw = env.get("SEA_AS_OF")
    if raw is None:
        return datetime.now(PARIS).date(), False
    try:
        return date.fromisoformat(raw), True
    except ValueError:
        raise SettingsError(
            f"SEA_AS_OF={raw!r} invalide : attendu une date AAAA-MM-JJ"
        ) from None


def _warehouse(env: Mapping[str, str]) -> str:
    raw = env.get("SEA_WAREHOUSE", "data/warehouse.duckdb")
    if raw.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(raw)
        if not parts.hostname or not parts.path.strip("/"):
            raise SettingsError(
                "SEA_WAREHOUSE invalide : attendu postgresql://utilisateur[:mot_de_passe]@hote[:port]/base"
            )
        return raw
    if "://" in raw:
        raise SettingsError(
            f"SEA_WAREHOUSE={raw!r} invalide : attendu un chemin de fichier DuckDB ou une "
            "URL postgresql://"
        )
    path = Path(raw)
    return str(path if path.is_absolute() else PROJECT_ROOT / path)


def _published(env: Mapping[str, str], warehouse: str) -> str:
    """The DuckDB file BI readers open (common/publication.py): `SEA_PUBLISHED`, else
    `published.duckdb` beside the warehouse. Never the warehouse itself (readers would hold the
    pipeline's file), and not a setting of a PostgreSQL warehouse, whose published state is a
    schema of the same database."""
    raw = env.get("SEA_PUBLISHED")
    if warehouse.startswith(("postgresql://", "postgres://")):
        if raw is not None:
            raise SettingsError(
                f"SEA_PUBLISHED={raw!r} invalide : avec un entrepôt PostgreSQL, la publication "
                "est le schéma `published` de la même base ; retirez SEA_PUBLISHED")
        return ""
    if raw is None:
        return str(Path(warehouse).with_name("published.duckdb"))
    path = _path(env, "SEA_PUBLISHED", raw).resolve()
    if "://" in raw or path == Path(warehouse).resolve() or path.is_dir():
        raise SettingsError(
            f"SEA_PUBLISHED={raw!r} invalide : attendu un chemin de fichier DuckDB distinct de "
            "l'entrepôt (SEA_WAREHOUSE)")
    return str(path)


def _reader_role(env: Mapping[str, str]) -> str:
    raw = env.get("SEA_READER_ROLE", "sea_reader")
    if not _ROLE.match(raw):
        raise SettingsError(
            f"SEA_READER_ROLE={raw!r} invalide : attendu un nom de rôle PostgreSQL simple "
            "(minuscules, chiffres, _ ; 63 caractères au plus)")
    return raw


def _http_url(raw: str) -> bool:
    parts = urlsplit(raw)
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise SettingsError(f"{name}={raw!r} invalide : attendu 1 ou 0 (oui ou non)")


def _address(name: str, raw: str) -> str:
    value = raw.strip()
    if not _ADDRESS.match(value):
        raise SettingsError(f"{name}={raw!r} invalide : attendu une adresse électronique "
                            "(nom@domaine.org)")
    return value


def _alerts(env: Mapping[str, str]) -> AlertSettings:
    """The alert channels; a half-configured channel is a mistake (said at start-up, not at
    the first failure, when nobody would be told). Secrets are never in the message."""
    ui_url = env.get("SEA_UI_URL", DEFAULT_UI_URL)
    if not _http_url(ui_url):
        raise SettingsError(f"SEA_UI_URL={ui_url!r} invalide : attendu l'adresse http(s):// "
                            "de l'interface Dagster, par exemple http://127.0.0.1:3000")
    webhook = env.get("SEA_ALERT_WEBHOOK_URL", "").strip()
    if webhook and not _http_url(webhook):
        raise SettingsError("SEA_ALERT_WEBHOOK_URL invalide : attendu une URL http(s):// "
                            "(valeur non affichée : elle contient le secret du webhook)")
    host = env.get("SEA_ALERT_SMTP_HOST", "").strip()
    recipients = env.get("SEA_ALERT_EMAIL_TO", "")
    to = tuple(_address("SEA_ALERT_EMAIL_TO", part)
               for part in recipients.split(",") if part.strip())
    if recipients and not to:
        raise SettingsError(f"SEA_ALERT_EMAIL_TO={recipients!r} invalide : attendu des "
                            "adresses séparées par des virgules")
    smtp_names = [n for n in ("SEA_ALERT_SMTP_PORT", "SEA_ALERT_SMTP_USER",
                              "SEA_ALERT_SMTP_PASSWORD", "SEA_ALERT_SMTP_FROM",
                              "SEA_ALERT_SMTP_STARTTLS") if n in env]
    if not host and (to or smtp_names):
        given = "SEA_ALERT_EMAIL_TO" if to else smtp_names[0]
        raise SettingsError(f"SEA_ALERT_SMTP_HOST manquant : {given} est donné ; attendu le "
                            "serveur SMTP qui envoie les alertes")
    contacts = parse_antenna_contacts(env.get("SEA_ALERT_ANTENNA_CONTACTS", ""))
    digest_cron = _cron(env, "SEA_ALERT_DIGEST_CRON", DEFAULT_DIGEST_CRON)
    if contacts and not host:
        raise SettingsError("SEA_ALERT_SMTP_HOST manquant : SEA_ALERT_ANTENNA_CONTACTS est "
                            "donné ; le bilan hebdomadaire des antennes part par courriel")
    if not host:
        return AlertSettings(webhook_url=webhook, ui_url=ui_url.rstrip("/"),
                             digest_cron=digest_cron)
    if not to:
        raise SettingsError("SEA_ALERT_EMAIL_TO manquant : SEA_ALERT_SMTP_HOST est donné ; "
                            "attendu les adresses des destinataires, séparées par des virgules")
    if "://" in host or "/" in host or " " in host:
        raise SettingsError(f"SEA_ALERT_SMTP_HOST={host!r} invalide : attendu un nom d'hôte "
                            "(smtp.example.org), sans protocole ni chemin")
    port = _int(env, "SEA_ALERT_SMTP_PORT", DEFAULT_SMTP_PORT, 1,
                "un numéro de port entre 1 et 65535", maximum=65535)
    user = env.get("SEA_ALERT_SMTP_USER", "").strip()
    password = env.get("SEA_ALERT_SMTP_PASSWORD", "")
    if password and not user:
        raise SettingsError("SEA_ALERT_SMTP_USER manquant : SEA_ALERT_SMTP_PASSWORD est donné ; "
                            "attendu l'identifiant du compte SMTP")
    starttls = _flag(env, "SEA_ALERT_SMTP_STARTTLS", True)
    if password and not starttls and port != SMTPS_PORT and not _is_loopback(f"//{host}"):
        raise SettingsError("SEA_ALERT_SMTP_STARTTLS=0 refusé avec un mot de passe : il "
                            f"circulerait en clair jusqu'à {host} ; activez STARTTLS ou le "
                            f"port {SMTPS_PORT}")
    sender = env.get("SEA_ALERT_SMTP_FROM", user if "@" in user else "")
    if not sender:
        raise SettingsError("SEA_ALERT_SMTP_FROM manquant : attendu l'adresse d'expédition des "
                            "alertes (sea@votre-association.org)")
    return AlertSettings(
        smtp_host=host, smtp_port=port, smtp_user=user, smtp_password=password,
        smtp_from=_address("SEA_ALERT_SMTP_FROM", sender), smtp_starttls=starttls,
        email_to=to, webhook_url=webhook, ui_url=ui_url.rstrip("/"),
        antenna_contacts=contacts, digest_cron=digest_cron)


def _crm_base_url(env: Mapping[str, str]) -> str:
    raw = env.get("CRM_BASE_URL", f"http://127.0.0.1:{DEMO_CRM_PORT}")
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(f"CRM_BASE_URL={raw!r} invalide : attendu une URL http(s)://")
    return raw.rstrip("/")


def _output_dirs(env: Mapping[str, str]) -> tuple[Path, Path]:
    """Where deliverables go (sent outside) and where the data lead's internal files go.

    Internal files (diffs between versions, the data-quality annex with record ids) must never
    sit inside a folder that is sent, so the two folders may not contain one another.
    """
    output_dir = _path(env, "SEA_OUTPUT_DIR", "data/reports").resolve()
    internal_dir = _path(env, "SEA_INTERNAL_DIR", "data/interne").resolve()
    if internal_dir.is_relative_to(output_dir) or output_dir.is_relative_to(internal_dir):
        raise SettingsError(
            f"SEA_INTERNAL_DIR={str(internal_dir)!r} invalide : attendu un dossier hors de "
            f"SEA_OUTPUT_DIR ({output_dir}), car les documents internes ne doivent jamais être "
            "envoyés"
        )
    return output_dir, internal_dir


def _cron(env: Mapping[str, str], name: str = "NIGHTLY_CRON",
          default: str = "0 2 * * *") -> str:
    raw = env.get(name, default)
    fields = raw.split()
    if len(fields) != 5 or not all(_CRON_FIELD.match(f) for f in fields):
        raise SettingsError(
            f"{name}={raw!r} invalide : attendu une expression cron à 5 champs, "
            f"par exemple '{default}'"
        )
    return raw


def parse_antenna_contacts(raw: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """`PARIS=a@x.org,b@x.org;LYON=c@x.org` → ((antenna, addresses), …), sorted by antenna."""
    name = "SEA_ALERT_ANTENNA_CONTACTS"
    found: dict[str, tuple[str, ...]] = {}
    for part in raw.split(";"):
        if not part.strip():
            continue
        antenna, sep, addresses = part.partition("=")
        antenna = antenna.strip().upper()
        if not sep or not _ANTENNA.match(antenna) or antenna in found:
            raise SettingsError(f"{name} invalide près de {part.strip()!r} : attendu "
                                "ANTENNE=adresse[,adresse] ; ANTENNE=… (un code d'antenne une "
                                "seule fois, par exemple PARIS=paris@aere.org)")
        to = tuple(_address(name, a) for a in addresses.split(",") if a.strip())
        if not to:
            raise SettingsError(f"{name} invalide : aucune adresse pour l'antenne {antenna}")
        found[antenna] = to
    return tuple(sorted(found.items()))


def _is_loopback(url: str) -> bool:
    """Whether `url` names this machine (127.0.0.0/8, ::1, localhost): where the fake CRM runs."""
    host = urlsplit(url).hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _pseudonym_key(env: Mapping[str, str], demo: bool) -> str:
    """The pseudonym secret, refused when it would not keep pseudonyms secret.

    A pseudonym is an HMAC of the CRM id: anyone holding the key can recompute it from an id, so
    a guessable key (blank, short, a character repeated, or the published demo key) makes the
    pseudonymised layers re-identifiable. Only demo and test runs, on synthetic data, may fall
    back to the demo key.
    """
    key = env.get("PSEUDONYM_KEY")
    if key is None:
        if not demo:
            raise SettingsError(
                "PSEUDONYM_KEY manquant : attendu un secret d'au moins "
                f"{MIN_KEY_LENGTH} caractères (seuls `make demo` et `make test` utilisent une "
                "clé de démonstration)"
            )
        warnings.warn("PSEUDONYM_KEY not set: using the demo key (demo data only)", stacklevel=3)
        return DEMO_PSEUDONYM_KEY
    expected = (f"attendu un secret d'au moins {MIN_KEY_LENGTH} caractères, dont au moins "
                f"{MIN_KEY_DISTINCT} différents (par exemple : openssl rand -hex 32)")
    stripped = key.strip()
    if len(stripped) < MIN_KEY_LENGTH:
        raise SettingsError(f"PSEUDONYM_KEY trop court ou vide : {expected}")
    if len(set(stripped)) < MIN_KEY_DISTINCT:
        raise SettingsError(f"PSEUDONYM_KEY trop répétitif : {expected}")
    if key == DEMO_PSEUDONYM_KEY and not demo:
        raise SettingsError(
            "PSEUDONYM_KEY est la clé de démonstration publiée : attendu un secret propre à "
            "votre association (par exemple : openssl rand -hex 32)"
        )
    return key


def load_settings(
    environ: Mapping[str, str] | None = None, *, demo: bool | None = None
) -> Settings:
    """Read and validate every setting; raise `SettingsError` (one line) on the first mistake.

    `demo` (or `SEA_DEMO=1`, set by `make demo` and `make test`) allows the demo pseudonym key,
    with a warning: real data must never be pseudonymised with a published key.
    """
    env = _merged_environment(environ)
    if demo is None:
        demo = env.get("SEA_DEMO", "0") in ("1", "true", "yes")
    crm_base_url = _crm_base_url(env)
    if demo and not _is_loopback(crm_base_url):
        raise SettingsError(
            f"SEA_DEMO=1 refusé avec CRM_BASE_URL={crm_base_url!r} : le mode démonstration ne "
            "vaut que pour le faux CRM local (127.0.0.1, localhost) ; retirez SEA_DEMO pour un "
            "vrai CRM"
        )
    key = _pseudonym_key(env, demo)
    as_of, pinned = _as_of(env)
    output_dir, internal_dir = _output_dirs(env)
    overlap = _int(env, "CRM_OVERLAP_MINUTES", 60, 0, "un nombre entier de minutes >= 0")
    warehouse = _warehouse(env)
    return Settings(
        crm_base_url=crm_base_url,
        crm_api_token=env.get("CRM_API_TOKEN", DEMO_CRM_TOKEN),
        sheets_dir=_path(env, "SHEETS_DIR", "data/demo_sheets"),
        warehouse=warehouse,
        output_dir=output_dir,
        internal_dir=internal_dir,
        pseudonym_key=key,
        dagster_home=_path(env, "DAGSTER_HOME", "data/dagster_home"),
        as_of=as_of,
        as_of_is_pinned=pinned,
        crm_overlap=timedelta(minutes=overlap),
        disclosure_k=_int(env, "DISCLOSURE_K", 5, 2, "un nombre entier >= 2"),
        nightly_cron=_cron(env),
        # The reporting day is that day of a quarter's next month (a plain quarterly cron,
        # orchestration/assets/reporting.py): every month has days 1 to 28.
        quarterly_delay_days=_int(env, "QUARTERLY_DELAY_DAYS", 15, 1,
                                  "un nombre entier de jours entre 1 et 28", maximum=28),
        demo=demo,
        demo_participants=_int(env, "SEA_DEMO_PARTICIPANTS", 3000, 1,
                               "un nombre entier de participants >= 1"),
        lock_wait_seconds=_int(env, "SEA_LOCK_WAIT_SECONDS", 3600, 0,
                               "un nombre entier de secondes >= 0"),
        published=_published(env, warehouse),
        reader_role=_reader_role(env),
        alerts=_alerts(env),
        freshness_crm_hours=_int(env, "SEA_FRESHNESS_CRM_HOURS", 26, 1,
                                 "un nombre entier d'heures >= 1"),
        freshness_published_hours=_int(env, "SEA_FRESHNESS_PUBLISHED_HOURS", 26, 1,
                                       "un nombre entier d'heures >= 1"),
    )
