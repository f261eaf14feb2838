"""The fake Azure: Resource Graph, ARM reads, Log Analytics, metrics and Microsoft Graph over a fleet folder.

Loopback-only HTTPS (a `trustme` certificate made by the caller). One aiohttp
server answers every host name the adapters are pointed at; paths tell the
APIs apart. Responses use the shapes of the azure-rest-api-specs examples.
Faults are injected per endpoint (`resourcegraph`, `arm`, `metrics`, `logs`,
`graph`) and every request is recorded for the tests' counters.
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from aiohttp import web

from shared.inventory import id_parts
from shared.sources.local import LocalFleet
from tests.fakeazure.resourcegraph import ResourceGraphData

PAGE_MAX = 1000
IDENTITY_SECRET = "fake-identity-header"
CUSTOM_LOCATIONS_APP_ID = "bc313c14-388c-4e7d-a58e-70017303ee3b"


@dataclass
class Fault:
    """One injected misbehaviour. `match` narrows it to requests whose path or body contains the text."""

    endpoint: str  # resourcegraph | arm | metrics | logs | graph
    status: int | None = None  # answer with this HTTP status (429 gets Retry-After)
    retry_after: float = 1.0
    latency: float = 0.0  # seconds slept before answering (a timeout when above the client's)
    partial: bool = False  # Log Analytics: 200 with the rows and an `error` member
    times: int | None = None  # fire this many times, then stop; None = always
    match: str = ""
    fired: int = 0


@dataclass
class Request:
    endpoint: str
    method: str
    path: str
    status: int
    body: dict[str, Any] = field(default_factory=dict)


def _error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status, headers=headers)


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _kusto_type(values: list[Any]) -> str:
    for value in values:
        if value is None:
            continue
        if isinstance(value, bool):
            return "bool"
        if isinstance(value, int):
            return "long"
        if isinstance(value, float | Decimal):
            return "real"
        if isinstance(value, datetime):
            return "datetime"
        if isinstance(value, dict | list):
            return "dynamic"
        return "string"
    return "string"


class FakeAzure:
    """Serve `fleet` (a fleet folder) as Azure. Start with `start()`, stop with `stop()`."""

    def __init__(
        self,
        fleet: Path,
        ssl_context: ssl.SSLContext,
        *,
        extra_resources: list[dict[str, Any]] | None = None,
        arg_quota: int = 15,
        arg_quota_window: float = 5.0,
    ):
        self.fleet = LocalFleet(fleet)
        self.ssl_context = ssl_context
        self.faults: list[Fault] = []
        self.requests: list[Request] = []
        self.forbidden_subscriptions: set[str] = set()
        self.forbidden_workspaces: set[str] = set()  # customerIds answering 403
        self.graph: dict[str, Any] = {"servicePrincipals": [], "groupCounts": {}}
        self._lock = threading.Lock()
        self.arg_quota = arg_quota
        self.arg_quota_window = arg_quota_window
        self._arg_calls: list[float] = []
        resources = self.fleet.resources() + list(extra_resources or []) + self._scale_sets()
        self.resources = {str(r["id"]).lower(): r for r in resources}
        self.subscriptions = sorted({id_parts(str(r["id"]))[0] for r in resources if id_parts(str(r["id"]))[0]})
        self._directory_to_tenant()
        self.arg = ResourceGraphData(list(self.resources.values()), self.subscriptions)
        self.customer_ids = {
            str(meta["customerId"]).lower(): ws_id.lower() for ws_id, meta in self.fleet.manifest["workspaces"].items()
        }
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.identity_port = 0

    def _directory_to_tenant(self) -> None:
        """Turn the fleet's recorded Graph facts into the tenant state that produces them ("*" = every cluster)."""
        path = self.fleet.root / "directory.json"
        directory = {
            k.lower(): v for k, v in (json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}).items()
        }
        default = directory.get("*", {})
        for key, cluster in self.resources.items():
            if str(cluster.get("type", "")).lower() != "microsoft.kubernetes/connectedclusters":
                continue
            facts = {**default, **directory.get(key, {})}
            custom = directory.get(key, {}).get("custom-locations-principal")
            if isinstance(custom, dict):  # a per-cluster state: the feature is configured on the cluster
                switch = "true" if custom.get("enabled") else "false"
                cluster.setdefault("properties", {})["arcAgentryConfigurations"] = [
                    {"feature": "customLocations", "settings": {"enabled": switch}}
                ]
            if "arc-onboarding-principal-groups" not in facts:
                continue  # ARM without systemData: nobody can tell who onboarded the cluster
            fact = facts["arc-onboarding-principal-groups"]
            if fact is None:
                cluster["systemData"] = {"createdBy": "operator@contoso.com", "createdByType": "User"}
                continue
            object_id = str(uuid.uuid5(uuid.NAMESPACE_URL, fact["principal"]))
            self._add_principal(object_id, fact["principal"], "arc-onboarding")
            self.graph["groupCounts"][object_id] = int(fact["groupCount"])
            cluster["systemData"] = {
                "createdAt": "2025-01-07T09:12:44.1Z",
                "createdBy": fact["principal"],
                "createdByType": "Application",
            }
        custom = default.get("custom-locations-principal")
        if isinstance(custom, dict) and custom.get("objectId"):
            self._add_principal(custom["objectId"], CUSTOM_LOCATIONS_APP_ID, "Custom Locations RP")

    def _add_principal(self, object_id: str, app_id: str, name: str) -> None:
        if not any(p["id"] == object_id for p in self.graph["servicePrincipals"]):
            self.graph["servicePrincipals"].append({"id": object_id, "appId": app_id, "displayName": name})

    # --- lifecycle -------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def identity_env(self) -> dict[str, str]:
        """Environment that makes DefaultAzureCredential use this fake's managed identity endpoint."""
        return {
            "IDENTITY_ENDPOINT": f"http://127.0.0.1:{self.identity_port}/msi/token",
            "IDENTITY_HEADER": IDENTITY_SECRET,
        }

    def start(self) -> FakeAzure:
        ready = threading.Event()

        def run() -> None:
            self._loop = asyncio.new_event_loop()
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(self._serve())
            ready.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="fake-azure", daemon=True)
        self._thread.start()
        if not ready.wait(15):
            raise RuntimeError("fake Azure did not start")
        return self

    async def _serve(self) -> None:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        self._runner = web.AppRunner(app, shutdown_timeout=0.5, handler_cancellation=True)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        # The managed identity endpoint is plain HTTP on loopback, as App Service / Functions serve it.
        identity = web.TCPSite(self._runner, "127.0.0.1", 0)
        await identity.start()
        self.identity_port = self._runner.addresses[1][1]

    def stop(self) -> None:
        if self._loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)  # type: ignore[union-attr]
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)
        self._loop.close()
        self._loop = None
        self.fleet.close()

    def reset(self) -> None:
        with self._lock:
            self.faults.clear()
            self.requests.clear()
            self.forbidden_subscriptions.clear()
            self.forbidden_workspaces.clear()
            self._arg_calls.clear()

    # --- counters --------------------------------------------------------------------
    def count(self, endpoint: str | None = None) -> int:
        return sum(1 for r in self.requests if endpoint is None or r.endpoint == endpoint)

    def counts(self) -> Counter[str]:
        return Counter(r.endpoint for r in self.requests)

    # --- dispatch --------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = unquote(request.path)
        body: dict[str, Any] = {}
        if request.can_read_body:
            raw = await request.read()
            body = json.loads(raw) if raw else {}
        if path.startswith("/v1/") or path.startswith("/v1."):
            endpoint = "logs" if path.startswith("/v1/") else "graph"
        elif path.startswith("/providers/Microsoft.ResourceGraph/"):
            endpoint = "resourcegraph"
        elif path.lower().endswith("/providers/microsoft.insights/metrics"):
            endpoint = "metrics"
        else:
            endpoint = "arm"
        if path == "/msi/token":
            endpoint = "identity"
        record = Request(endpoint, request.method, path, 0, body)  # recorded on arrival; status when answered
        with self._lock:
            self.requests.append(record)
        if endpoint == "identity":
            response: web.StreamResponse = self._token(request)
        elif not request.headers.get("Authorization", "").startswith("Bearer "):
            response = _error(401, "AuthenticationFailed", "no bearer token")
        else:
            response = await self._faulted(endpoint, path, body) or await self._handle(endpoint, request, path, body)
        record.status = response.status
        return response

    async def _faulted(self, endpoint: str, path: str, body: dict[str, Any]) -> web.StreamResponse | None:
        text = path + json.dumps(body)
        for fault in list(self.faults):
            if fault.endpoint != endpoint or (fault.match and fault.match.lower() not in text.lower()):
                continue
            with self._lock:
                if fault.times is not None and fault.fired >= fault.times:
                    continue
                fault.fired += 1
            if fault.latency:
                await asyncio.sleep(fault.latency)
            if fault.status == 429:
                return _error(429, "TooManyRequests", "Rate limit exceeded", {"Retry-After": f"{fault.retry_after:g}"})
            if fault.status:
                return _error(fault.status, "InternalServerError" if fault.status >= 500 else "Forbidden", "injected")
            if fault.partial:
                return None  # handled by the logs handler
        return None

    def _partial(self, path: str, body: dict[str, Any]) -> bool:
        text = path + json.dumps(body)
        return any(
            f.endpoint == "logs" and f.partial and (not f.match or f.match.lower() in text.lower()) for f in self.faults
        )

    async def _handle(self, endpoint: str, request: web.Request, path: str, body: dict[str, Any]) -> web.StreamResponse:
        try:
            if endpoint == "resourcegraph":
                return await self._resource_graph(body)
            if endpoint == "logs":
                return await self._logs(path, body)
            if endpoint == "metrics":
                return self._metrics(path, request.query)
            if endpoint == "graph":
                return self._graph(path, request.query)
            return self._arm(path)
        except web.HTTPException:
            raise
        except Exception as err:  # a bug in the fake or an unsupported query: make it visible to the test
            return _error(400, "BadRequest", f"{type(err).__name__}: {err}")

    def _token(self, request: web.Request) -> web.Response:
        """App Service managed identity protocol (api-version 2019-08-01)."""
        if request.headers.get("X-IDENTITY-HEADER") != IDENTITY_SECRET:
            return web.json_response({"statusCode": 400, "message": "bad X-IDENTITY-HEADER"}, status=400)
        resource = request.query.get("resource", "")
        return web.json_response(
            {
                "access_token": f"fake-token-for-{resource}",
                "expires_on": str(int(time.time()) + 3600),
                "resource": resource,
                "token_type": "Bearer",
            }
        )

    # --- Resource Graph --------------------------------------------------------------
    async def _resource_graph(self, body: dict[str, Any]) -> web.Response:
        now = time.monotonic()
        with self._lock:
            self._arg_calls = [t for t in self._arg_calls if now - t < self.arg_quota_window]
            self._arg_calls.append(now)
            used = len(self._arg_calls)
            oldest = self._arg_calls[0]
        resets = max(self.arg_quota_window - (now - oldest), 0.0)
        quota = {
            "x-ms-user-quota-remaining": str(max(self.arg_quota - used, 0)),
            "x-ms-user-quota-resets-after": time.strftime("%H:%M:%S", time.gmtime(resets)) + f"{resets % 1:.3f}"[1:],
        }
        if used > self.arg_quota:
            return _error(429, "RateLimiting", "quota exceeded", {**quota, "Retry-After": str(int(resets) + 1)})
        subs = body.get("subscriptions") or []
        if body.get("managementGroups"):
            subs = list(self.subscriptions)
        elif not subs:
            subs = [s for s in self.subscriptions if s not in self.forbidden_subscriptions]
        denied = [s for s in subs if s in self.forbidden_subscriptions]
        if denied:
            return _error(
                403, "AuthorizationFailed", f"The client does not have authorization over subscription {denied[0]}"
            )
        options = body.get("options") or {}
        top = min(int(options.get("$top") or PAGE_MAX), PAGE_MAX)
        token = options.get("$skipToken")
        skip = json.loads(base64.b64decode(token))["skip"] if token else int(options.get("$skip") or 0)
        rows = await asyncio.to_thread(self.arg.query, body["query"], subs)
        page = rows[skip : skip + top]
        result: dict[str, Any] = {
            "totalRecords": len(rows),
            "count": len(page),
            "resultTruncated": "false",
            "facets": [],
            "data": page,
        }
        if skip + top < len(rows):
            result["$skipToken"] = base64.b64encode(json.dumps({"skip": skip + top}).encode()).decode()
        return web.json_response(result, headers=quota)

    # --- ARM ---------------------------------------------------------------------------
    def _arm(self, path: str) -> web.Response:
        sub = id_parts(path)[0]
        if sub in self.forbidden_subscriptions:
            return _error(403, "AuthorizationFailed", f"no access to subscription {sub}")
        lower = path.lower().rstrip("/")
        if lower.endswith("/agentpools"):
            cluster = self.resources.get(lower.rsplit("/", 1)[0])
            if cluster is None:
                return _error(404, "ResourceNotFound", path)
            pools = [
                {
                    "id": f"{cluster['id']}/agentPools/{p['name']}",
                    "name": p["name"],
                    "type": "Microsoft.ContainerService/managedClusters/agentPools",
                    "properties": {k: v for k, v in p.items() if k != "name"},
                }
                for p in (cluster.get("properties") or {}).get("agentPoolProfiles") or []
            ]
            return web.json_response({"value": pools})
        for suffix, rtype in (
            ("/providers/microsoft.kubernetesconfiguration/extensions", "microsoft.kubernetesconfiguration/extensions"),
            (
                "/providers/microsoft.insights/datacollectionruleassociations",
                "microsoft.insights/datacollectionruleassociations",
            ),
        ):
            if lower.endswith(suffix):
                parent = lower[: -len(suffix)]
                if parent not in self.resources:
                    return _error(404, "ResourceNotFound", path)
                children = [
                    r
                    for key, r in self.resources.items()
                    if key.startswith(parent + "/providers/") and str(r.get("type", "")).lower() == rtype
                ]
                return web.json_response({"value": children})
        resource = self.resources.get(lower)
        if resource is None:
            return _error(404, "ResourceNotFound", f"The Resource '{path}' was not found.")
        return web.json_response(resource)

    # --- Log Analytics -------------------------------------------------------------------
    async def _logs(self, path: str, body: dict[str, Any]) -> web.Response:
        target = path[len("/v1/") : -len("/query")] if path.endswith("/query") else ""
        if target.lower().startswith("workspaces/"):
            guid = target.split("/", 1)[1].lower()
            if guid in self.forbidden_workspaces:
                return _error(403, "InsufficientAccessError", "The provided credentials have insufficient access")
            ws_id = self.customer_ids.get(guid)
            if ws_id is None:
                return _error(404, "WorkspaceNotFoundError", f"workspace {guid} not found")
            workspaces = [self.fleet.workspaces[ws_id]]
        else:  # resource-centric: wherever the resource's rows landed
            workspaces = list(self.fleet.workspaces.values())
        rows: list[dict[str, Any]] = []
        for workspace in workspaces:
            rows.extend(await asyncio.to_thread(workspace.query, body["query"]))
        names = list(rows[0].keys()) if rows else []
        types = {n: _kusto_type([r.get(n) for r in rows]) for n in names}
        table = {
            "name": "PrimaryResult",
            "columns": [{"name": n, "type": types[n]} for n in names],
            "rows": [
                [
                    json.dumps(r.get(n)) if types[n] == "dynamic" and r.get(n) is not None else _json_value(r.get(n))
                    for n in names
                ]
                for r in rows
            ],
        }
        result: dict[str, Any] = {"tables": [table]}
        if self._partial(path, body):
            result["error"] = {
                "code": "PartialError",
                "message": "There were some errors when processing your query.",
                "details": [
                    {
                        "code": "EngineError",
                        "message": "Something went wrong processing your query on the server.",
                        "innererror": {
                            "code": "-2133196797",
                            "message": "Query execution has exceeded the allowed limits",
                        },
                    }
                ],
            }
        return web.json_response(result)

    # --- metrics -------------------------------------------------------------------------
    def _scale_sets(self) -> list[dict[str, Any]]:
        """Node scale sets in the node resource groups: the resources the metrics are recorded against."""
        path = self.fleet.root / "metrics.json"
        if not path.exists():
            return []
        found: dict[str, dict[str, Any]] = {}
        for cluster_id, metrics in json.loads(path.read_text(encoding="utf-8")).items():
            cluster = next((c for c in self.fleet.clusters() if c.key == cluster_id.lower()), None)
            for points in metrics.values():
                for point in points:
                    rid = point["resourceId"]
                    found.setdefault(
                        rid.lower(),
                        {
                            "id": rid,
                            "name": rid.rsplit("/", 1)[-1],
                            "type": "Microsoft.Compute/virtualMachineScaleSets",
                            "location": cluster.location if cluster else "",
                            "sku": {"name": "Standard_D8ds_v5", "tier": "Standard", "capacity": 3},
                            "properties": {"provisioningState": "Succeeded"},
                        },
                    )
        return list(found.values())

    def _metrics(self, path: str, query: Any) -> web.Response:
        resource_id = path[: -len("/providers/Microsoft.Insights/metrics")].lstrip("/")
        resource_id = "/" + resource_id
        if id_parts(resource_id)[0] in self.forbidden_subscriptions:
            return _error(403, "AuthorizationFailed", "no access")
        names = [n for n in (query.get("metricnames") or "").split(",") if n]
        aggregation = (query.get("aggregation") or "Average").split(",")[0].lower()
        start, end = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in query["timespan"].split("/"))
        recorded = {}
        path_json = self.fleet.root / "metrics.json"
        if path_json.exists():
            for metrics in json.loads(path_json.read_text(encoding="utf-8")).values():
                for name, points in metrics.items():
                    for p in points:
                        if p["resourceId"].lower() == resource_id.lower():
                            recorded.setdefault(name, []).append(p)
        values = []
        for name in names:
            data = []
            for p in sorted(recorded.get(name, []), key=lambda p: p["timestamp"]):
                moment = datetime.fromisoformat(p["timestamp"].replace("Z", "+00:00"))
                if start <= moment <= end:
                    data.append({"timeStamp": moment.strftime("%Y-%m-%dT%H:%M:%SZ"), aggregation: p["value"]})
            values.append(
                {
                    "id": f"{resource_id}/providers/Microsoft.Insights/metrics/{name}",
                    "type": "Microsoft.Insights/metrics",
                    "name": {"value": name, "localizedValue": name},
                    "displayDescription": "",
                    "unit": "Percent",
                    "timeseries": [{"metadatavalues": [], "data": data}],
                    "errorCode": "Success",
                }
            )
        return web.json_response(
            {
                "cost": 0,
                "timespan": query["timespan"],
                "interval": query.get("interval") or "PT5M",
                "value": values,
                "namespace": query.get("metricnamespace") or "",
                "resourceregion": (self.resources.get(resource_id.lower()) or {}).get("location", ""),
            }
        )

    # --- Microsoft Graph ----------------------------------------------------------------
    def _graph(self, path: str, query: Any) -> web.Response:
        parts = [p for p in path.split("/") if p][1:]  # drop v1.0
        principals = self.graph["servicePrincipals"]
        if parts == ["servicePrincipals"]:
            wanted = query.get("$filter", "")
            found = [p for p in principals if f"appId eq '{p['appId']}'" in wanted]
            return web.json_response(
                {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#servicePrincipals", "value": found}
            )
        if len(parts) >= 3 and parts[0] == "servicePrincipals" and parts[2] == "transitiveMemberOf":
            count = self.graph["groupCounts"].get(parts[1], 0)
            if parts[-1] == "$count":
                return web.Response(text=str(count), content_type="text/plain")
            groups = [{"@odata.type": "#microsoft.graph.group", "id": str(uuid.uuid4())} for _ in range(count)]
            return web.json_response({"value": groups})
        return _error(404, "Request_ResourceNotFound", path)
