"""NODE003: the konnectivity agent (control plane to node tunnel) is unhealthy.

A konnectivity-agent pod that is not running counts at once. Tunnel errors in its logs count only when
they persist: the agent reconnects by itself after a control plane upgrade or a brief network blip, and
one "cannot connect once" line in a day is not a broken tunnel.
"""

from __future__ import annotations

from shared.engine.context import CheckContext, hits_by_subject
from shared.model import Hit

POD_SIGNATURE = "agent-pod-not-running"
LOG_SIGNATURE = "agent-tunnel-error"
MIN_ERROR_LINES = 3  # per agent pod in the scan window


def evaluate(ctx: CheckContext) -> list[Hit]:
    rows = ctx.signal(POD_SIGNATURE)
    rows += [row for row in ctx.signal(LOG_SIGNATURE) if row.count >= MIN_ERROR_LINES]
    return hits_by_subject(rows)
