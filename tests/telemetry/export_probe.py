"""Run in a fresh interpreter by test_telemetry.py: configures the real Azure Monitor
distro against a local capture endpoint and prints what the exporter sent as JSON.
(A subprocess because the OpenTelemetry providers are process-global and one-shot.)"""

from __future__ import annotations

import gzip
import json
import logging
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

received: list[dict] = []


class _Ingestion(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path.endswith("/track"):
            received.extend(json.loads(body))
        reply = json.dumps({"itemsReceived": 1, "itemsAccepted": 1, "errors": []}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: object) -> None:
        pass


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingestion)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    os.environ["APPLICATIONINSIGHTS_CONNECTION_STRING"] = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000001;"
        f"IngestionEndpoint=http://127.0.0.1:{server.server_port}/"
    )
    os.environ["APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL"] = "true"
    sys.path.insert(0, sys.argv[1])
    from opentelemetry._logs import get_logger_provider

    from shared.telemetry import configure_telemetry, scan_run_context

    first, second = configure_telemetry(), configure_telemetry()
    log = logging.getLogger("fleetdoc.probe")
    log.setLevel(logging.INFO)
    with scan_run_context("run-42"):
        log.warning("inside the run")
    log.warning("outside any run")
    get_logger_provider().force_flush()
    server.shutdown()
    handlers = [type(h).__name__ for h in logging.getLogger().handlers]
    print(json.dumps({"configured": [first, second], "root_handlers": handlers, "items": received}))


if __name__ == "__main__":
    main()
