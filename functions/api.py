"""The HTTP API: one cluster's diagnosis, explain, current findings, the check catalog, health, OpenAPI."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import azure.functions as func

from shared.catalog import load_catalog
from shared.catalog.spec import LANGUAGES
from shared.kql.literals import KqlValueError, parse_duration, resource_id
from shared.model import Severity
from shared.redact import redact
from shared.runtime import open_sources, open_storage, scan_clock, source_kind
from shared.settings import get_setting
from shared.state import Status

bp = func.Blueprint()

KINDS = {
    "managedClusters": "Microsoft.ContainerService/managedClusters",
    "connectedClusters": "Microsoft.Kubernetes/connectedClusters",
}
MAX_EXPLAIN_BYTES = 64 * 1024
OPENAPI = Path(__file__).with_name("openapi.json")


def _json(body: Any, status: int = 200) -> func.HttpResponse:
    return func.HttpResponse(json.dumps(body, ensure_ascii=False), status_code=status, mimetype="application/json")


def _error(status: int, message: str) -> func.HttpResponse:
    return _json({"error": {"status": status, "message": message}}, status)


def _lang(value: str | None) -> str:
    lang = value or get_setting("FLEETDOC_LANGUAGE")
    if lang not in LANGUAGES:
        raise ValueError(f"lang {lang!r} is not one of {', '.join(LANGUAGES)}")
    return lang


@bp.route(route="clusters/{subscriptionId}/{resourceGroup}/{kind}/{name}/diagnosis", methods=["GET"])
async def diagnose(req: func.HttpRequest) -> func.HttpResponse:
    from shared.engine.scan import ClusterNotFound, diagnose_cluster

    p = req.route_params
    kind = KINDS.get(p.get("kind", ""))
    if kind is None:
        return _error(400, f"kind must be one of {', '.join(KINDS)}")
    cluster_id = f"/subscriptions/{p.get('subscriptionId')}/resourceGroups/{p.get('resourceGroup')}/providers/{kind}/{p.get('name')}"
    try:
        resource_id(cluster_id)
        since = parse_duration(req.params.get("since") or get_setting("FLEETDOC_SINCE"))
        lang = _lang(req.params.get("lang"))
    except (KqlValueError, ValueError) as err:
        return _error(400, str(err))
    async with open_sources() as sources:
        try:
            result = await diagnose_cluster(sources, cluster_id, now=scan_clock(sources), since=since, lang=lang)
        except ClusterNotFound:
            return _error(404, f"cluster not found: {cluster_id}")
    result.findings = [replace(f, evidence=redact(f.evidence)) for f in result.findings]
    return _json(result.to_json())


@bp.route(route="explain", methods=["POST"])
async def explain(req: func.HttpRequest) -> func.HttpResponse:
    raw = req.get_body() or b""
    if len(raw) > MAX_EXPLAIN_BYTES:
        return _error(413, f"text is limited to {MAX_EXPLAIN_BYTES} bytes")
    lang_param = req.params.get("lang")
    try:
        text = raw.decode("utf-8")
        if "json" in (req.headers.get("content-type") or "") or text.lstrip().startswith("{"):
            doc = json.loads(text)
            if not isinstance(doc, dict) or not isinstance(doc.get("text"), str):
                raise ValueError('JSON body must be {"text": "...", "lang": "en"}')
            text, lang_param = doc["text"], doc.get("lang") or lang_param
        lang = _lang(lang_param)
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError) as err:
        return _error(400, f"malformed request: {err}")
    if not text.strip():
        return _error(400, "no text to explain: send the error output as the body")
    from shared.explain import explain as explain_text  # written alongside; keep import cost off other routes

    try:
        matches = explain_text(text, lang)
    except ValueError as err:  # ExplainInputError: empty, too long, unknown language
        return _error(400, str(err))
    return _json({"lang": lang, "matches": [redact(m.to_json()) for m in matches]})


@bp.route(route="findings", methods=["GET"])
async def findings(req: func.HttpRequest) -> func.HttpResponse:
    try:
        status = Status(req.params["status"]) if req.params.get("status") else None
        severity = Severity(req.params["severity"]) if req.params.get("severity") else None
    except ValueError:
        return _error(
            400, f"status must be one of {[s.value for s in Status]}, severity one of {[s.value for s in Severity]}"
        )
    cluster = req.params.get("cluster") or None
    cluster_id = None
    if cluster and cluster.startswith("/"):
        try:
            cluster_id = resource_id(cluster)
        except KqlValueError as err:
            return _error(400, str(err))
    async with open_storage() as storage:
        states = await storage.state.list_findings(status=status, severity=severity, cluster=cluster_id)
    if cluster and not cluster_id:  # a cluster name
        states = [s for s in states if s.cluster_name.lower() == cluster.lower()]
    return _json({"count": len(states), "findings": [s.to_json() for s in states]})


@bp.route(route="checks", methods=["GET"])
async def checks(req: func.HttpRequest) -> func.HttpResponse:
    try:
        lang = _lang(req.params.get("lang"))
    except ValueError as err:
        return _error(400, str(err))
    items = []
    for check in load_catalog():
        texts = check.texts(lang)
        items.append(
            {
                "id": check.id,
                "severity": check.severity.value,
                "appliesTo": [k.value for k in check.spec.applies_to],
                "signal": list(check.spec.signal),
                "guide": check.spec.guide,
                "docs": check.spec.docs,
                "title": texts.title,
                "cause": texts.cause,
            }
        )
    return _json({"count": len(items), "checks": items})


@bp.route(route="health", methods=["GET"])
async def health(req: func.HttpRequest) -> func.HttpResponse:
    try:
        source = source_kind(os.environ)
        count = len(load_catalog())
    except Exception as err:  # health reports any failure (config, catalog) as unhealthy
        return _json({"status": "unhealthy", "error": str(err)}, 503)
    return _json({"status": "ok", "source": source, "checks": count})


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.FUNCTION)
async def openapi(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(OPENAPI.read_bytes(), status_code=200, mimetype="application/json")
