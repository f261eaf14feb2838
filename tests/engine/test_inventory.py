"""ARM documents as Azure returns them (the REST spec examples) become clusters with the right workspace."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from shared.inventory import assemble_clusters, resource_type
from shared.model import ClusterKind

ARM = Path(__file__).parent / "arm"
WS = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mon/providers/Microsoft.OperationalInsights/workspaces/law1"


def _example(name: str) -> dict[str, Any]:
    return json.loads((ARM / name).read_text(encoding="utf-8"))["responses"]["200"]["body"]


def _aks() -> dict[str, Any]:
    return copy.deepcopy(_example("ManagedClustersGet.2025-05-01.json"))


def test_spec_example_without_monitoring_has_no_workspace() -> None:
    (cluster,) = assemble_clusters([_aks()])
    assert cluster.kind is ClusterKind.AKS
    assert (cluster.subscription_id, cluster.resource_group, cluster.name) == (
        "00000000-0000-0000-0000-000000000000",
        "rg1",
        "clustername1",
    )
    assert cluster.workspace_id is None
    assert [p["name"] for p in cluster.agent_pools] == ["nodepool1"]


def test_addon_key_is_matched_case_insensitively() -> None:
    for key in ("omsagent", "omsAgent"):
        aks = _aks()
        aks["properties"]["addonProfiles"] = {key: {"enabled": True, "config": {"logAnalyticsWorkspaceResourceID": WS}}}
        (cluster,) = assemble_clusters([aks])
        assert (cluster.workspace_id, cluster.workspace_source) == (WS.lower(), "addon")


def test_disabled_addon_does_not_count() -> None:
    aks = _aks()
    aks["properties"]["addonProfiles"] = {
        "omsAgent": {"enabled": False, "config": {"logAnalyticsWorkspaceResourceID": WS}}
    }
    assert assemble_clusters([aks])[0].workspace_id is None


def test_data_collection_rule_association_chain() -> None:
    aks = _aks()
    dcr_id = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-mon/providers/Microsoft.Insights/dataCollectionRules/MSCI-location1-clustername1"
    association = {
        "id": f"{aks['id']}/providers/Microsoft.Insights/dataCollectionRuleAssociations/ContainerInsightsExtension",
        "type": "Microsoft.Insights/dataCollectionRuleAssociations",
        "name": "ContainerInsightsExtension",
        "properties": {"dataCollectionRuleId": dcr_id},
    }
    dcr = {
        "id": dcr_id,
        "type": "Microsoft.Insights/dataCollectionRules",
        "properties": {"destinations": {"logAnalytics": [{"workspaceResourceId": WS, "name": "ciworkspace"}]}},
    }
    (cluster,) = assemble_clusters([aks, association, dcr])
    assert (cluster.workspace_id, cluster.workspace_source) == (WS.lower(), "dcr")


def test_arc_extension_settings_and_extension_children() -> None:
    arc = copy.deepcopy(_example("ConnectedClusters_GetClusterExample.2026-03-01.json"))
    extension = copy.deepcopy(_example("Extensions_GetExtension.2025-03-01.json"))
    extension["id"] = f"{arc['id']}/providers/Microsoft.KubernetesConfiguration/extensions/ClusterMonitor"
    extension["properties"]["configurationSettings"]["logAnalyticsWorkspaceResourceID"] = WS
    (cluster,) = assemble_clusters([arc, extension])
    assert cluster.kind is ClusterKind.ARC
    assert [e["name"] for e in cluster.extensions] == ["ClusterMonitor"]
    assert (cluster.workspace_id, cluster.workspace_source) == (WS.lower(), "extension")


def test_agent_pools_from_a_list_response_without_type() -> None:
    pools = _example("AgentPoolsList.2025-05-01.json")["value"]
    assert resource_type(pools[0]) == "microsoft.containerservice/managedclusters/agentpools"
    (cluster,) = assemble_clusters([_aks(), *pools])
    assert [p["name"] for p in cluster.agent_pools] == [p["name"] for p in pools]
