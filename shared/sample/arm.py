"""ARM documents of a healthy cluster, in the shapes Azure returns (see the 2025-05-01 and 2026-03-01 examples)."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta
from typing import Any


def managed_cluster(
    cluster_id: str, name: str, location: str, node_rg: str, workspace_id: str | None, rng: random.Random
) -> dict[str, Any]:
    suffix = f"{rng.getrandbits(32):08x}"
    props: dict[str, Any] = {
        "provisioningState": "Succeeded",
        "powerState": {"code": "Running"},
        "kubernetesVersion": "1.31.5",
        "currentKubernetesVersion": "1.31.5",
        "dnsPrefix": name,
        "fqdn": f"{name}-{suffix}.hcp.{location}.azmk8s.io",
        "agentPoolProfiles": [
            {
                "name": "system",
                "count": 2,
                "vmSize": "Standard_D4ds_v5",
                "osType": "Linux",
                "osDiskType": "Ephemeral",
                "mode": "System",
                "type": "VirtualMachineScaleSets",
                "provisioningState": "Succeeded",
                "powerState": {"code": "Running"},
                "orchestratorVersion": "1.31.5",
                "nodeTaints": [],
            },
            {
                "name": "nodepool1",
                "count": 3,
                "vmSize": "Standard_D8ds_v5",
                "osType": "Linux",
                "osDiskType": "Managed",
                "mode": "User",
                "type": "VirtualMachineScaleSets",
                "provisioningState": "Succeeded",
                "powerState": {"code": "Running"},
                "orchestratorVersion": "1.31.5",
                "nodeTaints": [],
            },
        ],
        "nodeResourceGroup": node_rg,
        "enableRBAC": True,
        "networkProfile": {
            "networkPlugin": "azure",
            "networkPluginMode": "overlay",
            "podCidr": "10.244.0.0/16",
            "serviceCidr": "10.0.0.0/16",
            "dnsServiceIP": "10.0.0.10",
            "loadBalancerSku": "standard",
            "outboundType": "loadBalancer",
        },
        "apiServerAccessProfile": {"enablePrivateCluster": False},
        "addonProfiles": {},
    }
    if workspace_id:
        props["addonProfiles"]["omsAgent"] = {
            "enabled": True,
            "config": {"logAnalyticsWorkspaceResourceID": workspace_id, "useAADAuth": "true"},
        }
    return {
        "id": cluster_id,
        "location": location,
        "name": name,
        "type": "Microsoft.ContainerService/ManagedClusters",
        "identity": {"type": "SystemAssigned"},
        "sku": {"name": "Base", "tier": "Standard"},
        "properties": props,
    }


def connected_cluster(cluster_id: str, name: str, location: str, now: datetime, rng: random.Random) -> dict[str, Any]:
    return {
        "id": cluster_id,
        "name": name,
        "type": "Microsoft.Kubernetes/connectedClusters",
        "location": location,
        "identity": {"type": "SystemAssigned"},
        "properties": {
            "provisioningState": "Succeeded",
            "connectivityStatus": "Connected",
            "lastConnectivityTime": (now - timedelta(minutes=rng.randrange(1, 5))).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "managedIdentityCertificateExpirationTime": (now + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "agentVersion": "1.21.10",
            "kubernetesVersion": "1.30.4",
            "totalNodeCount": 3,
            "totalCoreCount": 24,
            "distribution": "k3s",
            "infrastructure": "generic",
            "arcAgentProfile": {"agentAutoUpgrade": "Enabled", "agentState": "Succeeded", "agentErrors": []},
            "privateLinkState": "Disabled",
        },
    }


def _extension(cluster_id: str, name: str, ext_type: str, namespace: str, settings: dict[str, str]) -> dict[str, Any]:
    return {
        "id": f"{cluster_id}/providers/Microsoft.KubernetesConfiguration/extensions/{name}",
        "type": "Microsoft.KubernetesConfiguration/extensions",
        "name": name,
        "properties": {
            "extensionType": ext_type,
            "autoUpgradeMinorVersion": True,
            "releaseTrain": "Stable",
            "version": None,
            "currentVersion": "1.4.2",
            "scope": {"cluster": {"releaseNamespace": namespace}},
            "configurationSettings": settings,
            "provisioningState": "Succeeded",
            "statuses": [],
            "isSystemExtension": False,
        },
    }


def monitor_extension(cluster_id: str, workspace_id: str) -> dict[str, Any]:
    return _extension(
        cluster_id,
        "azuremonitor-containers",
        "Microsoft.AzureMonitor.Containers",
        "kube-system",
        {"logAnalyticsWorkspaceResourceID": workspace_id, "amalogs.useAADAuth": "true"},
    )


def default_extensions(cluster_id: str, kind: str) -> list[dict[str, Any]]:
    return [_extension(cluster_id, "flux", "microsoft.flux", "flux-system", {"multiTenancy.enforce": "false"})]


def node_network(subscription: str, node_rg: str, location: str, name: str) -> list[dict[str, Any]]:
    """The Standard load balancer `kubernetes` and its managed outbound IP that every AKS node resource group holds.

    Ids derive from the cluster name (no rng draw, so adding them leaves the sample's random stream unchanged).
    """
    outbound = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/outbound"))
    frontend = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{name}/frontend"))
    network = f"/subscriptions/{subscription}/resourceGroups/{node_rg}/providers/Microsoft.Network"
    lb_id = f"{network}/loadBalancers/kubernetes"
    octets = uuid.uuid5(uuid.NAMESPACE_URL, name).bytes
    return [
        {
            "id": lb_id,
            "name": "kubernetes",
            "type": "Microsoft.Network/loadBalancers",
            "location": location,
            "sku": {"name": "Standard", "tier": "Regional"},
            "properties": {
                "provisioningState": "Succeeded",
                "frontendIPConfigurations": [
                    {
                        "id": f"{lb_id}/frontendIPConfigurations/{frontend}",
                        "name": frontend,
                        "properties": {"publicIPAddress": {"id": f"{network}/publicIPAddresses/{outbound}"}},
                    }
                ],
                "backendAddressPools": [
                    {"id": f"{lb_id}/backendAddressPools/kubernetes", "name": "kubernetes"},
                    {"id": f"{lb_id}/backendAddressPools/aksOutboundBackendPool", "name": "aksOutboundBackendPool"},
                ],
                "loadBalancingRules": [],
                "outboundRules": [{"id": f"{lb_id}/outboundRules/aksOutboundRule", "name": "aksOutboundRule"}],
            },
        },
        {
            "id": f"{network}/publicIPAddresses/{outbound}",
            "name": outbound,
            "type": "Microsoft.Network/publicIPAddresses",
            "location": location,
            "sku": {"name": "Standard", "tier": "Regional"},
            "tags": {"aks-managed-type": "aks-slb-managed-outbound-ip"},
            "properties": {
                "provisioningState": "Succeeded",
                "publicIPAddressVersion": "IPv4",
                "publicIPAllocationMethod": "Static",
                "ipAddress": f"20.{octets[0] % 200 + 20}.{octets[1]}.{octets[2] % 254 + 1}",
                "ipConfiguration": {"id": f"{lb_id}/frontendIPConfigurations/{frontend}"},
            },
        },
    ]
