"""Azure sources: Resource Graph + ARM inventory, Log Analytics, Azure Monitor metrics, Microsoft Graph.

The CLI and the Functions app call `open_azure_sources(AzureConfig.from_env(os.environ))`.
Endpoints and the CA bundle are overridable for sovereign clouds and for the
local fake Azure the tests run against.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from shared.settings import get_setting

DEFAULT_ARM = "https://management.azure.com"
DEFAULT_LOGS = "https://api.loganalytics.io"
DEFAULT_GRAPH = "https://graph.microsoft.com"


@dataclass
class AzureConfig:
    subscriptions: list[str] = field(default_factory=list)
    management_group: str | None = None
    arm_endpoint: str = DEFAULT_ARM
    logs_endpoint: str = DEFAULT_LOGS
    graph_endpoint: str = DEFAULT_GRAPH
    connection_verify: str | None = None  # CA bundle path; None = the system trust store
    credential: Any = None  # an AsyncTokenCredential; None = DefaultAzureCredential
    logs_audience: str | None = None  # token audience of the logs endpoint when it differs from the endpoint
    timeout: float = 60.0
    retries: int = 4
    backoff: float = 0.8

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> AzureConfig:
        env = dict(environ)
        subs = [s.strip() for s in get_setting("FLEETDOC_SCOPE_SUBSCRIPTIONS", env).split(",") if s.strip()]
        logs = get_setting("FLEETDOC_LOGS_ENDPOINT", env)
        return cls(
            subscriptions=subs,
            management_group=get_setting("FLEETDOC_SCOPE_MANAGEMENT_GROUP", env) or None,
            arm_endpoint=get_setting("FLEETDOC_ARM_ENDPOINT", env),
            logs_endpoint=logs,
            graph_endpoint=get_setting("FLEETDOC_GRAPH_ENDPOINT", env),
            connection_verify=get_setting("FLEETDOC_CA_BUNDLE", env) or None,
            logs_audience=get_setting("FLEETDOC_LOGS_AUDIENCE", env) or None,
            timeout=float(get_setting("FLEETDOC_AZURE_TIMEOUT", env)),
        )


def azure_scope_configured(environ: Mapping[str, str]) -> bool:
    """True when a subscription list or a management group is set (an empty scope means all readable ones)."""
    env = dict(environ)
    return bool(
        get_setting("FLEETDOC_SCOPE_SUBSCRIPTIONS", env).strip()
        or get_setting("FLEETDOC_SCOPE_MANAGEMENT_GROUP", env).strip()
    )


@asynccontextmanager
async def open_azure_sources(config: AzureConfig) -> AsyncIterator[Any]:
    """The engine's `Sources` over Azure; every client is closed on exit."""
    from shared.engine.scan import Sources
    from shared.sources.azure.common import ClientOptions
    from shared.sources.azure.directory import GraphDirectory
    from shared.sources.azure.inventory import ResourceGraphInventory
    from shared.sources.azure.logs import AzureLogs
    from shared.sources.azure.metrics import AzureMetrics

    options = ClientOptions(
        connection_verify=config.connection_verify,
        timeout=config.timeout,
        retries=config.retries,
        backoff=config.backoff,
    )
    async with AsyncExitStack() as stack:
        credential = config.credential
        if credential is None:
            from azure.identity.aio import DefaultAzureCredential

            credential = await stack.enter_async_context(DefaultAzureCredential())
        inventory = await stack.enter_async_context(
            ResourceGraphInventory(
                credential, config.arm_endpoint, options, config.subscriptions, config.management_group
            )
        )
        logs = await stack.enter_async_context(
            AzureLogs(credential, config.logs_endpoint, options, inventory.workspace_customer_id, config.logs_audience)
        )
        metrics = await stack.enter_async_context(AzureMetrics(credential, config.arm_endpoint, options, inventory))
        directory = await stack.enter_async_context(
            GraphDirectory(credential, config.graph_endpoint, options, inventory.arm_get)
        )
        yield Sources(inventory=inventory, logs=logs, metrics=metrics, directory=directory, name="azure")


__all__ = ["AzureConfig", "azure_scope_configured", "open_azure_sources"]
