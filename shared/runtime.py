"""What the Functions app runs against: its sources, its clock and its storage account.

`open_sources` is the one factory every function uses, so the choice between
Azure, a fleet folder and the bundled sample is made in a single place.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.engine.scan import Sources
from shared.settings import get_setting

SOURCES = ("auto", "sample", "local", "azure")
SAMPLE_ROWS = 4_000  # ordinary log lines of the bundled sample: enough for heartbeats, quick to build
_sample_lock = threading.Lock()


class ConfigError(ValueError):
    """An app setting is missing or invalid."""


def source_kind(environ: Mapping[str, str]) -> str:
    kind = get_setting("FLEETDOC_SOURCE", dict(environ)).strip().lower()
    if kind not in SOURCES:
        raise ConfigError(f"FLEETDOC_SOURCE={kind!r}: use one of {', '.join(SOURCES)}")
    if kind == "auto":
        scoped = get_setting("FLEETDOC_SCOPE_SUBSCRIPTIONS", dict(environ)) or get_setting(
            "FLEETDOC_SCOPE_MANAGEMENT_GROUP", dict(environ)
        )
        return "azure" if scoped.strip() else "sample"
    return kind


def _sample_key() -> str:
    """The sample depends on the check catalog (its scenarios) and the builder: hash both."""
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted([*root.glob("checks/*/*.yaml"), *root.glob("sample/*.py")]):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def sample_fleet_dir(base: Path | None = None) -> Path:
    """The bundled sample fleet, generated once per catalog version into the temp folder."""
    from shared.sample.fleet import generate

    cache = (base or Path(tempfile.gettempdir()) / "fleetdoc-sample") / _sample_key()
    if (cache / "manifest.json").exists():
        return cache
    with _sample_lock:
        if (cache / "manifest.json").exists():
            return cache
        cache.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix="staging-", dir=cache.parent))
        try:
            generate(staging / "fleet", rows=SAMPLE_ROWS)
            try:
                os.replace(staging / "fleet", cache)  # atomic: another process may have won the race
            except OSError:
                if not (cache / "manifest.json").exists():
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return cache


@asynccontextmanager
async def open_sources(environ: Mapping[str, str] | None = None) -> AsyncIterator[Sources]:
    """The configured sources, closed on exit."""
    env = dict(os.environ if environ is None else environ)
    kind = source_kind(env)
    if kind == "azure":
        from shared.sources.azure import AzureConfig, open_azure_sources  # heavy SDK imports: only when used

        async with open_azure_sources(AzureConfig.from_env(env)) as sources:
            yield sources
        return
    from shared.sources.local import LocalFleet

    if kind == "local":
        data = get_setting("FLEETDOC_DATA", env)
        if not data:
            raise ConfigError("FLEETDOC_SOURCE=local needs FLEETDOC_DATA (a fleet folder)")
        root = Path(data)
    else:
        root = sample_fleet_dir()
    fleet = LocalFleet(root)
    try:
        yield Sources(inventory=fleet, logs=fleet, metrics=fleet, directory=fleet, name=kind)
    finally:
        fleet.close()


def scan_clock(sources: Sources) -> datetime:
    """A recorded fleet carries its own clock (so its logs look recent); Azure uses the real one."""
    recorded = getattr(sources.inventory, "now", None)
    moment = recorded if isinstance(recorded, datetime) else datetime.now(UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


# --- the app's storage account (AzureWebJobsStorage, connection string or identity) ---------------------------


@dataclass(frozen=True)
class StorageConfig:
    """How to reach the storage account: a connection string locally, the managed identity in Azure."""

    connection_string: str | None = None
    account_name: str | None = None
    client_id: str | None = None
    blob_url: str | None = None
    queue_url: str | None = None
    table_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, prefix: str = "AzureWebJobsStorage") -> StorageConfig:
        env = os.environ if environ is None else environ
        value = env.get(prefix, "")
        if value:
            if value.strip() == "UseDevelopmentStorage=true":
                value = DEV_STORAGE
            return cls(connection_string=value)
        account = env.get(f"{prefix}__accountName", "")
        urls = {s: env.get(f"{prefix}__{s}ServiceUri", "") for s in ("blob", "queue", "table")}
        if not account and not all(urls.values()):
            raise ConfigError(f"set {prefix} (connection string) or {prefix}__accountName (managed identity)")
        return cls(
            account_name=account or None,
            client_id=env.get(f"{prefix}__clientId") or None,
            blob_url=urls["blob"] or f"https://{account}.blob.core.windows.net",
            queue_url=urls["queue"] or f"https://{account}.queue.core.windows.net",
            table_url=urls["table"] or f"https://{account}.table.core.windows.net",
        )

    def credential(self) -> Any:
        from azure.identity.aio import DefaultAzureCredential

        return DefaultAzureCredential(managed_identity_client_id=self.client_id)

    def table_service(self, credential: Any = None) -> Any:
        from azure.data.tables.aio import TableServiceClient

        if self.connection_string:
            return TableServiceClient.from_connection_string(self.connection_string)
        return TableServiceClient(endpoint=self.table_url, credential=credential or self.credential())

    def blob_service(self, credential: Any = None) -> Any:
        from azure.storage.blob.aio import BlobServiceClient

        if self.connection_string:
            return BlobServiceClient.from_connection_string(self.connection_string)
        return BlobServiceClient(account_url=self.blob_url, credential=credential or self.credential())

    def queue_client(self, queue: str, credential: Any = None) -> Any:
        """Messages base64-encoded, as queue triggers expect by default."""
        from azure.storage.queue import TextBase64EncodePolicy
        from azure.storage.queue.aio import QueueClient

        if self.connection_string:
            return QueueClient.from_connection_string(
                self.connection_string, queue, message_encode_policy=TextBase64EncodePolicy()
            )
        return QueueClient(
            account_url=self.queue_url,
            queue_name=queue,
            credential=credential or self.credential(),
            message_encode_policy=TextBase64EncodePolicy(),
        )


# The well-known Azurite development account (public, documented by Microsoft; not a secret).
DEV_STORAGE = (
    "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
    "AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
    "TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;"
)


@dataclass
class Storage:
    """The app's state table, report container and shard queue, opened together for one invocation."""

    state: Any  # shared.state.StateStore
    reports: Any  # shared.delivery.blob.BlobReports
    config: StorageConfig
    environ: Mapping[str, str]
    credential: Any = None  # the managed identity credential shared by the clients (None: connection string)

    async def enqueue(self, messages: list[str]) -> None:
        queue = self.config.queue_client(get_setting("FLEETDOC_SHARD_QUEUE", dict(self.environ)), self.credential)
        async with queue:
            try:
                await queue.create_queue()
            except Exception as err:  # ResourceExistsError: imported lazily with the SDK
                if type(err).__name__ != "ResourceExistsError":
                    raise
            for message in messages:
                await queue.send_message(message)


@asynccontextmanager
async def open_storage(environ: Mapping[str, str] | None = None) -> AsyncIterator[Storage]:
    from shared.delivery.blob import BlobReports
    from shared.state.table import open_table_state

    env = dict(os.environ if environ is None else environ)
    config = StorageConfig.from_env(env)
    credential = None if config.connection_string else config.credential()
    try:
        state = await open_table_state(config.table_service(credential), get_setting("FLEETDOC_STATE_TABLE", env))
        reports = BlobReports(config.blob_service(credential), get_setting("FLEETDOC_REPORT_CONTAINER", env))
        try:
            yield Storage(state, reports, config, env, credential)
        finally:
            await state.close()
            await reports.close()
    finally:
        if credential is not None:
            await credential.close()
