"""Telemetry: OpenTelemetry logs and traces to Application Insights, with the scan run id on every log record.

`configure_telemetry()` is called once at start-up by the Functions app (and the CLI when
it runs in Azure). Code that runs a scan wraps it in `with scan_run_context(run_id):`;
every record logged inside, by any logger, carries `scan_run_id`, which the Azure Monitor
exporter sends as a custom dimension (customDimensions.scan_run_id / Properties in
AppTraces), so one KQL filter shows all lines of one run across shards and instances.

Do not pass `extra={"scan_run_id": ...}` inside a run: the record already has the
attribute and `logging` raises KeyError on the overwrite. Nest `scan_run_context` instead.
Work handed to a thread pool does not inherit the context: use
`contextvars.copy_context().run` (asyncio tasks and `asyncio.to_thread` copy it already).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

SCAN_RUN_ATTRIBUTE = "scan_run_id"
CONNECTION_STRING_SETTING = "APPLICATIONINSIGHTS_CONNECTION_STRING"

_scan_run_id: ContextVar[str | None] = ContextVar("fleetdoc_scan_run_id", default=None)
_lock = threading.Lock()
_azure_monitor_configured = False


def current_scan_run_id() -> str | None:
    """The scan run id of the current context, or None outside any scan."""
    return _scan_run_id.get()


@contextmanager
def scan_run_context(run_id: str) -> Iterator[str]:
    """Stamp `run_id` on every log record created in this context (thread or task)."""
    if not run_id:
        raise ValueError("scan run id must be a non-empty string")
    token = _scan_run_id.set(run_id)
    try:
        yield run_id
    finally:
        _scan_run_id.reset(token)


def _stamp(record: logging.LogRecord) -> None:
    run_id = _scan_run_id.get()
    if run_id is not None and getattr(record, SCAN_RUN_ATTRIBUTE, None) is None:
        setattr(record, SCAN_RUN_ATTRIBUTE, run_id)


class ScanRunFilter(logging.Filter):
    """Adds `scan_run_id` to records passing a handler or logger it is attached to."""

    def filter(self, record: logging.LogRecord) -> bool:
        _stamp(record)
        return True


def install_scan_run_stamp() -> None:
    """Stamp every record at creation, whatever logger or handler (ours, the Functions
    worker's, the exporter's) handles it. A filter on one handler would miss the others,
    and logger filters do not apply to records propagated from child loggers."""
    with _lock:
        previous: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()
        if getattr(previous, "_fleetdoc_scan_run", False):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _stamp(record)
            return record

        factory._fleetdoc_scan_run = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


def configure_telemetry(environ: Mapping[str, str] | None = None) -> bool:
    """Install the scan-run stamp and, when a connection string is set, the Azure Monitor
    OpenTelemetry distro. Idempotent. Returns whether Azure Monitor export is active.

    Ingestion authenticates with the identity named by APPLICATIONINSIGHTS_AUTHENTICATION_STRING
    (`ClientId=...;Authorization=AAD`), which the exporter reads itself; infra/ sets it.
    """
    global _azure_monitor_configured
    install_scan_run_stamp()
    env = os.environ if environ is None else environ
    connection_string = env.get(CONNECTION_STRING_SETTING, "").strip()
    if not connection_string:
        return False
    with _lock:
        if _azure_monitor_configured:
            return True
        # Imported lazily: the distro costs ~0.5 s and is useless without a destination.
        from azure.monitor.opentelemetry import configure_azure_monitor

        configure_azure_monitor(connection_string=connection_string, enable_live_metrics=False)
        _azure_monitor_configured = True
    return True
