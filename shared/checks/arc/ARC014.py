"""ARC014: custom locations could not be enabled (the 'custom-locations' app's object id was not available)."""

from __future__ import annotations

from typing import Any

from shared.engine.context import CheckContext, Inconclusive
from shared.model import Hit

FACT = "custom-locations-principal"
FEATURE_NAMES = ("customlocations", "custom-locations", "custom_locations")


def _requested_in_arm(props: dict[str, Any]) -> bool:
    """Does the connected cluster's ARM body list the custom-locations feature as enabled?"""
    for item in props.get("arcAgentryConfigurations") or []:
        if str(item.get("feature", "")).lower() in FEATURE_NAMES:
            enabled = (item.get("settings") or {}).get("enabled", "true")
            return str(enabled).lower() != "false"
    return False


def evaluate(ctx: CheckContext) -> list[Hit]:
    """Read the Microsoft Graph fact `custom-locations-principal`.

    Its value is `{"objectId": "<object id of the 'custom-locations' service principal (app
    bc313c14-388c-4e7d-a58e-70017303ee3b) or null when it could not be read>", "enabled": <bool: the
    feature is enabled on this cluster with that object id>}`, or `null` when custom locations were never
    requested for the cluster. The feature also counts as requested when the ARM body lists it in
    `properties.arcAgentryConfigurations`.
    """
    fact = ctx.directory[FACT]
    if fact is not None and not isinstance(fact, dict):
        raise Inconclusive(f"{FACT}: unexpected value {fact!r}")
    requested = fact is not None or _requested_in_arm(ctx.cluster.properties)
    if not requested:
        return []
    object_id = (fact or {}).get("objectId")
    enabled = bool((fact or {}).get("enabled")) and bool(object_id)
    if enabled:
        return []
    evidence = {
        "signature": "custom-locations-not-enabled",
        "objectId": object_id,
        "enabled": (fact or {}).get("enabled"),
        "requestedInArm": _requested_in_arm(ctx.cluster.properties),
    }
    params = {"object_id": str(object_id) if object_id else "<objectId>"}  # the guide's own placeholder
    return [Hit(subject="custom-locations", evidence=[evidence], params=params)]
