"""LB006: nodes registered without the Azure cloud provider (no azure:// providerID).

AKS nodes always carry it. On Arc-enabled clusters only a mix is evidence: when some nodes are Azure VMs
registered through the cloud provider, the others are expected to be too; an on-premises cluster has none.
"""

from __future__ import annotations

from shared.engine.context import CheckContext, hits_by_subject
from shared.model import ClusterKind, Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    without = ctx.signal("node-without-azure-provider")
    if not without:
        return []
    if ctx.cluster.kind is ClusterKind.ARC and not ctx.signal("node-with-azure-provider"):
        return []
    return hits_by_subject(without)
