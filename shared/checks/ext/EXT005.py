"""EXT005: failed extensions whose Helm release timed out waiting for resource readiness."""

from __future__ import annotations

from shared.checks.ext.extstatus import hits_for
from shared.engine.context import CheckContext
from shared.model import Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    return hits_for(ctx, "EXT005")
