"""LB004: the cluster (or a load balancer in its node resource group) uses the Basic SKU."""

from __future__ import annotations

from shared.engine.context import CheckContext
from shared.model import Hit

SUBJECT = "networkProfile.loadBalancerSku"


def evaluate(ctx: CheckContext) -> list[Hit]:
    samples = []
    network = ctx.cluster.properties.get("networkProfile") or {}
    if str(network.get("loadBalancerSku") or "").lower() == "basic":
        samples.append("networkProfile.loadBalancerSku = basic")
    for kind, label in (
        ("microsoft.network/loadbalancers", "load balancer"),
        ("microsoft.network/publicipaddresses", "public IP"),
    ):
        for resource in ctx.cluster.related.get(kind, []):
            if str((resource.get("sku") or {}).get("name") or "").lower() == "basic":
                samples.append(f"{label} {resource.get('name')}: Basic SKU")
    if not samples:
        return []
    return [Hit(subject=SUBJECT, evidence=[{"signature": "basic-sku", "subject": SUBJECT, "samples": samples}])]
