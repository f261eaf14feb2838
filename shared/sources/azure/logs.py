"""LogsSource over the Log Analytics query API (azure-monitor-query, async).

The fleet plan queries workspaces by customerId (resolved from the ARM id
through the inventory's cache or an ARM GET); a diagnosis queries one
cluster resource-centrically. The identity's limits are kept here: at most 5
concurrent queries and 200 per 30 seconds.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.monitor.query import LogsQueryPartialResult
from azure.monitor.query.aio import LogsQueryClient

from shared.sources.azure.common import LOG_ANALYTICS_READER, ClientOptions, RateLimiter, to_failure
from shared.sources.base import QueryResult, SourceFailure

MAX_CONCURRENT = 5
MAX_PER_WINDOW = 200
WINDOW_SECONDS = 30.0


class AzureLogs:
    def __init__(
        self,
        credential: AsyncTokenCredential,
        endpoint: str,
        options: ClientOptions,
        customer_id: Callable[[str], Awaitable[str]],
        audience: str | None = None,
    ):
        kwargs: dict[str, Any] = {"endpoint": endpoint.rstrip("/"), **options.client_kwargs()}
        if audience:
            kwargs["audience"] = audience
        self._client = LogsQueryClient(credential, **kwargs)
        self._options = options
        self._customer_id = customer_id
        self._limit = RateLimiter(MAX_CONCURRENT, MAX_PER_WINDOW, WINDOW_SECONDS)

    async def __aenter__(self) -> AzureLogs:
        await self._client.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._client.__aexit__(*exc)

    async def query_workspace(self, workspace_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        guid = await self._customer_id(workspace_id)
        return await self._run(
            f"workspace {workspace_id.rsplit('/', 1)[-1]}",
            self._client.query_workspace,
            guid,
            query,
            start,
            end,
        )

    async def query_resource(self, resource_id: str, query: str, start: datetime, end: datetime) -> QueryResult:
        return await self._run(
            f"cluster {resource_id.rsplit('/', 1)[-1]}", self._client.query_resource, resource_id, query, start, end
        )

    async def _run(
        self, what: str, call: Callable[..., Awaitable[Any]], target: str, query: str, start: datetime, end: datetime
    ) -> QueryResult:
        try:
            async with self._limit:
                response = await call(
                    target,
                    query,
                    timespan=(start, end),
                    server_timeout=int(self._options.timeout),
                    **self._options.call_kwargs(),
                )
        except SourceFailure:
            raise
        except Exception as err:
            raise to_failure(err, what, LOG_ANALYTICS_READER) from err
        if isinstance(response, LogsQueryPartialResult):
            error = response.partial_error
            detail = f"{getattr(error, 'code', 'PartialError')}: {getattr(error, 'message', error)}"
            return QueryResult(rows=_rows(response.partial_data), partial_error=detail)
        return QueryResult(rows=_rows(response.tables))


def _rows(tables: list[Any] | None) -> list[dict[str, Any]]:
    """The primary table as dicts; dynamic columns arrive as JSON text and are decoded."""
    if not tables:
        return []
    table = tables[0]
    types = dict(zip(table.columns, getattr(table, "columns_types", None) or [], strict=False))
    rows = []
    for row in table.rows:
        item = dict(zip(table.columns, row, strict=True))
        for name, kind in types.items():
            if kind == "dynamic" and isinstance(item.get(name), str):
                with contextlib.suppress(json.JSONDecodeError):
                    item[name] = json.loads(item[name])
        rows.append(item)
    return rows
