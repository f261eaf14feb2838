"""DirectorySource over Microsoft Graph (msgraph-sdk, imported lazily: ~390 MB, ~190 ms to import).

Facts (the value shapes the ARC checks read):

- `custom-locations-principal` (ARC014): `None` when the connected cluster's ARM body does not list the
  custom-locations feature in `properties.arcAgentryConfigurations`; else `{"objectId": <object id of
  the Custom Locations RP service principal (app bc313c14-388c-4e7d-a58e-70017303ee3b) or None when
  absent from the tenant>, "enabled": <the feature's settings do not say enabled=false and the
  principal exists>}`.
- `arc-onboarding-principal-groups` (ARC004): the service principal that created the connected
  cluster (ARM `systemData.createdBy` when `createdByType` is Application) and its transitive group
  count: `{"principal": appId, "groupCount": int}`; `None` when a user onboarded the cluster. When
  ARM does not say who created it, the fact fails (`not_found`) and ARC004 is inconclusive.

Both need the Graph application permission Application.Read.All (plus GroupMember.Read.All for the
group count); without it the fact fails as `forbidden` and the check is inconclusive.
"""

from __future__ import annotations

import ssl
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlparse

from azure.core.credentials_async import AsyncTokenCredential

from shared.model import Cluster, ClusterKind
from shared.sources.azure.common import ClientOptions, RateLimiter
from shared.sources.base import SourceFailure

CUSTOM_LOCATIONS_APP_ID = "bc313c14-388c-4e7d-a58e-70017303ee3b"
GRAPH_ROLE = "Microsoft Graph Application.Read.All"
FACTS = ("custom-locations-principal", "arc-onboarding-principal-groups")


class GraphDirectory:
    def __init__(
        self,
        credential: AsyncTokenCredential,
        endpoint: str,
        options: ClientOptions,
        arm_get: Callable[[str], Awaitable[dict[str, Any]]] | None = None,
    ):
        self._credential = credential
        self._arm_get = arm_get  # fresh ARM read when a Resource Graph row lacks systemData
        self._endpoint = endpoint.rstrip("/")
        self._options = options
        self._client: Any = None
        self._http: Any = None
        self._cache: dict[tuple[str, str], Any] = {}
        self._limit = RateLimiter(concurrency=4, per_window=100, window=10.0)

    async def __aenter__(self) -> GraphDirectory:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    def _graph(self) -> Any:
        if self._client is None:
            import httpx
            from kiota_authentication_azure.azure_identity_authentication_provider import (
                AzureIdentityAuthenticationProvider,
            )
            from msgraph import GraphRequestAdapter, GraphServiceClient
            from msgraph_core import GraphClientFactory

            host = urlparse(self._endpoint).hostname or "graph.microsoft.com"
            auth = AzureIdentityAuthenticationProvider(
                self._credential, scopes=[f"{self._endpoint}/.default"], allowed_hosts=[host]
            )
            verify: ssl.SSLContext | bool = True
            if self._options.connection_verify:
                verify = ssl.create_default_context(cafile=self._options.connection_verify)
            self._http = GraphClientFactory.create_with_default_middleware(
                client=httpx.AsyncClient(verify=verify, timeout=httpx.Timeout(self._options.timeout))
            )
            adapter = GraphRequestAdapter(auth, client=self._http)
            adapter.base_url = f"{self._endpoint}/v1.0"
            self._client = GraphServiceClient(request_adapter=adapter)
        return self._client

    async def fact(self, cluster: Cluster, name: str) -> Any:
        if name not in FACTS:
            raise SourceFailure(f"unknown Microsoft Graph fact {name!r}", kind="not_found")
        try:
            if cluster.kind is not ClusterKind.ARC:
                raise SourceFailure(f"{name} is a fact about Arc clusters", kind="not_applicable")
            if name == "custom-locations-principal":
                return await self._custom_locations(cluster)
            return await self._onboarding_groups(cluster)
        except SourceFailure:
            raise
        except Exception as err:
            raise _graph_failure(err, name) from err

    async def _principal(self, app_id: str) -> dict[str, Any]:
        key = ("sp", app_id)
        if key not in self._cache:
            from kiota_abstractions.base_request_configuration import RequestConfiguration
            from msgraph.generated.service_principals.service_principals_request_builder import (
                ServicePrincipalsRequestBuilder,
            )

            params = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
                filter=f"appId eq '{app_id}'", select=["id", "appId", "displayName"]
            )
            async with self._limit:
                page = await self._graph().service_principals.get(
                    request_configuration=RequestConfiguration(query_parameters=params)
                )
            found = (page.value or []) if page else []
            self._cache[key] = {"appId": app_id, "objectId": found[0].id if found else None}
        return self._cache[key]

    async def _custom_locations(self, cluster: Cluster) -> dict[str, Any] | None:
        """None unless the cluster's ARM body lists the custom-locations feature; else its object id and state."""
        feature = next(
            (
                item
                for item in cluster.properties.get("arcAgentryConfigurations") or []
                if str(item.get("feature", "")).lower().replace("-", "").replace("_", "") == "customlocations"
            ),
            None,
        )
        if feature is None:
            return None
        principal = await self._principal(CUSTOM_LOCATIONS_APP_ID)
        switched_on = str((feature.get("settings") or {}).get("enabled", "true")).lower() != "false"
        return {"objectId": principal["objectId"], "enabled": switched_on and principal["objectId"] is not None}

    async def _onboarding_groups(self, cluster: Cluster) -> dict[str, Any] | None:
        system = cluster.resource.get("systemData")
        if system is None and self._arm_get is not None:
            system = (await self._arm_get(cluster.id)).get("systemData")
        if not system or not system.get("createdBy"):
            raise SourceFailure(f"ARM does not record who onboarded {cluster.name}", kind="not_found")
        if str(system.get("createdByType", "")).lower() != "application":
            return None  # a user account connected the cluster; no service principal involved
        principal = await self._principal(str(system["createdBy"]))
        if principal["objectId"] is None:
            raise SourceFailure(f"service principal {principal['appId']} not found in the tenant", kind="not_found")
        key = ("groups", principal["objectId"])
        if key not in self._cache:
            from kiota_abstractions.base_request_configuration import RequestConfiguration

            config = RequestConfiguration()
            config.headers.add("ConsistencyLevel", "eventual")  # $count on directory objects needs it
            members = self._graph().service_principals.by_service_principal_id(principal["objectId"])
            async with self._limit:
                self._cache[key] = int(
                    await members.transitive_member_of.graph_group.count.get(request_configuration=config)
                )
        return {"principal": principal["appId"], "groupCount": self._cache[key]}


def _graph_failure(err: BaseException, fact: str) -> SourceFailure:
    status = getattr(err, "response_status_code", None)
    message = str(getattr(err, "message", None) or err).splitlines()[0][:300] if str(err) else type(err).__name__
    if status in (401, 403):
        return SourceFailure(f"Graph {fact}: forbidden ({status}): {message}", kind="forbidden", role=GRAPH_ROLE)
    if status == 429:
        return SourceFailure(f"Graph {fact}: throttled after retries", kind="throttled")
    if type(err).__name__ in ("TimeoutException", "ReadTimeout", "ConnectTimeout"):
        return SourceFailure(f"Graph {fact}: timed out", kind="timeout")
    return SourceFailure(f"Graph {fact}: {type(err).__name__}: {message}", kind="error")
