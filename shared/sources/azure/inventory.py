"""InventorySource over Azure Resource Graph (the fleet) and fresh ARM reads (one cluster).

Resource Graph rows have the ARM resource shape, so `assemble_clusters` turns
them into clusters exactly as it does a local export. Queries page with
`$skipToken` at 1,000 rows, honour the per-user quota headers and, when one
subscription is forbidden, are retried per subscription so the others still
answer (the forbidden one is reported with the Reader role named).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ResourceNotFoundError
from azure.core.rest import HttpRequest
from azure.mgmt.containerservice.aio import ContainerServiceClient
from azure.mgmt.resourcegraph.aio import ResourceGraphClient
from azure.mgmt.resourcegraph.models import QueryRequest, QueryRequestOptions

from shared.inventory import DCR_TYPE, DCRA_TYPE, assemble_clusters
from shared.model import Cluster, SourceError
from shared.sources.azure.common import READER, ClientOptions, RateLimiter, to_failure
from shared.sources.base import Inventory, SourceFailure

PAGE_ROWS = 1000
WORKSPACE_TYPE = "microsoft.operationalinsights/workspaces"
CLUSTERS_QUERY = (
    "resources | where type in~ ('microsoft.containerservice/managedclusters', "
    "'microsoft.kubernetes/connectedclusters', 'microsoft.insights/datacollectionrules', "
    "'microsoft.operationalinsights/workspaces')"
)
EXTENSIONS_QUERY = "kubernetesconfigurationresources | where type =~ 'microsoft.kubernetesconfiguration/extensions'"
DCRA_QUERY = "insightsresources | where type =~ 'microsoft.insights/datacollectionruleassociations'"
SUBSCRIPTIONS_QUERY = (
    "resourcecontainers | where type =~ 'microsoft.resources/subscriptions' | project id, subscriptionId"
)
NODE_RG_CHUNK = 100  # resource groups per `in~` list, keeps the query text short
API_CONNECTED = "2024-01-01"
API_EXTENSIONS = "2023-05-01"
API_DCRA = "2022-06-01"
API_DEFAULT = "2023-09-01"


def _quote(value: str) -> str:
    """A KQL string literal for an ARM name (ids and resource group names never hold quotes or backslashes)."""
    if not re.fullmatch(r"[\w.()\-/ ]+", value):
        raise ValueError(f"unexpected characters in ARM name {value!r}")
    return f"'{value}'"


def _reset_seconds(value: str | None) -> float:
    """`x-ms-user-quota-resets-after` is hh:mm:ss."""
    if not value:
        return 1.0
    try:
        h, m, s = value.split(":")
        return int(h) * 3600 + int(m) * 60 + float(s)
    except ValueError:
        return 1.0


class ResourceGraphInventory:
    """Clusters of the configured scope; keeps workspace customerIds seen on the way for the logs source."""

    def __init__(
        self,
        credential: AsyncTokenCredential,
        arm_endpoint: str,
        options: ClientOptions,
        subscriptions: Iterable[str] = (),
        management_group: str | None = None,
    ):
        self._credential = credential
        self._arm = arm_endpoint.rstrip("/")
        self._options = options
        self._subscriptions = [s.strip() for s in subscriptions if s.strip()]
        self._management_group = management_group or None
        self._graph = ResourceGraphClient(credential, base_url=self._arm, **options.client_kwargs())
        # Resource Graph allows 15 queries per 5 s per user; keep a margin and let the quota headers steer.
        self._limit = RateLimiter(concurrency=3, per_window=12, window=5.0)
        self._quota_wait = 0.0
        self.customer_ids: dict[str, str] = {}  # workspace ARM id (lower) -> customerId
        self.requests = 0

    async def __aenter__(self) -> ResourceGraphInventory:
        await self._graph.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._graph.__aexit__(*exc)

    # --- Resource Graph ----------------------------------------------------------------
    async def query(self, kql: str, subscriptions: list[str] | None = None) -> list[dict[str, Any]]:
        """All rows of one Resource Graph query over `subscriptions` (or the management group), every page."""
        rows: list[dict[str, Any]] = []
        skip_token: str | None = None
        while True:
            request = QueryRequest(
                query=kql,
                subscriptions=subscriptions or None,
                management_groups=[self._management_group]
                if subscriptions is None and self._management_group
                else None,
                options=QueryRequestOptions(top=PAGE_ROWS, skip_token=skip_token, result_format="objectArray"),
            )
            async with self._limit:
                if self._quota_wait > 0:
                    await asyncio.sleep(self._quota_wait)
                    self._quota_wait = 0.0
                self.requests += 1
                response, headers = await self._graph.resources(
                    request,
                    cls=lambda pipeline, deserialized, _h: (deserialized, pipeline.http_response.headers),
                    **self._options.call_kwargs(),
                )
            remaining = headers.get("x-ms-user-quota-remaining")
            if remaining is not None and int(remaining) <= 0:
                self._quota_wait = _reset_seconds(headers.get("x-ms-user-quota-resets-after"))
            rows.extend(response.data or [])
            skip_token = response.skip_token
            if not skip_token:
                return rows

    async def _scope(self, errors: list[SourceError]) -> list[str] | None:
        if self._management_group:
            return None
        if self._subscriptions:
            return list(self._subscriptions)
        try:  # every subscription the identity can read
            rows = await self.query(SUBSCRIPTIONS_QUERY, subscriptions=None)
        except Exception as err:
            failure = to_failure(err, "listing subscriptions", READER)
            errors.append(SourceError("inventory", "tenant", _with_role(failure), failure.kind))
            return []
        return sorted({str(r["subscriptionId"]) for r in rows if r.get("subscriptionId")})

    async def _query_isolated(
        self, kql: str, scope: list[str] | None, errors: list[SourceError]
    ) -> tuple[list[dict[str, Any]], list[str] | None]:
        """Run over the scope; on failure, per subscription, reporting the ones that fail. Returns the readable scope."""
        try:
            return await self.query(kql, scope), scope
        except Exception as err:
            failure = to_failure(err, "Resource Graph", READER)
            if scope is None or len(scope) <= 1:
                label = (
                    f"/providers/Microsoft.Management/managementGroups/{self._management_group}"
                    if scope is None
                    else f"/subscriptions/{scope[0]}"
                )
                errors.append(SourceError("inventory", label, _with_role(failure), failure.kind))
                return [], []
        rows: list[dict[str, Any]] = []
        readable = []
        for sub in scope:
            try:
                rows.extend(await self.query(kql, [sub]))
                readable.append(sub)
            except Exception as err:
                failure = to_failure(err, f"Resource Graph, subscription {sub}", READER)
                errors.append(SourceError("inventory", f"/subscriptions/{sub}", _with_role(failure), failure.kind))
        return rows, readable

    # --- InventorySource ---------------------------------------------------------------
    async def list_clusters(self) -> Inventory:
        errors: list[SourceError] = []
        scope = await self._scope(errors)
        if scope == []:
            return Inventory(clusters=[], errors=errors)
        resources, scope = await self._query_isolated(CLUSTERS_QUERY, scope, errors)
        if scope == []:
            return Inventory(clusters=[], errors=errors)
        self._remember_workspaces(resources)
        extras: list[dict[str, Any]] = []
        missing: set[str] = set()  # subscriptions whose extensions / DCR links / node resource groups failed
        queries = [EXTENSIONS_QUERY, DCRA_QUERY]
        node_rgs = sorted(
            {
                str((r.get("properties") or {}).get("nodeResourceGroup")).lower()
                for r in resources
                if str(r.get("type", "")).lower() == "microsoft.containerservice/managedclusters"
                and (r.get("properties") or {}).get("nodeResourceGroup")
            }
        )
        for first in range(0, len(node_rgs), NODE_RG_CHUNK):
            chunk = ", ".join(_quote(rg) for rg in node_rgs[first : first + NODE_RG_CHUNK])
            queries.append(f"resources | where resourceGroup in~ ({chunk})")
        for kql in queries:
            found, readable = await self._query_isolated(kql, scope, errors)
            extras.extend(found)
            if scope is None and readable == []:
                missing.add("*")
            elif scope is not None:
                missing.update(set(scope) - set(readable or []))
        clusters = assemble_clusters(_dedupe(resources + extras))
        for cluster in clusters:  # half-read clusters are inconclusive, not healthy (no workspace, no extensions)
            if "*" in missing or cluster.subscription_id in missing:
                errors.append(
                    SourceError(
                        "inventory",
                        cluster.id,
                        "extensions, data collection rule links or node resource group could not be read (needs Reader)",
                        "error",
                    )
                )
        return Inventory(clusters=clusters, errors=errors)

    def _remember_workspaces(self, resources: list[dict[str, Any]]) -> None:
        for res in resources:
            if str(res.get("type", "")).lower() == WORKSPACE_TYPE:
                customer = (res.get("properties") or {}).get("customerId")
                if customer:
                    self.customer_ids[str(res["id"]).lower()] = str(customer)

    async def get_cluster(self, cluster_id: str) -> Cluster | None:
        parts = cluster_id.strip("/").split("/")
        lower = [p.lower() for p in parts]
        if len(parts) != 8 or lower[0] != "subscriptions" or lower[2] != "resourcegroups":
            raise SourceFailure(f"not an AKS or Arc cluster id: {cluster_id}", kind="error")
        sub, rg, provider, rtype, name = parts[1], parts[3], lower[5], lower[6], parts[7]
        try:
            async with ContainerServiceClient(
                self._credential, sub, base_url=self._arm, **self._options.client_kwargs()
            ) as aks:
                if (provider, rtype) == ("microsoft.containerservice", "managedclusters"):
                    resource = await aks.managed_clusters.get(
                        rg,
                        name,
                        cls=lambda pipeline, _d, _h: pipeline.http_response.json(),
                        **self._options.call_kwargs(),
                    )
                    pools = [
                        {
                            **pool.as_dict(),
                            "type": "Microsoft.ContainerService/managedClusters/agentPools",
                        }
                        async for pool in aks.agent_pools.list(rg, name, **self._options.call_kwargs())
                    ]
                elif (provider, rtype) == ("microsoft.kubernetes", "connectedclusters"):
                    resource = await self._arm_get(aks, cluster_id, API_CONNECTED)
                    pools = []
                else:
                    raise SourceFailure(f"not an AKS or Arc cluster id: {cluster_id}", kind="error")
                base = str(resource["id"])
                extensions = await self._arm_list(
                    aks, f"{base}/providers/Microsoft.KubernetesConfiguration/extensions", API_EXTENSIONS
                )
                associations = await self._arm_list(
                    aks, f"{base}/providers/Microsoft.Insights/dataCollectionRuleAssociations", API_DCRA
                )
                dcrs = []
                for assoc in associations:
                    dcr_id = (assoc.get("properties") or {}).get("dataCollectionRuleId")
                    if dcr_id:
                        try:
                            dcrs.append(await self._arm_get(aks, str(dcr_id), API_DCRA))
                        except ResourceNotFoundError:
                            continue
        except ResourceNotFoundError:
            return None
        except SourceFailure:
            raise
        except Exception as err:
            raise to_failure(err, f"ARM read of {cluster_id}", READER) from err
        for assoc in associations:
            assoc.setdefault("type", DCRA_TYPE)
        for dcr in dcrs:
            dcr.setdefault("type", DCR_TYPE)
        related: list[dict[str, Any]] = []
        node_rg = (resource.get("properties") or {}).get("nodeResourceGroup")
        if node_rg:
            try:
                related = await self.query(f"resources | where resourceGroup =~ {_quote(str(node_rg))}", [sub])
            except Exception as err:
                raise to_failure(err, f"Resource Graph, node resource group {node_rg}", READER) from err
        clusters = assemble_clusters(_dedupe([resource, *pools, *extensions, *associations, *dcrs, *related]))
        return clusters[0] if clusters else None

    # --- plain ARM reads through the SDK pipeline (auth, retries, timeouts) ----------------
    async def _arm_get(self, client: ContainerServiceClient, resource_id: str, api_version: str) -> dict[str, Any]:
        url = f"{self._arm}{resource_id}?api-version={api_version}"
        response = await client.send_request(HttpRequest("GET", url), **self._options.call_kwargs())
        if response.status_code == 404:
            raise ResourceNotFoundError(response=response)
        response.raise_for_status()
        return response.json()

    async def _arm_list(
        self, client: ContainerServiceClient, collection: str, api_version: str
    ) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        url: str | None = f"{self._arm}{collection}?api-version={api_version}"
        while url:
            response = await client.send_request(HttpRequest("GET", url), **self._options.call_kwargs())
            if response.status_code == 404:
                return items
            response.raise_for_status()
            body = response.json()
            items.extend(body.get("value") or [])
            url = body.get("nextLink")
        return items

    async def arm_get(self, resource_id: str, api_version: str = API_CONNECTED) -> dict[str, Any]:
        """One fresh ARM GET (used for fields Resource Graph rows do not carry, such as systemData)."""
        sub = resource_id.strip("/").split("/")[1]
        try:
            async with ContainerServiceClient(
                self._credential, sub, base_url=self._arm, **self._options.client_kwargs()
            ) as arm:
                return await self._arm_get(arm, resource_id, api_version)
        except Exception as err:
            raise to_failure(err, f"ARM read of {resource_id}", READER) from err

    async def workspace_customer_id(self, workspace_id: str) -> str:
        """customerId (the GUID the query API wants) of a workspace ARM id: cache, then an ARM GET."""
        key = workspace_id.lower()
        if key not in self.customer_ids:
            sub = workspace_id.strip("/").split("/")[1]
            try:
                async with ContainerServiceClient(
                    self._credential, sub, base_url=self._arm, **self._options.client_kwargs()
                ) as arm:
                    body = await self._arm_get(arm, workspace_id, API_DEFAULT)
            except Exception as err:
                raise to_failure(err, f"workspace {workspace_id}", READER) from err
            customer = (body.get("properties") or {}).get("customerId")
            if not customer:
                raise SourceFailure(f"workspace {workspace_id} has no customerId", kind="error")
            self.customer_ids[key] = str(customer)
        return self.customer_ids[key]


def _with_role(failure: SourceFailure) -> str:
    return f"{failure} (needs {failure.role})" if failure.role else str(failure)


def _dedupe(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for res in resources:
        seen.setdefault(str(res.get("id", "")).lower(), res)
    return list(seen.values())
