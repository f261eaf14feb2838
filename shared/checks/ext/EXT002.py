"""EXT002: the extension agent cannot reach the extension data plane.

Two views of one failure: the agent's own connection errors in its logs, and extension resources
that failed with "Unable to get a response from the agent in time" (ARM statuses / errorInfo).
"""

from __future__ import annotations

from shared.checks.ext.extstatus import hits_for
from shared.engine.context import CheckContext, hits_by_subject
from shared.model import Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    return hits_by_subject(ctx.all_rows()) + hits_for(ctx, "EXT002")
