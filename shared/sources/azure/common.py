"""What every Azure adapter shares: client options, error mapping and the rate limiters.

Retries (429 with Retry-After, 5xx, connection errors) are azure-core's
RetryPolicy with jitter added; the adapters only turn what is left after the
retries into `SourceFailure`s at their boundary.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.pipeline.policies import AsyncRetryPolicy

from shared.sources.base import SourceFailure

READER = "Reader"
MONITORING_READER = "Monitoring Reader"
LOG_ANALYTICS_READER = "Log Analytics Reader"


class JitterRetryPolicy(AsyncRetryPolicy):
    """azure-core's exponential backoff, spread by +-20% so parallel callers do not retry in lockstep."""

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        return super().get_backoff_time(settings) * random.uniform(0.8, 1.2)


@dataclass(frozen=True)
class ClientOptions:
    """Transport settings handed to every SDK client and call."""

    connection_verify: str | None = None  # CA bundle path; None = the system store
    timeout: float = 60.0  # seconds, connect and read, per call
    retries: int = 4  # bounded retries on 429/5xx/connection errors
    backoff: float = 0.8  # seconds, first backoff step (Retry-After wins when present)
    max_backoff: float = 30.0

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "retry_policy": JitterRetryPolicy(
                retry_total=self.retries,
                retry_backoff_factor=self.backoff,
                retry_backoff_max=self.max_backoff,
                timeout=self.timeout * (self.retries + 1) + self.max_backoff,
            ),
            "connection_timeout": self.timeout,
            "read_timeout": self.timeout,
        }
        if self.connection_verify:
            kwargs["connection_verify"] = self.connection_verify
        return kwargs

    def call_kwargs(self) -> dict[str, Any]:
        return {"connection_timeout": self.timeout, "read_timeout": self.timeout}


def to_failure(err: BaseException, what: str, role: str) -> SourceFailure:
    """Map an SDK exception to the kind the engine understands, naming the role that would allow the call."""
    if isinstance(err, SourceFailure):
        return err
    if isinstance(err, ClientAuthenticationError | HttpResponseError):
        status = getattr(err, "status_code", None) or getattr(getattr(err, "response", None), "status_code", None)
        message = _short(err)
        if isinstance(err, ClientAuthenticationError) and status is None:  # no token at all (az login? identity?)
            return SourceFailure(f"{what}: could not authenticate: {message}", kind="forbidden", role=role)
        if status in (401, 403):
            return SourceFailure(f"{what}: forbidden ({status}): {message}", kind="forbidden", role=role)
        if status == 429:
            return SourceFailure(f"{what}: throttled after retries: {message}", kind="throttled")
        if status == 404:
            return SourceFailure(f"{what}: not found: {message}", kind="not_found")
        if status in (408, 504):
            return SourceFailure(f"{what}: timed out ({status}): {message}", kind="timeout")
        return SourceFailure(f"{what}: HTTP {status}: {message}", kind="error")
    if isinstance(err, TimeoutError | asyncio.TimeoutError | ServiceResponseError):
        return SourceFailure(f"{what}: timed out or connection dropped: {_short(err)}", kind="timeout")
    if isinstance(err, ServiceRequestError):
        return SourceFailure(f"{what}: request failed: {_short(err)}", kind="error")
    return SourceFailure(f"{what}: {type(err).__name__}: {_short(err)}", kind="error")


def _short(err: BaseException) -> str:
    text = str(getattr(err, "message", None) or err).strip().splitlines()
    return text[0][:300] if text else type(err).__name__


class RateLimiter:
    """At most `concurrency` calls in flight and `per_window` starts in any sliding `window` seconds."""

    def __init__(self, concurrency: int, per_window: int, window: float):
        self._gate = asyncio.Semaphore(concurrency)
        self._per_window = per_window
        self._window = window
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> RateLimiter:
        await self._gate.acquire()
        try:
            async with self._lock:
                while True:
                    now = time.monotonic()
                    while self._starts and now - self._starts[0] >= self._window:
                        self._starts.popleft()
                    if len(self._starts) < self._per_window:
                        self._starts.append(now)
                        break
                    await asyncio.sleep(self._window - (now - self._starts[0]))
        except BaseException:
            self._gate.release()
            raise
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._gate.release()
