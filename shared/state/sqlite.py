"""The CLI's embedded state: a SQLite file holding the same entities as the Table storage backend."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from shared.state.store import StateStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entities (
    partition TEXT NOT NULL,
    row TEXT NOT NULL,
    body TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (partition, row)
)
"""


class SqliteBackend:
    def __init__(self, path: Path | str):
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute(_SCHEMA)
        self._lock = threading.Lock()

    def _run(self, sql: str, args: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._con.execute(sql, args).fetchall()

    def _change(self, sql: str, args: tuple[Any, ...]) -> int:
        with self._lock:
            return self._con.execute(sql, args).rowcount

    @staticmethod
    def _entity(partition: str, row: str, body: str) -> dict[str, Any]:
        return {**json.loads(body), "PartitionKey": partition, "RowKey": row}

    async def get(self, partition: str, row: str) -> tuple[dict[str, Any], str] | None:
        rows = await asyncio.to_thread(
            self._run, "SELECT body, version FROM entities WHERE partition = ? AND row = ?", (partition, row)
        )
        return (self._entity(partition, row, rows[0][0]), str(rows[0][1])) if rows else None

    async def insert(self, partition: str, row: str, entity: dict[str, Any]) -> bool:
        changed = await asyncio.to_thread(
            self._change,
            "INSERT OR IGNORE INTO entities (partition, row, body) VALUES (?, ?, ?)",
            (partition, row, json.dumps(entity)),
        )
        return changed == 1

    async def upsert(self, partition: str, row: str, entity: dict[str, Any]) -> None:
        await asyncio.to_thread(
            self._change,
            "INSERT INTO entities (partition, row, body) VALUES (?, ?, ?) "
            "ON CONFLICT (partition, row) DO UPDATE SET body = excluded.body, version = version + 1",
            (partition, row, json.dumps(entity)),
        )

    async def replace(self, partition: str, row: str, entity: dict[str, Any], etag: str) -> bool:
        changed = await asyncio.to_thread(
            self._change,
            "UPDATE entities SET body = ?, version = version + 1 WHERE partition = ? AND row = ? AND version = ?",
            (json.dumps(entity), partition, row, int(etag)),
        )
        return changed == 1

    async def query(self, partition: str, equals: dict[str, str] | None = None) -> list[dict[str, Any]]:
        rows = await asyncio.to_thread(
            self._run, "SELECT row, body FROM entities WHERE partition = ? ORDER BY row", (partition,)
        )
        found = [self._entity(partition, r, b) for r, b in rows]
        return [e for e in found if all(e.get(k) == v for k, v in (equals or {}).items())]

    async def close(self) -> None:
        with self._lock:
            self._con.close()


def open_sqlite_state(path: Path | str) -> StateStore:
    return StateStore(SqliteBackend(path))
