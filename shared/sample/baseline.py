"""Background rows of a healthy cluster: inventory snapshots, ordinary logs and the odd benign event.

The log lines are deliberately close to real trouble (timeouts that recovered,
403s from an app's own API, image pulls) so that signatures are tested against
near misses on every scan.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.sample.builder import SampleCluster

SNAPSHOT_EVERY = timedelta(minutes=5)

AKS_SYSTEM_PODS = [
    ("kube-system", "coredns", 2),
    ("kube-system", "konnectivity-agent", 2),
    ("kube-system", "metrics-server", 1),
    ("kube-system", "ama-logs", 1),
    ("kube-system", "extension-agent", 1),
    ("kube-system", "extension-operator", 1),
]
ARC_SYSTEM_PODS = [
    ("kube-system", "coredns", 1),
    ("kube-system", "ama-logs", 1),
    ("azure-arc", "clusterconnect-agent", 1),
    ("azure-arc", "config-agent", 1),
    ("azure-arc", "cluster-metadata-operator", 1),
    ("azure-arc", "clusteridentityoperator", 1),
    ("azure-arc", "controller-manager", 1),
    ("azure-arc", "extension-manager", 1),
    ("azure-arc", "kube-aad-proxy", 1),
    ("azure-arc", "metrics-agent", 1),
    ("azure-arc", "resource-sync-agent", 1),
]
APP_PODS = [("shop", "frontend", 3), ("shop", "cart", 2), ("shop", "checkout", 2), ("monitoring", "prometheus", 1)]
# Services and the pod base name their selector matches (Container Insights sets KubePodInventory.ServiceName
# from the selectors); `default/kubernetes` has no selector, its endpoints are managed by the API server.
SERVICES = [
    ("default", "kubernetes", "", None),
    ("kube-system", "kube-dns", '[{"k8s-app":"kube-dns"}]', "coredns"),
    ("kube-system", "metrics-server", '[{"k8s-app":"metrics-server"}]', "metrics-server"),
    ("shop", "frontend", '[{"app":"frontend"}]', "frontend"),
    ("shop", "cart", '[{"app":"cart"}]', "cart"),
    ("shop", "checkout", '[{"app":"checkout"}]', "checkout"),
    ("monitoring", "prometheus", '[{"app":"prometheus"}]', "prometheus"),
]

BENIGN_LOGS = [
    ("shop", "frontend", "GET /api/products 200 12ms"),
    ("shop", "frontend", "GET /healthz 200 1ms"),
    ("shop", "cart", "cart updated for session 5f1c, 3 items"),
    ("shop", "checkout", "payment provider answered 403 for test card, retrying with live key"),
    ("shop", "checkout", "order 88121 committed in 45ms"),
    ("shop", "cart", "redis connection established after 1 retry"),
    ("monitoring", "prometheus", 'level=info msg="Completed loading of configuration file"'),
    (
        "kube-system",
        "coredns",
        '[INFO] 10.244.1.12:48211 - 1234 "A IN api.shop.svc.cluster.local. udp 50 false 512" NOERROR',
    ),
    ("kube-system", "metrics-server", "I1012 scraped 3 nodes in 120ms"),
    ("kube-system", "ama-logs", "Successfully flushed 512 records to ingestion endpoint"),
]


# A scenario removes system pods from a cluster's background with this ARM tag on the cluster
# (comma-separated `namespace/deployment`), e.g. the Arc cluster-connect agents when that feature is disabled.
ABSENT_PODS_TAG = "fleetdoc-sample-absent-pods"


def absent_pods(cluster: SampleCluster) -> set[str]:
    value = str((cluster.resource.get("tags") or {}).get(ABSENT_PODS_TAG, ""))
    return {item.strip() for item in value.split(",") if item.strip()}


def _pod_name(rng: random.Random, base: str, ordinal: int) -> str:
    return f"{base}-{rng.getrandbits(36):09x}"[: len(base) + 11] + f"-{ordinal:x}{rng.getrandbits(16):04x}"[:6]


def rows(
    cluster: SampleCluster,
    now: datetime,
    window: timedelta,
    log_rows: int,
    rng: random.Random,
    snapshot_every: timedelta = SNAPSHOT_EVERY,
) -> dict[str, list[dict[str, Any]]]:
    from shared.sample.builder import _ts

    out: dict[str, list[dict[str, Any]]] = {
        "KubeNodeInventory": [],
        "KubePodInventory": [],
        "KubeServices": [],
        "ContainerLogV2": [],
    }
    service_of = {(ns, base): (name, selector) for ns, name, selector, base in SERVICES if base}
    system = AKS_SYSTEM_PODS if cluster.kind == "aks" else ARC_SYSTEM_PODS
    pods = []
    for namespace, base, replicas in system + APP_PODS:
        for i in range(replicas):
            node = cluster.nodes[len(pods) % len(cluster.nodes)]
            pods.append(
                (
                    namespace,
                    base,
                    _pod_name(rng, base, i),
                    node,
                    f"{rng.getrandbits(48):012x}",
                    f"{rng.getrandbits(64):016x}",
                )
            )
    absent = absent_pods(cluster)
    pods = [p for p in pods if f"{p[0]}/{p[1]}" not in absent]  # after naming, so the rng stream is unchanged
    # Only services whose pods this cluster runs (Arc clusters have no metrics-server; scenarios remove pods).
    bases = {(p[0], p[1]) for p in pods}
    services = [svc for svc in SERVICES if svc[3] is None or (svc[0], svc[3]) in bases]
    steps = int(window / snapshot_every)
    for step in range(steps):
        moment = now - timedelta(minutes=2) - snapshot_every * step
        stamp = _ts(moment)
        for node in cluster.nodes:
            out["KubeNodeInventory"].append(
                {
                    "TimeGenerated": stamp,
                    "Computer": node,
                    "ClusterName": cluster.name,
                    "ClusterId": cluster.id,
                    "Status": "Ready",
                    "KubeletVersion": "v1.31.5",
                    "KubeProxyVersion": "v1.31.5",
                    "KubernetesProviderID": "azure" if cluster.kind == "aks" else "k3s",
                    "OperatingSystem": "Ubuntu 22.04.5 LTS",
                    "Labels": '[{"kubernetes.io/os":"linux","agentpool":"nodepool1"}]',
                    "LastTransitionTimeReady": _ts(now - timedelta(days=3)),
                    "CreationTimeStamp": _ts(now - timedelta(days=30)),
                    "_ResourceId": cluster.id,
                    "_SubscriptionId": cluster.subscription,
                    "Type": "KubeNodeInventory",
                    "SourceSystem": "Containers",
                }
            )
        for namespace, name, selector, _base in services:
            out["KubeServices"].append(
                {
                    "TimeGenerated": stamp,
                    "ClusterName": cluster.name,
                    "ClusterId": cluster.id,
                    "Namespace": namespace,
                    "ServiceName": name,
                    "ServiceType": "ClusterIP",
                    "ClusterIp": f"10.0.{len(name)}.{len(namespace) * 7 % 250 + 2}",
                    "SelectorLabels": selector,
                    "_ResourceId": cluster.id,
                    "_SubscriptionId": cluster.subscription,
                    "Type": "KubeServices",
                    "SourceSystem": "Containers",
                }
            )
        for namespace, base, pod, node, uid, container_id in pods:
            service, selector = service_of.get((namespace, base), ("", ""))
            out["KubePodInventory"].append(
                {
                    "TimeGenerated": stamp,
                    "Computer": node,
                    "ClusterName": cluster.name,
                    "ClusterId": cluster.id,
                    "Namespace": namespace,
                    "Name": pod,
                    "ControllerName": base,
                    "ControllerKind": "ReplicaSet",
                    "ContainerName": f"{pod}/{base}",
                    "ContainerID": container_id,
                    "PodStatus": "Running",
                    "ContainerStatus": "running",
                    "ContainerStatusReason": "",
                    "ContainerLastStatus": "",
                    "PodRestartCount": 0,
                    "ContainerRestartCount": 0,
                    "PodUid": uid,
                    "PodLabel": selector or f'[{{"app":"{base}"}}]',
                    "ServiceName": service,
                    "_ResourceId": cluster.id,
                    "_SubscriptionId": cluster.subscription,
                    "Type": "KubePodInventory",
                    "SourceSystem": "Containers",
                }
            )
    by_base = {(ns, base): (pod, node, cid) for ns, base, pod, node, _uid, cid in pods}
    seconds = int(window.total_seconds())
    for _ in range(log_rows):
        namespace, base, message = BENIGN_LOGS[rng.randrange(len(BENIGN_LOGS))]
        pod, node, container_id = (
            by_base[(namespace, base)] if (namespace, base) in by_base else (base, cluster.nodes[0], "0")
        )
        out["ContainerLogV2"].append(
            {
                "TimeGenerated": _ts(now - timedelta(seconds=rng.randrange(60, seconds))),
                "Computer": node,
                "ContainerId": container_id,
                "ContainerName": base,
                "PodName": pod,
                "PodNamespace": namespace,
                "LogMessage": message,
                "LogLevel": "info",
                "LogSource": "stdout",
                "_ResourceId": cluster.id,
                "_SubscriptionId": cluster.subscription,
                "Type": "ContainerLogV2",
                "SourceSystem": "Containers",
            }
        )
    return out


# Azure Monitor platform metrics of the node pools' scale sets (hourly points, healthy values).
VMSS_METRICS = {"OS Disk IOPS Consumed Percentage": (4.0, 35.0)}


def metrics(cluster: SampleCluster, now: datetime, window: timedelta) -> dict[str, list[dict[str, Any]]]:
    """Healthy metric points per node pool scale set of an AKS cluster (Arc nodes are not Azure VMs)."""
    from shared.sample.builder import _ts

    rng = random.Random(cluster.id)  # own stream: adding metrics must not shift the log rows' randomness
    if cluster.kind != "aks":
        return {}
    scale_sets = sorted({node.rsplit("vmss", 1)[0] + "vmss" for node in cluster.nodes})
    out: dict[str, list[dict[str, Any]]] = {}
    for metric, (low, high) in VMSS_METRICS.items():
        out[metric] = [
            {
                "resourceId": f"/subscriptions/{cluster.subscription}/resourceGroups/{cluster.node_resource_group}"
                f"/providers/Microsoft.Compute/virtualMachineScaleSets/{vmss}",
                "timestamp": _ts(now - timedelta(hours=hour, minutes=30)),
                "value": round(rng.uniform(low, high), 1),
            }
            for vmss in scale_sets
            for hour in range(int(window / timedelta(hours=1)))
        ]
    return out
