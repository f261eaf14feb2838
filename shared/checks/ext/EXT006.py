"""EXT006: failed cluster extensions assigned to this check by the shared status classifier."""

from __future__ import annotations

from shared.checks.ext.extstatus import hits_for
from shared.engine.context import CheckContext
from shared.model import Hit


def evaluate(ctx: CheckContext) -> list[Hit]:
    return hits_for(ctx, "EXT006")
