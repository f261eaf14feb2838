"""A fleet-wide bound on concurrent Log Analytics queries, whatever the number of Functions instances.

Log Analytics runs at most 5 concurrent queries per identity. host.json bounds one instance (one shard
at a time, 5 queries per shard); instances scale out independently, so every query of a scheduled run
also holds one of 5 leased slots in the state store. Leases expire, so a worker that dies mid-query
gives its slot back after `lease`.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, datetime, timedelta

from shared.sources.base import LogsSource, QueryResult, SourceFailure
from shared.state import StateStore

LOG_ANALYTICS_CONCURRENCY = 5


class GatedLogs:
    """A LogsSource that runs each query while holding a fleet-wide slot."""

    def __init__(
        self,
        logs: LogsSource,
        state: StateStore,
        slots: int = LOG_ANALYTICS_CONCURRENCY,
        lease: timedelta = timedelta(minutes=5),  # above the 3-minute default server timeout of a query
        wait: timedelta = timedelta(minutes=5),
    ):
        self.logs = logs
        self.state = state
        self.slots = slots
        self.lease = lease
        self.wait = wait

    async def _acquire(self, owner: str) -> int:
        started = datetime.now(UTC)
        delay = 0.05
        while True:
            now = datetime.now(UTC)
            slot = await self.state.acquire_slot(self.slots, owner, now, self.lease)
            if slot is not None:
                return slot
            if now - started > self.wait:
                raise SourceFailure(
                    f"no Log Analytics query slot free after {self.wait} ({self.slots} concurrent queries per identity)",
                    kind="throttled",
                )
            await asyncio.sleep(delay * (0.5 + random.random()))  # jitter: waiting workers do not poll in step
            delay = min(delay * 2, 2.0)

    async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        owner = uuid.uuid4().hex
        slot = await self._acquire(owner)
        try:
            return await self.logs.query_workspace(workspace_id, query, start, end)
        finally:
            await self.state.release_slot(slot, owner)

    async def query_resource(self, resource_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        owner = uuid.uuid4().hex
        slot = await self._acquire(owner)
        try:
            return await self.logs.query_resource(resource_id, query, start, end)
        finally:
            await self.state.release_slot(slot, owner)
