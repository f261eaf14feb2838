"""ARC002: the connected cluster is not connected (ARM connectivityStatus, lastConnectivityTime)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from shared.checks.arc._arm import iso, parse_time
from shared.engine.context import CheckContext, Inconclusive
from shared.model import Hit

NOT_CONNECTED = ("Offline", "Expired", "AgentNotInstalled")
# The agents report every few minutes; an hour without a report while ARM still says Connected is stale.
STALE_AFTER = timedelta(hours=1)
# A resource may sit in Connecting while onboarding runs; past this it is stuck.
CONNECTING_GRACE = timedelta(hours=1)


def evaluate(ctx: CheckContext) -> list[Hit]:
    props = ctx.cluster.properties
    status = props.get("connectivityStatus")
    if not status:
        raise Inconclusive("connectivityStatus is missing from the connected cluster's ARM body")
    last = parse_time(props.get("lastConnectivityTime"))
    created = parse_time((ctx.cluster.resource.get("systemData") or {}).get("createdAt"))
    evidence = {
        "connectivityStatus": status,
        "lastConnectivityTime": iso(last),
        "managedIdentityCertificateExpirationTime": props.get("managedIdentityCertificateExpirationTime"),
        "agentVersion": props.get("agentVersion"),
    }
    params = {"status": str(status), "last_connectivity": iso(last) or "unknown"}
    known = {s.lower(): s for s in NOT_CONNECTED}
    if str(status).lower() in known:
        return [_hit(ctx, "connectivity-status", evidence, params, last)]
    if str(status).lower() == "connecting":
        since = last or created
        if since is None or ctx.now - since > CONNECTING_GRACE:
            return [_hit(ctx, "stuck-connecting", evidence, params, last)]
        return []
    if last is None or ctx.now - last > STALE_AFTER:
        return [_hit(ctx, "stale-connectivity", evidence, params, last)]
    return []


def _hit(
    ctx: CheckContext, signature: str, evidence: dict[str, Any], params: dict[str, str], last: datetime | None
) -> Hit:
    return Hit(
        subject=ctx.cluster.name,
        evidence=[{"signature": signature, "subject": ctx.cluster.name, **evidence}],
        last_seen=last,
        params=params,
    )
