"""The app as the Functions host indexes it: triggers, settings, routes and auth levels."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

from shared.settings import SETTINGS
from tests.functions.conftest import ROOT


def _bindings(function: Any) -> list[dict[str, Any]]:
    return json.loads(function.get_function_json())["bindings"]


def _trigger(function: Any) -> dict[str, Any]:
    (trigger,) = [b for b in _bindings(function) if b["type"].endswith("Trigger")]
    return trigger


def test_every_function_is_registered(functions: dict[str, Any]) -> None:
    assert set(functions) == {
        "scan_fleet",
        "scan_shard",
        "diagnose",
        "explain",
        "findings",
        "checks",
        "health",
        "openapi",
    }
    for function in functions.values():
        assert inspect.iscoroutinefunction(function.get_user_function())


def test_timer_reads_its_schedule_from_a_setting(functions: dict[str, Any]) -> None:
    trigger = _trigger(functions["scan_fleet"])
    assert trigger["type"] == "timerTrigger"
    assert trigger["schedule"] == "%FLEETDOC_SCAN_SCHEDULE%"
    assert trigger["runOnStartup"] is False
    assert SETTINGS["FLEETDOC_SCAN_SCHEDULE"].default == "0 */15 * * * *"


def test_queue_trigger_reads_the_shard_queue_setting(functions: dict[str, Any]) -> None:
    trigger = _trigger(functions["scan_shard"])
    assert trigger["type"] == "queueTrigger"
    assert trigger["queueName"] == "%FLEETDOC_SHARD_QUEUE%"
    assert trigger["connection"] == "AzureWebJobsStorage"


def test_http_routes_methods_and_function_keys(functions: dict[str, Any]) -> None:
    expected = {
        "diagnose": ("clusters/{subscriptionId}/{resourceGroup}/{kind}/{name}/diagnosis", ["GET"]),
        "explain": ("explain", ["POST"]),
        "findings": ("findings", ["GET"]),
        "checks": ("checks", ["GET"]),
        "health": ("health", ["GET"]),
        "openapi": ("openapi.json", ["GET"]),
    }
    for name, (route, methods) in expected.items():
        trigger = _trigger(functions[name])
        assert trigger["type"] == "httpTrigger"
        assert (trigger["route"], trigger["methods"], trigger["authLevel"]) == (route, methods, "FUNCTION"), name
        assert {"type": "http", "direction": "OUT", "name": "$return"} in [
            {k: b[k] for k in ("type", "direction", "name")} for b in _bindings(functions[name])
        ]


def test_openapi_document_lists_every_route(functions: dict[str, Any]) -> None:
    doc = json.loads((ROOT / "functions" / "openapi.json").read_text("utf-8"))
    assert doc["openapi"].startswith("3.1")
    routes = {"/" + _trigger(f)["route"] for f in functions.values() if _trigger(f)["type"] == "httpTrigger"}
    assert set(doc["paths"]) == routes


def test_function_app_only_registers_blueprints() -> None:
    source = (ROOT / "function_app.py").read_text("utf-8")
    assert "def " not in source and "register_functions" in source


def test_local_settings_example_lists_every_setting() -> None:
    doc = json.loads((ROOT / "local.settings.json.example").read_text("utf-8"))
    host = {"AzureWebJobsStorage", "FUNCTIONS_WORKER_RUNTIME"}
    assert set(doc["Values"]) - host == set(SETTINGS)
    for name, setting in SETTINGS.items():
        assert doc["Values"][name] == (setting.default or ""), name


def test_host_json_bounds_queue_concurrency() -> None:
    host = json.loads(Path(ROOT / "host.json").read_text("utf-8"))
    queues = host["extensions"]["queues"]
    # One shard per instance at a time; a shard runs at most 5 queries (engine semaphore): see docs/functions.md.
    assert queues["batchSize"] + queues["newBatchThreshold"] == 1
    assert host["extensionBundle"]["version"].startswith("[4.")
    assert host["functionTimeout"] == "00:10:00"
