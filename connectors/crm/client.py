"""HTTP client of the CRM API: bearer token, cursor pagination, bounded retries.

Transient faults (429 with `Retry-After`, 5xx, connection resets, read timeouts) are retried
with exponential backoff up to a bound; anything else fails loudly with the URL, because
retrying a bug only hides it. The token travels in a header and never appears in messages.

Two faults the per-read timeout cannot see are caught here too: a body trickled a few bytes at
a time (each read is quick, the page takes minutes) is cut at a total time limit per page and
retried like a read timeout; a pagination that comes back to a cursor already followed, or
serves the same page twice in a row, would loop forever and fails the extraction.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from urllib3 import exceptions as urllib3_errors

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 300.0
DEFAULT_PAGE_TIME_LIMIT = 120.0
BODY_CHUNK_BYTES = 65_536


class CRMError(RuntimeError):
    """The extraction cannot go on; the message names the URL and what came back."""


class CRMAuthError(CRMError):
    """The CRM refused the token (401)."""


class CRMPaginationError(CRMError):
    """The CRM's cursors go round in circles: following them would never end."""


class _PageTooSlow(Exception):
    """A page's body was still arriving when the page's total time limit passed."""


@dataclass(frozen=True)
class Page:
    url: str
    number: int
    records: list[Any]


def api_root(base_url: str) -> str:
    """`…/api/v1` is appended when the configured base URL does not end with it."""
    base = base_url.rstrip("/")
    return base if base.endswith("/api/v1") else base + "/api/v1"


class CRMClient:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        page_size: int = 500,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 6,
        backoff_seconds: float = 0.5,
        max_backoff_seconds: float = 30.0,
        page_time_limit: float = DEFAULT_PAGE_TIME_LIMIT,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.root = api_root(base_url)
        self.page_size = page_size
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
        # Whole request, headers to last byte: the read timeout only bounds each socket read.
        self.page_time_limit = page_time_limit
        self.sleep = sleep
        self.retries = 0
        self.session = requests.Session()
        self.session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json",
             "User-Agent": "sea-pipeline"}
        )

    def clone(self) -> CRMClient:
        """A client with the same settings and its own HTTP session (one per thread)."""
        twin = CRMClient.__new__(CRMClient)
        twin.__dict__.update(self.__dict__)
        twin.retries = 0
        twin.session = requests.Session()
        twin.session.headers.update(self.session.headers)
        return twin

    def close(self) -> None:
        self.session.close()

    def _wait(self, attempt: int, retry_after: str | None) -> float:
        """Exponential backoff, but never sooner than the server's `Retry-After` asks."""
        delay = min(self.max_backoff_seconds, self.backoff_seconds * 2 ** (attempt - 1))
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, min(float(retry_after), MAX_RETRY_AFTER_SECONDS))
        return delay

    def get_json(self, url: str) -> dict[str, Any]:
        """GET with bounded retries; a 200 must be a JSON object with `data`."""
        last_problem = ""
        for attempt in range(1, self.max_attempts + 1):
            retry_after = None
            deadline = time.monotonic() + self.page_time_limit
            try:
                response = self.session.get(url, timeout=self.timeout, stream=True)
                try:
                    content = self._read_body(response, deadline)
                finally:
                    response.close()
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}"
            except _PageTooSlow:
                last_problem = f"page not received within {self.page_time_limit:g} s"
            else:
                if response.status_code == 200:
                    return self._decode(url, content)
                if response.status_code == 401:
                    raise CRMAuthError(
                        f"CRM refused the token (401) at {url}: check CRM_API_TOKEN"
                    )
                text = content.decode("utf-8", errors="replace")
                if response.status_code not in RETRYABLE_STATUS:
                    raise CRMError(
                        f"CRM answered {response.status_code} at {url}: {text[:500]}"
                    )
                last_problem = f"HTTP {response.status_code}"
                retry_after = response.headers.get("Retry-After")
            if attempt == self.max_attempts:
                break
            delay = self._wait(attempt, retry_after)
            self.retries += 1
            log.warning("CRM %s at %s, retry %d in %.1fs", last_problem, url, attempt, delay)
            self.sleep(delay)
        raise CRMError(f"CRM still failing after {self.max_attempts} attempts at {url}: "
                       f"{last_problem}")

    @staticmethod
    def _read_body(response: requests.Response, deadline: float) -> bytes:
        """The body, read as it comes and given up once `deadline` (monotonic) has passed.

        `read1` returns whatever bytes have arrived instead of waiting for a full chunk, so a
        body trickled a few bytes at a time is checked against the deadline after each of them.
        """
        if time.monotonic() > deadline:
            raise _PageTooSlow
        raw = response.raw
        parts: list[bytes] = []
        try:
            while True:
                part = raw.read1(BODY_CHUNK_BYTES, decode_content=True)
                if not part:
                    break
                parts.append(part)
                if time.monotonic() > deadline:
                    raise _PageTooSlow
        except (TimeoutError, urllib3_errors.ReadTimeoutError) as exc:
            raise requests.Timeout(str(exc)) from None
        except (urllib3_errors.ProtocolError, urllib3_errors.DecodeError, OSError) as exc:
            raise requests.ConnectionError(str(exc)) from None
        return b"".join(parts)

    @staticmethod
    def _decode(url: str, content: bytes) -> dict[str, Any]:
        try:
            body = json.loads(content)
        except ValueError:
            raise CRMError(f"CRM page is not valid JSON at {url}") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise CRMError(f"CRM page has no `data` list at {url}")
        if "next_cursor" not in body:
            raise CRMError(f"CRM page has no `next_cursor` at {url}")
        return body

    def pages(self, path: str, since_param: str, since: str | None) -> Iterator[Page]:
        """Every page of a list endpoint, following `next_cursor` until it is null.

        A cursor already followed, or a page identical to the one before, means the CRM's
        pagination loops: the extraction fails instead of reading the same records forever.
        """
        cursor: str | None = None
        seen: set[str] = set()
        previous: list[Any] | None = None
        number = 0
        while True:
            query: dict[str, str] = {"limit": str(self.page_size)}
            if since:
                query[since_param] = since
            if cursor:
                query["cursor"] = cursor
            url = f"{self.root}/{path}?{urlencode(query)}"
            body = self.get_json(url)
            number += 1
            records = body["data"]
            if previous is not None and records and records == previous:
                raise CRMPaginationError(
                    f"CRM pagination of {path} loops at {url}: page {number} repeats page "
                    f"{number - 1} — la pagination du CRM boucle sur « {path} » : rien n'est "
                    "chargé, signalez-le à l'éditeur du CRM puis relancez l'extraction")
            yield Page(url=url, number=number, records=records)
            previous = records
            cursor = body.get("next_cursor")
            if not cursor:
                return
            if cursor in seen:
                raise CRMPaginationError(
                    f"CRM pagination of {path} loops at {url}: next_cursor was already "
                    f"followed — la pagination du CRM boucle sur « {path} » : rien n'est "
                    "chargé, signalez-le à l'éditeur du CRM puis relancez l'extraction")
            seen.add(cursor)
