"""LB005: load balancer frontend IP configurations near their quota, and public IPs left behind by deleted services.

Reads the ARM resources of the cluster's node resource group (`ctx.cluster.related`).
"""

from __future__ import annotations

from typing import Any

from shared.engine.context import CheckContext, Inconclusive
from shared.model import Hit

LOADBALANCERS = "microsoft.network/loadbalancers"
PUBLIC_IPS = "microsoft.network/publicipaddresses"
# Azure subscription and service limits: frontend IP configurations per load balancer.
FRONTEND_LIMITS = {"basic": 200, "standard": 600, "gateway": 200}
NEAR_LIMIT = 0.9
SERVICE_TAGS = ("k8s-azure-service", "service")  # current and pre-1.10 cloud provider tag of a service's IP


def _tag(resource: dict[str, Any], names: tuple[str, ...]) -> str:
    tags = {str(k).lower(): str(v) for k, v in (resource.get("tags") or {}).items()}
    return next((tags[n] for n in names if tags.get(n)), "")


def evaluate(ctx: CheckContext) -> list[Hit]:
    lbs = ctx.cluster.related.get(LOADBALANCERS, [])
    ips = ctx.cluster.related.get(PUBLIC_IPS, [])
    network = ctx.cluster.properties.get("networkProfile") or {}
    outbound = str(network.get("outboundType") or "loadBalancer").lower()
    if not lbs and outbound == "loadbalancer":
        # Such a cluster always has its `kubernetes` load balancer: the node resource group was not read.
        raise Inconclusive("the node resource group's load balancers and public IPs are not in the inventory")
    hits = []
    for lb in lbs:
        sku = str((lb.get("sku") or {}).get("name") or "standard").lower()
        limit = FRONTEND_LIMITS.get(sku, FRONTEND_LIMITS["standard"])
        used = len((lb.get("properties") or {}).get("frontendIPConfigurations") or [])
        if used >= limit * NEAR_LIMIT:
            subject = f"loadBalancers/{lb.get('name')}"
            sample = f"{used} of {limit} frontend IP configurations used ({sku} SKU)"
            hits.append(
                Hit(
                    subject=subject,
                    evidence=[{"signature": "frontend-ip-quota", "subject": subject, "samples": [sample]}],
                    params={"lb": str(lb.get("name")), "used": str(used), "limit": str(limit)},
                )
            )
    for ip in ips:
        service = _tag(ip, SERVICE_TAGS)
        props = ip.get("properties") or {}
        if not service or props.get("ipConfiguration") or props.get("natGateway"):
            continue
        subject = f"publicIPAddresses/{ip.get('name')}"
        sample = f"{props.get('ipAddress', '')} tagged for service {service}, attached to no frontend".strip()
        hits.append(
            Hit(
                subject=subject,
                evidence=[{"signature": "orphaned-public-ip", "subject": subject, "samples": [sample]}],
                params={"ip": str(ip.get("name")), "service": service},
            )
        )
    return hits
