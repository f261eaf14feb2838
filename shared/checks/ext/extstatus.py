"""Shared reading of cluster extension resources (Microsoft.KubernetesConfiguration/extensions).

A failed extension install or upgrade surfaces in ARM as `provisioningState: Failed` with the
extension manager's error text in `statuses[].message` (and, on newer API versions, `errorInfo`).
Each failed extension is assigned to exactly ONE check: the first whose text signatures match its
messages, in `ORDER` (most specific first); EXT010 takes the failed extensions nobody claimed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.catalog.matching import matches
from shared.engine.context import CheckContext
from shared.model import Hit

# Most specific first: "another operation ... in progress" and "already exists" messages can also
# carry generic wording ("failed to install chart"), so they are tried before timeouts.
ORDER = ("EXT009", "EXT008", "EXT007", "EXT006", "EXT005", "EXT002")
FALLBACK = "EXT010"


def failed_extensions(ctx: CheckContext) -> list[dict[str, Any]]:
    return [
        ext
        for ext in ctx.cluster.extensions
        if str((ext.get("properties") or {}).get("provisioningState", "")).lower() == "failed"
    ]


def error_messages(ext: dict[str, Any]) -> list[str]:
    """The extension's error texts: failed/error statuses and errorInfo (informational statuses are skipped)."""
    props = ext.get("properties") or {}
    out: list[str] = []
    for status in props.get("statuses") or []:
        level = str(status.get("level") or "").lower()
        if level in ("information", "warning"):
            continue
        if status.get("message"):
            out.append(str(status["message"]))
    info = props.get("errorInfo") or {}
    if info.get("message") and str(info["message"]) not in out:
        out.append(str(info["message"]))
    return out


def _signatures(check_id: str) -> list[Any]:
    from shared.catalog import load_catalog  # lazy: the catalog imports this module while loading

    catalog = load_catalog()
    if check_id not in catalog:
        return []
    return [s for s in catalog[check_id].spec.signatures if s.has_terms and s.table is None]


def classify(messages: list[str]) -> tuple[str, str | None]:
    """(check id, signature name) that owns these messages; (EXT010, None) when no signature matches."""
    for check_id in ORDER:
        for sig in _signatures(check_id):
            if any(matches(sig, message) for message in messages):
                return check_id, sig.name
    return FALLBACK, None


def _parse_time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def extension_hit(ext: dict[str, Any], messages: list[str], signature: str | None) -> Hit:
    props = ext.get("properties") or {}
    scope = props.get("scope") or {}
    namespace = (scope.get("cluster") or {}).get("releaseNamespace") or (scope.get("namespace") or {}).get(
        "targetNamespace"
    )
    name = str(ext.get("name") or str(ext.get("id", "")).rsplit("/", 1)[-1])
    times = [_parse_time(s.get("time")) for s in props.get("statuses") or []]
    times.append(_parse_time((ext.get("systemData") or {}).get("lastModifiedAt")))
    known = [t for t in times if t is not None]
    evidence: dict[str, Any] = {
        "source": "arm",
        "subject": name,
        "extensionType": props.get("extensionType"),
        "provisioningState": props.get("provisioningState"),
        "messages": messages or ["(no status message)"],
    }
    if signature:
        evidence["signature"] = signature
    params = {"extension": name, "extension_type": str(props.get("extensionType") or "<extension_type>")}
    if namespace:
        params["namespace"] = str(namespace)
    return Hit(
        subject=name,
        evidence=[evidence],
        first_seen=min(known) if known else None,
        last_seen=max(known) if known else None,
        count=1,
        params=params,
    )


def hits_for(ctx: CheckContext, check_id: str) -> list[Hit]:
    """One hit per failed extension that `classify` assigns to `check_id`."""
    hits = []
    for ext in failed_extensions(ctx):
        messages = error_messages(ext)
        owner, signature = classify(messages)
        if owner == check_id:
            hits.append(extension_hit(ext, messages, signature))
    return sorted(hits, key=lambda h: h.subject)
