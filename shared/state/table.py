"""Azure Table storage backend (the Functions app's storage account), async."""

from __future__ import annotations

import contextlib
from typing import Any

from azure.core import MatchConditions
from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError
from azure.data.tables import UpdateMode
from azure.data.tables.aio import TableClient, TableServiceClient

from shared.state.store import StateStore

_RESERVED = ("PartitionKey", "RowKey", "Timestamp", "etag")


class TableBackend:
    def __init__(self, service: TableServiceClient, table: str):
        self.service = service
        self.table_name = table
        self.client: TableClient = service.get_table_client(table)
        self._created = False

    async def ensure(self) -> None:
        if not self._created:
            with contextlib.suppress(ResourceExistsError):
                await self.service.create_table(self.table_name)
            self._created = True

    @staticmethod
    def _plain(entity: Any) -> dict[str, Any]:
        return {k: v for k, v in dict(entity).items() if k not in ("Timestamp", "etag")}

    async def get(self, partition: str, row: str) -> tuple[dict[str, Any], str] | None:
        try:
            entity = await self.client.get_entity(partition, row)
        except ResourceNotFoundError:
            return None
        return self._plain(entity), entity.metadata["etag"]

    async def insert(self, partition: str, row: str, entity: dict[str, Any]) -> bool:
        try:
            await self.client.create_entity({**entity, "PartitionKey": partition, "RowKey": row})
        except ResourceExistsError:
            return False
        return True

    async def upsert(self, partition: str, row: str, entity: dict[str, Any]) -> None:
        await self.client.upsert_entity({**entity, "PartitionKey": partition, "RowKey": row}, mode=UpdateMode.REPLACE)

    async def replace(self, partition: str, row: str, entity: dict[str, Any], etag: str) -> bool:
        try:
            await self.client.update_entity(
                {**entity, "PartitionKey": partition, "RowKey": row},
                mode=UpdateMode.REPLACE,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
            )
        except (ResourceNotFoundError, ResourceExistsError):
            return False
        except HttpResponseError as err:
            if err.status_code == 412:  # precondition failed: someone else wrote first
                return False
            raise
        return True

    async def query(self, partition: str, equals: dict[str, str] | None = None) -> list[dict[str, Any]]:
        clauses = ["PartitionKey eq @pk"]
        params: dict[str, Any] = {"pk": partition}
        for i, (key, value) in enumerate(sorted((equals or {}).items())):
            if not key.isidentifier():
                raise ValueError(f"bad property name {key!r}")
            clauses.append(f"{key} eq @v{i}")
            params[f"v{i}"] = value
        pager = self.client.query_entities(" and ".join(clauses), parameters=params)
        return [self._plain(e) async for e in pager]

    async def close(self) -> None:
        await self.client.close()
        await self.service.close()


async def open_table_state(service: TableServiceClient, table: str) -> StateStore:
    backend = TableBackend(service, table)
    await backend.ensure()
    return StateStore(backend)
