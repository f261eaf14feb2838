"""HTTP routes invoked as the host would: success, 400s and 404s, against the sample fleet and Azurite."""

from __future__ import annotations

from typing import Any

import azure.functions as func
import pytest

from shared.catalog import load_catalog
from shared.model import Severity
from shared.runtime import sample_fleet_dir
from shared.sources.local import LocalFleet
from tests.functions.conftest import body, user_function

pytestmark = pytest.mark.usefixtures("app_env")


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    """The bundled sample fleet the app reads, and where its scenarios went."""
    fleet = LocalFleet(sample_fleet_dir())
    try:
        return {"clusters": fleet.clusters(), "scenarios": fleet.manifest["scenarios"]}
    finally:
        fleet.close()


def _get(route: str, params: dict[str, str] | None = None, route_params: dict[str, str] | None = None) -> Any:
    return func.HttpRequest(
        "GET", f"http://localhost/api/{route}", body=b"", params=params or {}, route_params=route_params or {}
    )


def _route(cluster_id: str) -> dict[str, str]:
    parts = cluster_id.split("/")
    return {"subscriptionId": parts[2], "resourceGroup": parts[4], "kind": parts[7], "name": parts[8]}


async def test_diagnosis_of_a_cluster_with_a_scenario(functions: dict[str, Any], sample: dict[str, Any]) -> None:
    placed = sample["scenarios"][0]
    cluster = next(c for c in sample["clusters"] if c.key == placed["cluster"].lower())
    response = await user_function(functions, "diagnose")(_get("x", {"lang": "de"}, _route(cluster.id)))
    assert response.status_code == 200, response.get_body()
    doc = body(response)
    assert [c["id"].lower() for c in doc["clusters"]] == [cluster.key]
    assert doc["scan"]["lang"] == "de"
    assert placed["check"] in {f["check"] for f in doc["findings"]}
    ranks = [load_catalog()[f["check"]].severity.rank for f in doc["findings"]]
    assert ranks == sorted(ranks, reverse=True)
    checks = {c["check"] for c in doc["coverage"]}
    assert checks == set(load_catalog().ids())


@pytest.mark.parametrize(
    ("route", "params", "message"),
    [
        ({"subscriptionId": "not-a-guid"}, {}, "not an Azure resource id"),
        ({"kind": "virtualMachines"}, {}, "kind must be one of"),
        ({"name": "bad name!"}, {}, "not an Azure resource id"),
        ({}, {"since": "forever"}, "invalid duration"),
        ({}, {"since": "90d"}, "at most 30d"),
        ({}, {"lang": "fr"}, "lang 'fr'"),
    ],
)
async def test_diagnosis_rejects_malformed_input(
    functions: dict[str, Any], sample: dict[str, Any], route: dict[str, str], params: dict[str, str], message: str
) -> None:
    good = _route(sample["clusters"][0].id)
    response = await user_function(functions, "diagnose")(_get("x", params, {**good, **route}))
    assert response.status_code == 400
    assert message in body(response)["error"]["message"]


async def test_diagnosis_of_an_unknown_cluster_is_404(functions: dict[str, Any], sample: dict[str, Any]) -> None:
    route = {**_route(sample["clusters"][0].id), "name": "aks-does-not-exist"}
    response = await user_function(functions, "diagnose")(_get("x", {}, route))
    assert response.status_code == 404
    assert "aks-does-not-exist" in body(response)["error"]["message"]


def _explainable() -> tuple[str, str]:
    """A check and a text made of one of its explainable signatures' terms."""
    for check in load_catalog():
        for sig in check.spec.signatures:
            if sig.explain and sig.all and not sig.regex and not sig.none:
                text = " ".join(sig.all) + (f" {sig.any[0]}" if sig.any else "")
                return check.id, f"Error: {text} (Bearer abcdefghijklmnop1234)"
    pytest.fail("no check with an explainable all-terms signature in the catalog")


async def test_explain_plain_text_and_json(functions: dict[str, Any]) -> None:
    check, text = _explainable()
    explain = user_function(functions, "explain")
    plain = await explain(
        func.HttpRequest("POST", "http://localhost/api/explain", body=text.encode(), params={"lang": "de"})
    )
    assert plain.status_code == 200, plain.get_body()
    assert body(plain)["lang"] == "de"
    assert check in [m["check"] for m in body(plain)["matches"]]
    as_json = await explain(
        func.HttpRequest(
            "POST",
            "http://localhost/api/explain",
            body=f'{{"text": {text!r}, "lang": "zh-Hans"}}'.replace("'", '"').encode(),
            headers={"content-type": "application/json"},
        )
    )
    assert as_json.status_code == 200, as_json.get_body()
    assert body(as_json)["lang"] == "zh-Hans"
    assert check in [m["check"] for m in body(as_json)["matches"]]


@pytest.mark.parametrize(
    ("payload", "params", "status"),
    [
        (b"", {}, 400),
        (b"   \n", {}, 400),
        (b'{"txt": "x"}', {}, 400),
        (b'{"text": "x"', {}, 400),
        (b"\xff\xfe", {}, 400),
        (b"some error", {"lang": "xx"}, 400),
        (b"x" * (64 * 1024 + 1), {}, 413),
    ],
)
async def test_explain_rejects_bad_bodies(
    functions: dict[str, Any], payload: bytes, params: dict[str, str], status: int
) -> None:
    response = await user_function(functions, "explain")(
        func.HttpRequest("POST", "http://localhost/api/explain", body=payload, params=params)
    )
    assert response.status_code == status
    assert body(response)["error"]["message"]


async def test_checks_lists_the_catalog(functions: dict[str, Any]) -> None:
    response = await user_function(functions, "checks")(_get("checks", {"lang": "zh-Hant"}))
    assert response.status_code == 200
    doc = body(response)
    assert [c["id"] for c in doc["checks"]] == load_catalog().ids()
    first = load_catalog()[doc["checks"][0]["id"]]
    assert doc["checks"][0]["title"] == first.texts("zh-Hant").title
    bad = await user_function(functions, "checks")(_get("checks", {"lang": "klingon"}))
    assert bad.status_code == 400


async def test_health_and_openapi(functions: dict[str, Any]) -> None:
    health = await user_function(functions, "health")(_get("health"))
    assert health.status_code == 200
    assert body(health) == {"status": "ok", "source": "sample", "checks": len(load_catalog())}
    spec = await user_function(functions, "openapi")(_get("openapi.json"))
    assert spec.status_code == 200 and spec.mimetype == "application/json"
    assert body(spec)["openapi"] == "3.1.0"


async def test_health_reports_a_bad_source_setting(functions: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLEETDOC_SOURCE", "ftp")
    health = await user_function(functions, "health")(_get("health"))
    assert health.status_code == 503
    assert "FLEETDOC_SOURCE" in body(health)["error"]


@pytest.mark.parametrize(
    "params", [{"status": "closed"}, {"severity": "urgent"}, {"cluster": "/subscriptions/nope/resourceGroups/x"}]
)
async def test_findings_rejects_bad_filters(functions: dict[str, Any], params: dict[str, str]) -> None:
    response = await user_function(functions, "findings")(_get("findings", params))
    assert response.status_code == 400


async def test_findings_come_from_state(functions: dict[str, Any], sample: dict[str, Any]) -> None:
    from shared.runtime import open_storage
    from shared.state import apply_run
    from tests.functions.test_transitions import T0, finding

    empty = await user_function(functions, "findings")(_get("findings"))
    assert body(empty) == {"count": 0, "findings": []}
    one, two = sample["clusters"][0], sample["clusters"][1]
    seeded = [
        finding("NODE004", one.id, "kube-system/a", Severity.HIGH),
        finding("EXT001", two.id, "", Severity.CRITICAL),
    ]
    async with open_storage() as storage:
        await storage.state.put_findings(apply_run({}, seeded, [], "r1", T0).states)
    listed = body(await user_function(functions, "findings")(_get("findings")))
    assert [f["check"] for f in listed["findings"]] == ["EXT001", "NODE004"]
    assert {f["status"] for f in listed["findings"]} == {"new"}
    by_id = body(
        await user_function(functions, "findings")(
            _get("findings", {"cluster": one.id.upper().replace("/SUBSCRIPTIONS", "/subscriptions")})
        )
    )
    assert [f["check"] for f in by_id["findings"]] == ["NODE004"]
    by_name = body(await user_function(functions, "findings")(_get("findings", {"cluster": one.name})))
    assert by_name == by_id
    critical = body(
        await user_function(functions, "findings")(_get("findings", {"severity": "critical", "status": "new"}))
    )
    assert [f["clusterName"] for f in critical["findings"]] == [two.name]
    resolved = body(await user_function(functions, "findings")(_get("findings", {"status": "resolved"})))
    assert resolved["count"] == 0


async def test_timer_scans_a_small_fleet_inline(
    functions: dict[str, Any], sample: dict[str, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Twelve sample clusters <= FLEETDOC_INLINE_MAX_CLUSTERS: no queue, the timer scans the shards itself."""
    import logging

    from azure.functions.timer import TimerRequest

    from shared.runtime import open_storage

    monkeypatch.setenv("FLEETDOC_INLINE_MAX_CLUSTERS", str(len(sample["clusters"])))
    with caplog.at_level(logging.INFO):
        await user_function(functions, "scan_fleet")(TimerRequest(past_due=True))
    # every line the run logged carries its scan run id (Application Insights custom dimension)
    run_lines = [r for r in caplog.records if r.name.startswith(("functions", "shared"))]
    assert run_lines and {getattr(r, "scan_run_id", None) for r in run_lines} != {None}
    unstamped = [(r.name, r.getMessage()) for r in run_lines if getattr(r, "scan_run_id", None) is None]
    assert not unstamped
    async with open_storage() as storage:
        states = await storage.state.list_findings()
        (run_id,) = {s.changed_run for s in states}
        run = await storage.state.get_run(run_id)
        report = await storage.reports.read_report(run_id)
    assert run is not None and run.status == "published" and run.clusters == len(sample["clusters"])
    assert {f["fingerprint"] for f in report["findings"]} == {s.fingerprint for s in states}
    placed = {(p["check"], p["cluster"].lower()) for p in sample["scenarios"]}
    assert placed & {(s.check, s.cluster_key) for s in states}
