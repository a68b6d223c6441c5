"""Retries of 429 and 503 answers, as an httpx transport under the generated client, so every call (the
hand-written layer's and the generated functions') is retried the same way."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from .errors import NetworkError, retry_after_seconds

#: Waits when a 429/503 carries no readable `Retry-After`: 1 s, 2 s, 4 s, then 8 s.
DEFAULT_WAITS = (1.0, 2.0, 4.0, 8.0)


class RetryTransport(httpx.BaseTransport):
    """Sends a request again after a 429 or 503, up to `max_retries` times, waiting what `Retry-After` says
    (seconds or an HTTP date), or `DEFAULT_WAITS` without one. A wait longer than `max_wait` is not made:
    the answer goes to the caller at once (as `RateLimited`/`Unavailable`). Other statuses are never
    retried. A failure to get any answer (connect, read, timeout) is raised as `NetworkError` and not
    retried: the request may have been acted on.

    POSTs are retried as well, which is safe only because of how hookd refuses: a 429 is given "at once
    ... before the body is read" (docs/API.md, Fair use), and a 503 `storage_unavailable` means nothing was
    stored, so the refused request had no effect and sending it again cannot act twice.
    """

    def __init__(
        self,
        inner: httpx.BaseTransport,
        max_retries: int = 3,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._inner = inner
        self._max_retries = max_retries
        self._max_wait = max_wait
        self._sleep = sleep

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        retries = 0
        while True:
            try:
                response = self._inner.handle_request(request)
            except httpx.TransportError as e:
                raise NetworkError(f"{request.method} {request.url}: {e!r}") from e
            if response.status_code not in (429, 503) or retries >= self._max_retries:
                return response
            wait = retry_after_seconds(response.headers.get("retry-after"))
            if wait is None:
                wait = DEFAULT_WAITS[min(retries, len(DEFAULT_WAITS) - 1)]
            if wait > self._max_wait:
                return response
            response.read()
            response.close()
            self._sleep(wait)
            retries += 1

    def close(self) -> None:
        self._inner.close()
