"""ARC004: overage claim — the principal that onboards/operates the Arc cluster is in more than 200 Entra groups."""

from __future__ import annotations

from shared.engine.context import CheckContext, Inconclusive
from shared.model import Hit

# Beyond 200 groups a token carries an overage claim instead of the group list.
GROUP_LIMIT = 200


def evaluate(ctx: CheckContext) -> list[Hit]:
    """Read the Microsoft Graph fact `arc-onboarding-principal-groups`.

    Its value is `{"principal": "<appId of the service principal>", "groupCount": <int>}` (transitive
    group memberships of the service principal used to connect the cluster), or `null` when the cluster
    was connected with a user account and no service principal is involved.
    """
    fact = ctx.directory["arc-onboarding-principal-groups"]
    if fact is None:
        return []
    if not isinstance(fact, dict) or not isinstance(fact.get("groupCount"), int):
        raise Inconclusive(f"arc-onboarding-principal-groups: unexpected value {fact!r}")
    count = fact["groupCount"]
    if count <= GROUP_LIMIT:
        return []
    principal = str(fact.get("principal") or "service principal")
    return [
        Hit(
            subject=principal,
            evidence=[{"signature": "principal-group-overage", "principal": principal, "groupCount": count}],
            count=count,
            params={"principal": principal, "group_count": str(count)},
        )
    ]
