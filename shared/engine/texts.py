"""Fill a check's texts with what is known about the cluster and subject.

Remediation steps are Jinja templates (`{{ cluster }}`, `{{ resource_group }}`,
`{{ namespace }}`...). An unknown value renders as `<name>`, the way the guides
write placeholders, so a step stays copy-pasteable and honest.
"""

from __future__ import annotations

from functools import lru_cache

import jinja2

from shared.model import Cluster, ClusterKind


class _Placeholder(jinja2.Undefined):
    def __str__(self) -> str:
        return f"<{self._undefined_name}>"


_ENV = jinja2.Environment(undefined=_Placeholder, autoescape=False, keep_trailing_newline=False)


@lru_cache(maxsize=8192)
def _template(text: str) -> jinja2.Template:
    return _ENV.from_string(text)


def render(text: str, params: dict[str, str]) -> str:
    return _template(text).render(**params)


def cluster_params(cluster: Cluster) -> dict[str, str]:
    props = cluster.properties
    params = {
        "cluster": cluster.name,
        "cluster_id": cluster.id,
        "resource_group": cluster.resource_group,
        "subscription": cluster.subscription_id,
        "location": cluster.location,
        "region": cluster.location,
        "cluster_type": "managedClusters" if cluster.kind is ClusterKind.AKS else "connectedClusters",
        "agent_namespace": "kube-system" if cluster.kind is ClusterKind.AKS else "azure-arc",
    }
    if props.get("nodeResourceGroup"):
        params["node_resource_group"] = props["nodeResourceGroup"]
    if cluster.workspace_id:
        params["workspace_id"] = cluster.workspace_id
    return params
