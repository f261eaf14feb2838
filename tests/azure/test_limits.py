"""The client-side limiters: concurrency and a sliding window of starts, and jittered backoff."""

from __future__ import annotations

import asyncio
import time

from shared.sources.azure.common import JitterRetryPolicy, RateLimiter


async def test_rate_limiter_bounds_concurrency_and_window() -> None:
    limiter = RateLimiter(concurrency=2, per_window=3, window=0.5)
    starts: list[float] = []
    running = 0
    peak = 0

    async def call() -> None:
        nonlocal running, peak
        async with limiter:
            starts.append(time.monotonic())
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.05)
            running -= 1

    began = time.monotonic()
    await asyncio.gather(*(call() for _ in range(7)))
    assert peak == 2
    for first in starts:
        assert sum(1 for t in starts if first <= t < first + 0.5 - 0.01) <= 3
    assert time.monotonic() - began >= 1.0  # 7 starts at 3 per 0.5 s need two full windows


def test_backoff_is_jittered_and_bounded() -> None:
    policy = JitterRetryPolicy(retry_total=4, retry_backoff_factor=1.0, retry_backoff_max=30)
    settings = policy.configure_retries({})
    settings["history"] = [object(), object(), object()]  # third consecutive error: 1.0 * 2**2 = 4 s nominal
    values = {policy.get_backoff_time(settings) for _ in range(50)}
    assert all(3.2 <= v <= 4.8 for v in values)
    assert len(values) > 1
