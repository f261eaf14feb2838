"""ARC011: kube-aad-proxy stuck in ContainerCreating (certificate missing) or not admitted by pod security."""

from __future__ import annotations

from datetime import timedelta

from shared.engine.context import CheckContext, hits_by_subject
from shared.model import Hit

# A pod is briefly ContainerCreating on every start; only a state that lasts is "stuck".
STUCK_AFTER = timedelta(minutes=15)


def evaluate(ctx: CheckContext) -> list[Hit]:
    events = ctx.signal("proxy-certificate-missing") + ctx.signal("pod-security-forbidden")
    explained = {row.subject for row in events}
    stuck = [
        row
        for row in ctx.signal("pod-stuck-container-creating")
        if row.subject in explained
        or (row.first_seen and row.last_seen and row.last_seen - row.first_seen >= STUCK_AFTER)
    ]
    return hits_by_subject(stuck + events + ctx.signal("kube-aad-proxy-missing"))
