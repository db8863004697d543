"""HTTP client of the CRM API: bearer token, cursor pagination, bounded retries.

Transient faults (429 with `Retry-After`, 5xx, connection resets, read timeouts) are retried
with exponential backoff up to a bound; anything else fails loudly with the URL, because
retrying a bug only hides it. The token travels in a header and never appears in messages.
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

log = logging.getLogger(__name__)

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER_SECONDS = 300.0


class CRMError(RuntimeError):
    """The extraction cannot go on; the message names the URL and what came back."""


class CRMAuthError(CRMError):
    """The CRM refused the token (401)."""


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
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.root = api_root(base_url)
        self.page_size = page_size
        self.timeout = (connect_timeout, read_timeout)
        self.max_attempts = max_attempts
        self.backoff_seconds = backoff_seconds
        self.max_backoff_seconds = max_backoff_seconds
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
            try:
                response = self.session.get(url, timeout=self.timeout)
            except (requests.ConnectionError, requests.Timeout) as exc:
                last_problem = f"{type(exc).__name__}"
            else:
                if response.status_code == 200:
                    return self._decode(url, response)
                if response.status_code == 401:
                    raise CRMAuthError(
                        f"CRM refused the token (401) at {url}: check CRM_API_TOKEN"
                    )
                if response.status_code not in RETRYABLE_STATUS:
                    raise CRMError(
                        f"CRM answered {response.status_code} at {url}: {response.text[:500]}"
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
    def _decode(url: str, response: requests.Response) -> dict[str, Any]:
        try:
            body = json.loads(response.content)
        except ValueError:
            raise CRMError(f"CRM page is not valid JSON at {url}") from None
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            raise CRMError(f"CRM page has no `data` list at {url}")
        if "next_cursor" not in body:
            raise CRMError(f"CRM page has no `next_cursor` at {url}")
        return body

    def pages(self, path: str, since_param: str, since: str | None) -> Iterator[Page]:
        """Every page of a list endpoint, following `next_cursor` until it is null."""
        cursor: str | None = None
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
            yield Page(url=url, number=number, records=body["data"])
            cursor = body.get("next_cursor")
            if not cursor:
                return
