"""How fleetdoc reads each Container Insights table.

`text` is what signatures match, `subject` names what a finding is about.
Snapshot tables are inventories re-sent every collection interval: a signature
there counts only when it is the subject's latest state.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableProfile:
    name: str
    text: str
    subject: str
    snapshot: bool = False
    sparse: bool = False  # rows only when something is wrong: an empty result still proves nothing is


PROFILES: dict[str, TableProfile] = {
    p.name: p
    for p in (
        TableProfile("ContainerLogV2", "tostring(LogMessage)", 'strcat(PodNamespace, "/", PodName)'),
        TableProfile("KubeEvents", 'strcat(Reason, " ", Message)', 'strcat(Namespace, "/", Name)', sparse=True),
        TableProfile(
            "KubePodInventory",
            'strcat(PodStatus, " ", ContainerStatus, " ", ContainerStatusReason, " ", ContainerLastStatus)',
            'strcat(Namespace, "/", Name)',
            snapshot=True,
        ),
        TableProfile(
            "KubeNodeInventory",
            'strcat(Status, " ", KubeletVersion, " ", KubernetesProviderID, " ", Labels)',
            "Computer",
            snapshot=True,
        ),
        TableProfile(
            "KubeServices",
            'strcat(ServiceType, " ", SelectorLabels)',
            'strcat(Namespace, "/", ServiceName)',
            snapshot=True,
        ),
        TableProfile("KubeMonAgentEvents", 'strcat(Level, " ", Category, " ", Message)', "Computer", sparse=True),
        TableProfile("InsightsMetrics", 'strcat(Namespace, " ", Name, " ", Tags)', "Computer"),
        TableProfile("ContainerInventory", 'strcat(ContainerState, " ", Name, " ", Image)', "Name"),
    )
}

SUMMARY_COLUMNS = ("ResourceId", "Signature", "Subject", "Count", "FirstSeen", "LastSeen", "Samples")
HEARTBEAT = "_heartbeat"
