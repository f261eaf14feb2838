"""`explain` on node health texts (NODE002, NODE003, NODE006, NODE007): real-looking lines and their near misses."""

from __future__ import annotations

import pytest

from shared.explain import explain

MATCHES = [
    ("Warning  EvictionThresholdMet  3m  kubelet  Attempting to reclaim memory", "NODE002"),
    (
        "MemoryPressure   True    Sat, 21 Nov 2026 10:01:02 +0000   KubeletHasInsufficientMemory   "
        "kubelet has insufficient memory available",
        "NODE002",
    ),
    (
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 61820Ki. Container cart was "
        "using 1843200Ki, request is 256Mi, has larger consumption of memory.",
        "NODE002",
    ),
    (
        "0/3 nodes are available: 1 node(s) had untolerated taint {node.kubernetes.io/disk-pressure: }, "
        "2 Insufficient cpu.",
        "NODE002",
    ),
    (
        'E1120 09:14:02.771402       1 clientset.go:198] "cannot connect once" err="rpc error: code = Unavailable '
        'desc = connection error: desc = \\"transport: Error while dialing: dial tcp 20.61.124.30:443: i/o timeout\\""',
        "NODE003",
    ),
    ("konnectivity-agent   0/2     2            0           12d", "NODE003"),
    ("konnectivity-agent-6b8c9d7f5-q7w2x   0/1     CrashLoopBackOff   23 (2m ago)   3h", "NODE003"),
    ("[ERROR] plugin/errors: 2 api.contoso.com. A: read udp 10.244.0.9:47523->10.1.0.4:53: i/o timeout", "NODE006"),
    ('Get "https://api.contoso.com/v1": dial tcp: lookup api.contoso.com on 10.0.0.10:53: no such host', "NODE006"),
    ("dial tcp: lookup api.contoso.com on 10.0.0.10:53: server misbehaving", "NODE006"),
    ("socket.gaierror: [Errno -3] Temporary failure in name resolution", "NODE006"),
    (
        "KernelDeadlock   True   Sat, 21 Nov 2026 10:01:02 +0000   DockerHung   "
        "kernel: INFO: task containerd:1721 blocked for more than 120 seconds.",
        "NODE007",
    ),
    (
        "FrequentContainerdRestart   True   Sat, 21 Nov 2026 10:01:02 +0000   FrequentContainerdRestart   "
        "Found 6 matching logs, which meets the threshold of 5",
        "NODE007",
    ),
    (
        "Warning  TaskHung  node/aks-nodepool1-38290143-vmss000003  kernel: INFO: task containerd:1721 blocked",
        "NODE007",
    ),
]

NEAR_MISSES = [
    # Healthy condition rows of `kubectl describe node`.
    "MemoryPressure   False   Sat, 21 Nov 2026 10:01:02 +0000   KubeletHasSufficientMemory   kubelet has sufficient memory",
    "KernelDeadlock   False   Sat, 21 Nov 2026 10:01:02 +0000   KernelHasNoDeadlock   kernel has no deadlock",
    "FrequentKubeletRestart   False   Sat, 21 Nov 2026 10:01:02 +0000   NoFrequentKubeletRestart   kubelet is functioning properly",
    "VMEventScheduled   False   Sat, 21 Nov 2026 10:01:02 +0000   NoVMEventScheduled   VM has no scheduled event",
    # A container at its own memory limit, not node pressure or a node problem.
    "Last State: Terminated, Reason: OOMKilled, Exit Code: 137",
    "Warning  OOMKilling  node/aks-nodepool1-1234-vmss000001  Memory cgroup out of memory: Killed process 31337 (java)",
    # The guide's healthy konnectivity-agent output.
    "konnectivity-agent   2/2     2            2           12d",
    'I1012 12:27:43.567902 1 client.go:255] "Connect to" server="e9df3653-9bd4-4b09-b1a7-261f6104f5d0"',
    'I1012 12:27:43.521837 1 options.go:105] ProxyServerHost set to "sethaks-47983508.hcp.switzerlandnorth.azmk8s.io".',
    # Application errors with DNS-like words that are not DNS failures.
    "dial tcp 10.0.3.4:5432: i/o timeout",
    "session lookup for user 4411 failed: redis: read tcp 10.244.2.17:50212->10.0.7.9:6379: i/o timeout",
    '[INFO] 10.244.1.12:48211 - 4412 "A IN api.shop.svc.cluster.local.shop.svc.cluster.local. udp 67 false 512" NXDOMAIN',
    'Failed to pull image "myacr.azurecr.io/app:1.2": rpc error: code = Unknown desc = failed to authorize: '
    "failed to fetch anonymous token: unexpected status: 401 Unauthorized",
]


@pytest.mark.parametrize(("text", "check"), MATCHES, ids=[f"{c}-{i}" for i, (_, c) in enumerate(MATCHES)])
def test_node_health_text_is_explained(text: str, check: str) -> None:
    matches = explain(text)
    assert matches, text
    assert matches[0].check.id == check


@pytest.mark.parametrize("text", NEAR_MISSES)
def test_node_health_near_miss_is_not_attributed(text: str) -> None:
    got = {m.check.id for m in explain(text)}
    assert not got & {"NODE002", "NODE003", "NODE006", "NODE007"}, got
