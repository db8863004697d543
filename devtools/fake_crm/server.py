"""The fake CRM's HTTP server: the ``docs/crm-api.md`` contract over a ``World``, plus faults.

It is a real HTTP server (standard library, one thread per connection) so the pipeline's
client is exercised exactly as against the real CRM — TCP, headers, status codes, keep-alive,
timeouts. On top of the contract it can misbehave on demand (rate limiting, 5xx, resets, slow
answers, revoked token, malformed pages) for the next N requests, and it counts what it answered
so a test can assert that a client retried. A bearer-protected ``/_control/`` API lets
``make demo`` and people drive the world (advance time, inject faults and bad records, open an
antenna) from outside the process.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import hmac
import json
import math
import socket
import struct
import sys
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .schema import DELETIONS, RESOURCES
from .world import World

DEFAULT_TOKEN = "demo-token"
API_PREFIX = "/api/v1/"
CONTROL_PREFIX = "/_control/"
DEFAULT_LIMIT = 100
MAX_LIMIT = 500
FAULT_KINDS: tuple[str, ...] = (
    "429",
    "500",
    "502",
    "503",
    "504",
    "reset",
    "slow",
    "401",
    "malformed",
    "trickle",
    "cursor_loop",
)
MALFORMED_BODY = b'{"data": [{"id": "P0000'
_ENDPOINTS = (*RESOURCES, DELETIONS)


class PortInUseError(OSError):
    """The port the fake CRM should listen on is taken (another demo, `make ui`, or any other
    program): said with the address, so the one line the user sees can name it."""

    def __init__(self, host: str, port: int, cause: OSError) -> None:
        super().__init__(cause.errno, f"port {host}:{port} already in use ({cause.strerror})")
        self.host, self.port = host, port


class _BadRequest(ValueError):
    """A client error answered with 400 and the message."""


@dataclass
class Fault:
    """One injected misbehaviour, applied to the next ``remaining`` matching API requests.

    ``params``: ``retry_after`` (seconds, for 429 and optionally 503), ``seconds`` (delay of
    ``slow``, total duration of ``trickle``), ``pieces`` (how many parts ``trickle`` sends),
    ``body`` (bytes or text served by ``malformed``).
    """

    kind: str
    remaining: int
    resource: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "remaining": self.remaining,
            "resource": self.resource,
            **{k: v for k, v in self.params.items() if isinstance(v, int | float | str)},
        }


class FakeCRMServer:
    """A ``World`` served over HTTP on ``host:port`` (port 0 picks a free one).

    Use as a context manager, or ``start()`` / ``stop()``. ``base_url`` has no ``/api/v1``
    suffix, like ``CRM_BASE_URL``.
    """

    def __init__(
        self,
        world: World | None = None,
        *,
        token: str = DEFAULT_TOKEN,
        host: str = "127.0.0.1",
        port: int = 0,
        log_requests: bool = False,
    ) -> None:
        self.world = world if world is not None else World()
        self.token = token
        self.host = host
        self.port = port
        self.log_requests = log_requests
        self.faults_fired: Counter[str] = Counter()
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._stats: defaultdict[str, Counter[str]] = defaultdict(Counter)
        # derived from the token, so cursors survive a restart of the same demo server
        self._cursor_key = hashlib.sha256(f"fake-crm-cursor:{token}".encode()).digest()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> str:
        """Listen and serve in a background thread; returns ``base_url``."""
        if self._httpd is not None:
            return self.base_url
        try:
            httpd = _HTTPServer((self.host, self.port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise PortInUseError(self.host, self.port, exc) from exc
            raise
        httpd.crm = self
        self._httpd = httpd
        self.port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-crm", daemon=True
        )
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        """Stop serving (idempotent); requests still sleeping in a slow fault are abandoned."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeCRMServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------------ faults and stats

    def inject_fault(
        self, kind: str | int, count: int = 1, resource: str | None = None, **params: Any
    ) -> None:
        """Misbehave on the next ``count`` API requests (of ``resource`` only, if given).

        Kinds: ``429`` (``retry_after`` seconds, default 1), ``500``/``502``/``503``/``504``,
        ``reset`` (connection closed with a TCP reset, no answer), ``slow`` (sleep ``seconds``,
        default 3, then answer normally), ``401``, ``malformed`` (a 200 whose body is not JSON),
        ``trickle`` (the right page, its body sent in ``pieces`` parts, default 30, spread over
        ``seconds``, default 3: every read is quick, the page is slow), ``cursor_loop`` (the
        right page whose ``next_cursor`` is the cursor of the request itself, or on a first page
        a cursor that starts the listing over). Faults queue up in injection order.
        """
        kind = str(kind)
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {FAULT_KINDS}")
        if resource is not None and resource not in _ENDPOINTS:
            raise ValueError(f"unknown resource {resource!r}")
        if int(count) < 1:
            raise ValueError("count must be >= 1")
        with self._lock:
            self._faults.append(Fault(kind, int(count), resource, dict(params)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.describe() for fault in self._faults]

    @property
    def stats(self) -> defaultdict[str, Counter[str]]:
        """Answers given so far, by endpoint then status (``"200"``, ``"429"``, ``"reset"``…).

        Endpoints are the resource names, ``deletions``, ``_control`` and ``unknown``. A copy:
        missing keys read as 0.
        """
        with self._lock:
            return defaultdict(Counter, {k: Counter(v) for k, v in self._stats.items()})

    def reset_stats(self) -> None:
        with self._lock:
            self._stats.clear()
            self.faults_fired.clear()

    def _count(self, endpoint: str, outcome: str) -> None:
        with self._lock:
            self._stats[endpoint][outcome] += 1

    def _take_fault(self, resource: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.resource in (None, resource):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._faults.remove(fault)
                    self.faults_fired[fault.kind] += 1
                    return fault
        return None

    # ------------------------------------------------------------------ request handling

    def _dispatch(self, handler: _Handler) -> None:
        url = urlsplit(handler.path)
        path = url.path
        body = _read_body(handler)
        if path.startswith(API_PREFIX):
            self._api(handler, path[len(API_PREFIX) :].strip("/"), url.query)
        elif path.startswith(CONTROL_PREFIX):
            self._control(handler, path[len(CONTROL_PREFIX) :].strip("/"), body)
        else:
            _send_json(handler, 404, {"error": f"unknown path {path}"})
            self._count("unknown", "404")

    def _authorized(self, handler: _Handler) -> bool:
        expected = f"Bearer {self.token}"
        return hmac.compare_digest(handler.headers.get("Authorization", ""), expected)

    def _api(self, handler: _Handler, resource: str, query: str) -> None:
        if resource not in _ENDPOINTS:
            _send_json(handler, 404, {"error": f"unknown resource {resource!r}"})
            self._count("unknown", "404")
            return
        if handler.command != "GET":
            self._answer(handler, resource, 405, {"error": "only GET is allowed"})
            return
        if not self._authorized(handler):
            self._answer(handler, resource, 401, {"error": "missing or invalid bearer token"})
            return
        fault = self._take_fault(resource)
        if fault is not None and self._misbehave(handler, resource, fault):
            return
        try:
            payload = self._page(resource, query)
        except _BadRequest as exc:
            self._answer(handler, resource, 400, {"error": str(exc)})
            return
        if fault is not None and fault.kind == "cursor_loop":
            payload["next_cursor"] = self._looping_cursor(resource, query)
        if fault is not None and fault.kind == "trickle":
            body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
            _send_trickled(handler, body, float(fault.params.get("seconds", 3.0)),
                           int(fault.params.get("pieces", 30)))
            self._count(resource, "200")
            return
        self._answer(handler, resource, 200, payload)

    def _looping_cursor(self, resource: str, query: str) -> str:
        """The request's own cursor, or on a first page one that lists the first page again."""
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if params.get("cursor"):
            return params["cursor"]
        since_name = "since" if resource == DELETIONS else "updated_since"
        since = _parse_instant(params[since_name]) if params.get(since_name) else 0
        return self._encode_cursor(resource, (since - 1, ""))

    def _misbehave(self, handler: _Handler, resource: str, fault: Fault) -> bool:
        """Apply a fault; True when the request has been fully dealt with."""
        kind = fault.kind
        if kind in ("trickle", "cursor_loop"):
            return False  # they alter the right answer: see `_api`
        if kind == "slow":
            time.sleep(float(fault.params.get("seconds", 3.0)))
            return False
        if kind == "reset":
            _reset(handler)
            self._count(resource, "reset")
            return True
        if kind == "malformed":
            raw = fault.params.get("body", MALFORMED_BODY)
            _send(handler, 200, raw.encode() if isinstance(raw, str) else raw)
            self._count(resource, "200")
            return True
        headers = {}
        if kind == "429" or "retry_after" in fault.params:
            headers["Retry-After"] = str(math.ceil(float(fault.params.get("retry_after", 1))))
        message = {"401": "token revoked (injected fault)", "429": "rate limited (injected fault)"}
        error = message.get(kind, f"server error {kind} (injected fault)")
        self._answer(handler, resource, int(kind), {"error": error}, headers)
        return True

    def _answer(
        self,
        handler: _Handler,
        endpoint: str,
        status: int,
        payload: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        _send_json(handler, status, payload, headers)
        self._count(endpoint, str(status))

    def _page(self, resource: str, query: str) -> dict[str, Any]:
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        limit = _parse_limit(params.get("limit"))
        since_name = "since" if resource == DELETIONS else "updated_since"
        since = _parse_instant(params[since_name]) if params.get(since_name) else None
        after = self._decode_cursor(resource, params["cursor"]) if params.get("cursor") else None
        data, last = self.world.page(resource, since=since, after=after, limit=limit)
        cursor = None if last is None else self._encode_cursor(resource, last)
        return {"data": data, "next_cursor": cursor}

    def _encode_cursor(self, resource: str, last: tuple[int, str]) -> str:
        """Opaque, signed, never expiring: the resource and the last (updated_at, id) served."""
        body = json.dumps([resource, last[0], last[1]], separators=(",", ":")).encode()
        signature = hmac.new(self._cursor_key, body, hashlib.sha256).digest()[:12]
        return base64.urlsafe_b64encode(signature + body).decode().rstrip("=")

    def _decode_cursor(self, resource: str, cursor: str) -> tuple[int, str]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
            signature, body = raw[:12], raw[12:]
            expected = hmac.new(self._cursor_key, body, hashlib.sha256).digest()[:12]
            if not hmac.compare_digest(signature, expected):
                raise ValueError("bad signature")
            name, ts, rid = json.loads(body)
            if name != resource:
                raise ValueError("cursor of another resource")
            return int(ts), str(rid)
        except (ValueError, TypeError, binascii.Error) as exc:
            raise _BadRequest(f"invalid cursor: {exc}") from exc

    # ------------------------------------------------------------------ control API

    def _control(self, handler: _Handler, action: str, body: bytes) -> None:
        if not self._authorized(handler):
            self._answer(handler, "_control", 401, {"error": "missing or invalid bearer token"})
            return
        try:
            status, payload = self._run_control(handler.command, action, body)
        except (ValueError, TypeError) as exc:  # bad JSON, unknown kinds, BadRecordError
            status, payload = 400, {"error": str(exc)}
        self._answer(handler, "_control", status, payload)

    def _run_control(self, method: str, action: str, body: bytes) -> tuple[int, Any]:
        if action == "state" and method == "GET":
            return 200, {
                **self.world.state(),
                "faults": self.faults,
                "stats": {k: dict(v) for k, v in self.stats.items()},
            }
        actions = {
            "advance": self._control_advance,
            "fault": self._control_fault,
            "bad_record": self._control_bad_record,
            "clear_bad_records": lambda args: {"ids": self.world.clear_bad_records()},
            "antenna": self._control_antenna,
        }
        if action not in actions:
            return 404, {"error": f"unknown control action {action!r}"}
        if method != "POST":
            return 405, {"error": "use POST"}
        args = json.loads(body or b"{}")
        if not isinstance(args, dict):
            raise ValueError("the body must be a JSON object")
        return 200, actions[action](args)

    def _control_advance(self, args: dict[str, Any]) -> dict[str, Any]:
        return self.world.advance(float(args.get("days", 1)))

    def _control_fault(self, args: dict[str, Any]) -> dict[str, Any]:
        args = dict(args)
        kind = str(args.pop("kind", ""))
        if kind == "clear":
            self.clear_faults()
        else:
            self.inject_fault(kind, int(args.pop("count", 1)), args.pop("resource", None), **args)
        return {"faults": self.faults}

    def _control_bad_record(self, args: dict[str, Any]) -> dict[str, Any]:
        args = dict(args)
        kind = str(args.pop("kind", ""))
        resource = args.pop("resource", None)
        rid = self.world.inject_bad_record(kind, resource, **args)
        return {"id": rid, "kind": kind, "resource": resource}

    def _control_antenna(self, args: dict[str, Any]) -> dict[str, Any]:
        code = args.get("code")
        if not isinstance(code, str) or not code:
            raise ValueError("antenna needs a non-empty 'code'")
        self.world.add_antenna(code, **({"share": float(args["share"])} if "share" in args else {}))
        return {"antennas": self.world.state()["antennas"]}


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    crm: FakeCRMServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real API behind a proxy
    server_version = "FakeCRM/1.0"
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        # headers and body are two writes: without this, Nagle + delayed ACK add ~40 ms to
        # every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:  # the http.server naming convention
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def _handle(self) -> None:
        try:
            self.server.crm._dispatch(self)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its read timeout)
        except Exception as exc:  # a fake must answer, not die, on its own bug
            print(f"fake CRM: error on {self.path}: {exc!r}", file=sys.stderr)
            try:
                _send_json(self, 500, {"error": f"fake CRM bug: {exc!r}"})
            except OSError:
                self.close_connection = True

    def finish(self) -> None:
        with contextlib.suppress(OSError):  # the socket was reset on purpose or by the client
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.crm.log_requests:
            super().log_message(format, *args)


def _read_body(handler: _Handler) -> bytes:
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length > 0 else b""


def _send(
    handler: _Handler, status: int, body: bytes, headers: dict[str, str] | None = None
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def _send_trickled(handler: _Handler, body: bytes, seconds: float, pieces: int) -> None:
    """A 200 whose body arrives in ``pieces`` parts spread over ``seconds``: each socket read
    gets a few bytes well within any read timeout, the whole page takes ``seconds``."""
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json; charset=utf-8")
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.flush()
    pieces = max(1, min(pieces, len(body)))
    size = math.ceil(len(body) / pieces)
    pause = seconds / pieces
    for start in range(0, len(body), size):
        time.sleep(pause)
        handler.wfile.write(body[start : start + size])
        handler.wfile.flush()


def _send_json(
    handler: _Handler, status: int, payload: Any, headers: dict[str, str] | None = None
) -> None:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    _send(handler, status, body, headers)


def _reset(handler: _Handler) -> None:
    """Close the socket with a TCP RST (SO_LINGER 0) instead of answering."""
    handler.close_connection = True
    with contextlib.suppress(OSError):
        handler.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        handler.connection.close()


def _parse_limit(text: str | None) -> int:
    if text is None or text == "":
        return DEFAULT_LIMIT
    try:
        limit = int(text)
    except ValueError as exc:
        raise _BadRequest(f"limit must be an integer in 1..{MAX_LIMIT}, got {text!r}") from exc
    if not 1 <= limit <= MAX_LIMIT:
        raise _BadRequest(f"limit must be in 1..{MAX_LIMIT}, got {limit}")
    return limit


def _parse_instant(text: str) -> int:
    """Epoch seconds (rounded up, the bound is inclusive) of an ISO-8601 instant.

    Accepts ``Z`` or an offset; a ``+`` left unencoded in the query string arrives as a space
    and is restored; a naive value is taken as UTC.
    """
    value = text.strip()
    if len(value) > 6 and value[-6] == " " and value[-3] == ":":
        value = f"{value[:-6]}+{value[-5:]}"
    if value[-1:] in ("Z", "z"):
        value = value[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise _BadRequest(f"not an ISO-8601 timestamp: {text!r}") from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return math.ceil(moment.timestamp())
