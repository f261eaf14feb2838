"""NET001: API server authorized IP ranges that leave out the cluster's own documented egress addresses.

The client part (a user's kubectl) is only visible as text (explain). From ARM we can prove the cases the
AKS documentation names: node pools with node public IPs must use public IP prefixes that are authorized,
and a managed NAT gateway's outbound IPs are the nodes' source addresses towards the public API server.
(The Standard load balancer's outbound IPs are allowed by AKS itself; firewall egress is not in ARM.)
"""

from __future__ import annotations

import ipaddress
from typing import Any

from shared.engine.context import CheckContext, Inconclusive
from shared.model import Hit

SUBJECT = "apiServerAccessProfile.authorizedIPRanges"
NAT_OUTBOUND = ("managednatgateway",)


def _get(mapping: dict[str, Any] | None, key: str) -> Any:
    for k, v in (mapping or {}).items():
        if k.lower() == key.lower():
            return v
    return None


def _networks(ranges: list[str]) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    nets = []
    for item in ranges:
        try:
            nets.append(ipaddress.ip_network(str(item).strip(), strict=False))
        except ValueError:
            continue  # ARM validates ranges; an odd entry must not hide the others
    return nets


def _covered(value: str, nets: list[Any]) -> bool:
    target = ipaddress.ip_network(value, strict=False)
    return any(target.version == n.version and target.subnet_of(n) for n in nets)


def _by_id(ctx: CheckContext, rtype: str) -> dict[str, dict[str, Any]]:
    return {str(r.get("id", "")).lower(): r for r in ctx.cluster.related.get(rtype, [])}


def evaluate(ctx: CheckContext) -> list[Hit]:
    props = ctx.cluster.properties
    access = _get(props, "apiServerAccessProfile") or {}
    ranges = [str(r) for r in (_get(access, "authorizedIPRanges") or []) if str(r).strip()]
    if not ranges or _get(access, "enablePrivateCluster"):
        return []  # feature off (everyone allowed) or private endpoint: nothing to exclude
    nets = _networks(ranges)
    missing: list[str] = []

    prefixes = _by_id(ctx, "microsoft.network/publicipprefixes")
    for pool in ctx.cluster.agent_pools:
        pool_props = pool.get("properties") or pool
        if not _get(pool_props, "enableNodePublicIP"):
            continue
        prefix_id = str(_get(pool_props, "nodePublicIPPrefixID") or "").lower()
        if not prefix_id:
            missing.append(f"node pool {pool.get('name')}: node public IPs without a public IP prefix")
            continue
        if prefix_id not in prefixes:
            raise Inconclusive(f"public IP prefix of node pool {pool.get('name')} is not in the inventory")
        cidr = str((prefixes[prefix_id].get("properties") or {}).get("ipPrefix") or "")
        if cidr and not _covered(cidr, nets):
            missing.append(f"node pool {pool.get('name')}: node public IP prefix {cidr}")

    network = _get(props, "networkProfile") or {}
    if str(_get(network, "outboundType") or "").lower() in NAT_OUTBOUND:
        ips = _by_id(ctx, "microsoft.network/publicipaddresses")
        nat = _get(network, "natGatewayProfile") or {}
        for ref in _get(nat, "effectiveOutboundIPs") or []:
            ip_id = str(ref.get("id", "")).lower()
            if ip_id not in ips:
                raise Inconclusive("the NAT gateway's outbound public IPs are not in the inventory")
            address = str((ips[ip_id].get("properties") or {}).get("ipAddress") or "")
            if address and not _covered(address, nets):
                missing.append(f"NAT gateway outbound IP {address}")

    if not missing:
        return []
    return [
        Hit(
            subject=SUBJECT,
            evidence=[
                {
                    "signature": "egress-not-authorized",
                    "subject": SUBJECT,
                    "authorizedIPRanges": ranges,
                    "samples": missing,
                }
            ],
            params={"ranges": ", ".join(ranges), "missing": "; ".join(missing)},
        )
    ]
