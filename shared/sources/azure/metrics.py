"""MetricsSource: Azure Monitor platform metrics of the node scale sets in an AKS cluster's node resource group."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.mgmt.monitor.aio import MonitorManagementClient

from shared.model import Cluster, ClusterKind
from shared.sources.azure.common import MONITORING_READER, ClientOptions, RateLimiter, to_failure
from shared.sources.azure.inventory import ResourceGraphInventory, _quote
from shared.sources.base import MetricPoint, SourceFailure

VMSS_TYPE = "microsoft.compute/virtualmachinescalesets"
INTERVAL = "PT5M"


class AzureMetrics:
    def __init__(
        self,
        credential: AsyncTokenCredential,
        arm_endpoint: str,
        options: ClientOptions,
        inventory: ResourceGraphInventory,
    ):
        self._credential = credential
        self._arm = arm_endpoint.rstrip("/")
        self._options = options
        self._inventory = inventory
        self._clients: dict[str, MonitorManagementClient] = {}
        self._limit = RateLimiter(concurrency=8, per_window=200, window=10.0)  # well inside ARM's read bucket

    async def __aenter__(self) -> AzureMetrics:
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._clients.values():
            await client.close()
        self._clients.clear()

    def _client(self, subscription: str) -> MonitorManagementClient:
        if subscription not in self._clients:
            self._clients[subscription] = MonitorManagementClient(
                self._credential, subscription, base_url=self._arm, **self._options.client_kwargs()
            )
        return self._clients[subscription]

    async def _scale_sets(self, cluster: Cluster) -> list[str]:
        if cluster.related:  # the node resource group was read with the inventory: it is authoritative
            return [str(r["id"]) for r in cluster.related.get(VMSS_TYPE, [])]
        node_rg = cluster.properties.get("nodeResourceGroup")
        if not node_rg:
            return []
        rows = await self._inventory.query(
            f"resources | where type =~ '{VMSS_TYPE}' | where resourceGroup =~ {_quote(str(node_rg))} | project id",
            [cluster.subscription_id],
        )
        return [str(r["id"]) for r in rows]

    async def fetch(
        self, cluster: Cluster, namespace: str, metric: str, aggregation: str, start: datetime, end: datetime
    ) -> list[MetricPoint]:
        if cluster.kind is not ClusterKind.AKS:
            return []  # node-vmss metrics exist only for AKS node pools
        try:
            scale_sets = await self._scale_sets(cluster)
            points: list[MetricPoint] = []
            for vmss in scale_sets:
                async with self._limit:
                    response = await self._client(cluster.subscription_id).metrics.list(
                        vmss.lstrip("/"),
                        timespan=f"{_iso(start)}/{_iso(end)}",
                        interval=INTERVAL,
                        metricnames=metric,
                        aggregation=aggregation,
                        metricnamespace=namespace,
                        **self._options.call_kwargs(),
                    )
                points.extend(_points(vmss, metric, aggregation, response.value or []))
        except SourceFailure:
            raise
        except Exception as err:
            raise to_failure(err, f"metric {metric} of {cluster.name}", MONITORING_READER) from err
        return [p for p in points if start <= p.timestamp <= end]


def _points(resource_id: str, metric: str, aggregation: str, values: list[Any]) -> list[MetricPoint]:
    attr = aggregation.lower()
    found = []
    for value in values:
        for series in value.timeseries or []:
            for data in series.data or []:
                number = getattr(data, attr, None)
                if number is None:
                    continue
                moment = data.time_stamp if data.time_stamp.tzinfo else data.time_stamp.replace(tzinfo=UTC)
                found.append(MetricPoint(resource_id, metric, moment, float(number)))
    return found


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
