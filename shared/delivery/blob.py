"""The JSON report of each run: shard results written as they finish, merged by the last shard.

Layout: runs/<run>/shards/<shard>.json, runs/<run>/report.json. Writes overwrite,
so a retried shard or publication converges on the same blobs.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Protocol

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.blob import ContentSettings
from azure.storage.blob.aio import BlobServiceClient


class ReportStore(Protocol):
    async def write_shard(self, run_id: str, shard_id: str, doc: dict[str, Any]) -> None: ...

    async def shard_docs(self, run_id: str) -> list[dict[str, Any]]: ...

    async def write_report(self, run_id: str, doc: dict[str, Any]) -> str:
        """Store the report; returns where it can be read."""
        ...

    async def read_report(self, run_id: str) -> dict[str, Any] | None: ...

    async def close(self) -> None: ...


def _dump(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, indent=1).encode()


class BlobReports:
    def __init__(self, service: BlobServiceClient, container: str):
        self.service = service
        self.container = service.get_container_client(container)
        self._ready = False

    async def _ensure(self) -> None:
        if not self._ready:
            with contextlib.suppress(ResourceExistsError):
                await self.container.create_container()
            self._ready = True

    async def _put(self, name: str, doc: dict[str, Any]) -> str:
        await self._ensure()
        blob = self.container.get_blob_client(name)
        await blob.upload_blob(
            _dump(doc), overwrite=True, content_settings=ContentSettings(content_type="application/json")
        )
        return blob.url

    async def write_shard(self, run_id: str, shard_id: str, doc: dict[str, Any]) -> None:
        await self._put(f"runs/{run_id}/shards/{shard_id}.json", doc)

    async def shard_docs(self, run_id: str) -> list[dict[str, Any]]:
        await self._ensure()
        docs = []
        async for item in self.container.list_blobs(name_starts_with=f"runs/{run_id}/shards/"):
            data = await (await self.container.download_blob(item.name)).readall()
            docs.append(json.loads(data))
        return docs

    async def write_report(self, run_id: str, doc: dict[str, Any]) -> str:
        return await self._put(f"runs/{run_id}/report.json", doc)

    async def read_report(self, run_id: str) -> dict[str, Any] | None:
        await self._ensure()
        try:
            data = await (await self.container.download_blob(f"runs/{run_id}/report.json")).readall()
        except ResourceNotFoundError:
            return None
        return json.loads(data)

    async def close(self) -> None:
        await self.container.close()
        await self.service.close()


class FolderReports:
    """The same layout in a local folder (CLI and unit tests)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _write(self, path: Path, doc: dict[str, Any]) -> str:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(_dump(doc))
        tmp.replace(path)
        return path.as_uri()

    async def write_shard(self, run_id: str, shard_id: str, doc: dict[str, Any]) -> None:
        self._write(self.root / "runs" / run_id / "shards" / f"{shard_id}.json", doc)

    async def shard_docs(self, run_id: str) -> list[dict[str, Any]]:
        folder = self.root / "runs" / run_id / "shards"
        return [json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))]

    async def write_report(self, run_id: str, doc: dict[str, Any]) -> str:
        return self._write(self.root / "runs" / run_id / "report.json", doc)

    async def read_report(self, run_id: str) -> dict[str, Any] | None:
        path = self.root / "runs" / run_id / "report.json"
        return json.loads(path.read_text("utf-8")) if path.exists() else None

    async def close(self) -> None:
        return None
