"""shared.telemetry: the scan run id reaches every log record inside a run, and the real
Azure Monitor exporter sends it as a custom dimension."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.telemetry import (
    SCAN_RUN_ATTRIBUTE,
    ScanRunFilter,
    configure_telemetry,
    current_scan_run_id,
    install_scan_run_stamp,
    scan_run_context,
)

REPO = Path(__file__).resolve().parents[2]


class _ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, _ListHandler]]:
    install_scan_run_stamp()
    logger = logging.getLogger("fleetdoc.test.telemetry")
    logger.setLevel(logging.DEBUG)
    handler = _ListHandler()
    logger.addHandler(handler)
    yield logger, handler
    logger.removeHandler(handler)


def _ids(handler: _ListHandler) -> dict[str, str | None]:
    return {r.getMessage(): getattr(r, SCAN_RUN_ATTRIBUTE, None) for r in handler.records}


def test_records_inside_a_run_carry_its_id_and_outside_do_not(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured
    logger.info("before")
    with scan_run_context("run-1") as run_id:
        assert run_id == "run-1"
        assert current_scan_run_id() == "run-1"
        logger.info("inside")
        logging.getLogger("fleetdoc.test.telemetry.child").warning("child logger")
    logger.info("after")
    assert current_scan_run_id() is None
    assert _ids(handler) == {"before": None, "inside": "run-1", "child logger": "run-1", "after": None}
    assert not hasattr(handler.records[0], SCAN_RUN_ATTRIBUTE)


def test_nested_runs_restore_the_outer_id(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured
    with scan_run_context("outer"):
        with scan_run_context("inner"):
            logger.info("a")
        logger.info("b")
    assert _ids(handler) == {"a": "inner", "b": "outer"}


def test_an_explicit_extra_outside_a_run_is_kept(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured
    logger.info("explicit", extra={SCAN_RUN_ATTRIBUTE: "given"})
    assert _ids(handler) == {"explicit": "given"}


def test_to_thread_inherits_the_run(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured

    async def run() -> None:
        with scan_run_context("run-t"):
            await asyncio.to_thread(logger.info, "in a worker thread")

    asyncio.run(run())
    assert _ids(handler) == {"in a worker thread": "run-t"}


def test_concurrent_tasks_keep_their_own_run_ids(captured: tuple[logging.Logger, _ListHandler]) -> None:
    logger, handler = captured

    async def shard(run_id: str) -> None:
        with scan_run_context(run_id):
            await asyncio.sleep(0)  # interleave with the other task
            logger.info(f"shard of {run_id}")

    async def both() -> None:
        await asyncio.gather(shard("run-a"), shard("run-b"))

    asyncio.run(both())
    assert _ids(handler) == {"shard of run-a": "run-a", "shard of run-b": "run-b"}


def test_filter_stamps_records_created_before_the_factory_was_installed() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "m", None, None)
    if hasattr(record, SCAN_RUN_ATTRIBUTE):  # the factory is not used by direct construction
        delattr(record, SCAN_RUN_ATTRIBUTE)
    with scan_run_context("run-f"):
        assert ScanRunFilter().filter(record) is True
    assert getattr(record, SCAN_RUN_ATTRIBUTE) == "run-f"


def test_install_is_idempotent() -> None:
    install_scan_run_stamp()
    factory = logging.getLogRecordFactory()
    install_scan_run_stamp()
    assert logging.getLogRecordFactory() is factory


def test_empty_run_id_is_rejected() -> None:
    with pytest.raises(ValueError), scan_run_context(""):
        pass


def test_without_connection_string_azure_monitor_stays_off() -> None:
    assert configure_telemetry({}) is False
    assert configure_telemetry({"APPLICATIONINSIGHTS_CONNECTION_STRING": "  "}) is False
    assert not any("opentelemetry" in type(h).__module__ for h in logging.getLogger().handlers)


def test_exporter_sends_scan_run_id_as_custom_dimension() -> None:
    result = subprocess.run(
        [sys.executable, str(Path(__file__).with_name("export_probe.py")), str(REPO)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["configured"] == [True, True]
    # Idempotent: one OpenTelemetry handler on the root logger, each line exported once.
    assert report["root_handlers"].count("LoggingHandler") == 1
    messages = {
        item["data"]["baseData"]["message"]: item["data"]["baseData"]["properties"]
        for item in report["items"]
        if item["data"]["baseType"] == "MessageData"
    }
    assert sum(item["data"]["baseData"].get("message") == "inside the run" for item in report["items"]) == 1
    assert messages["inside the run"]["scan_run_id"] == "run-42"
    assert "scan_run_id" not in messages["outside any run"]
