"""Fixtures for the Functions app: the indexed app, Azurite, a Teams webhook receiver and app settings."""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
AZURITE = ROOT / "node_modules" / ".bin" / "azurite"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


@pytest.fixture(scope="session")
def functions() -> dict[str, Any]:
    """The app indexed once (a second get_functions() on one app raises): name -> Function."""
    import function_app

    return {f.get_function_name(): f for f in function_app.app.get_functions()}


def user_function(functions: dict[str, Any], name: str) -> Any:
    """The undecorated coroutine the host would call."""
    return functions[name].get_user_function()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Azurite (blob, queue, table) on loopback with random ports; yields a connection string."""
    if not AZURITE.exists() or shutil.which("node") is None:
        pytest.fail("Azurite is missing: run `npm ci` in the repository root")
    ports = [_free_port() for _ in range(3)]
    location = tmp_path_factory.mktemp("azurite")
    args = [
        str(AZURITE),
        "--silent",
        "--skipApiVersionCheck",
        "--location",
        str(location),
        "--blobHost",
        "127.0.0.1",
        "--blobPort",
        str(ports[0]),
        "--queueHost",
        "127.0.0.1",
        "--queuePort",
        str(ports[1]),
        "--tableHost",
        "127.0.0.1",
        "--tablePort",
        str(ports[2]),
    ]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        for port in ports:
            _wait_port(port, deadline)
        base = "http://127.0.0.1:{}/devstoreaccount1"
        yield (
            f"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={base.format(ports[0])};QueueEndpoint={base.format(ports[1])};"
            f"TableEndpoint={base.format(ports[2])};"
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=2)
        except subprocess.TimeoutExpired:  # it waits for idle keep-alive connections; the data is throwaway
            proc.kill()
            proc.wait(timeout=10)


@dataclass
class Receiver:
    """A Teams Workflows webhook stand-in: records every POST, can fail the first N with 503."""

    url: str = ""
    ca_file: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    attempts: int = 0


@pytest.fixture(scope="session")
def webhook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Receiver]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder = tmp_path_factory.mktemp("webhook")
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    receiver = Receiver(ca_file=str(ca_file))

    async def handle(request: web.Request) -> web.Response:
        receiver.attempts += 1
        if receiver.fail_next > 0:
            receiver.fail_next -= 1
            return web.Response(status=503, text="try later")
        receiver.posts.append(await request.json())
        return web.Response(status=202)

    loop = asyncio.new_event_loop()
    app = web.Application()
    app.router.add_post("/workflows/fleetdoc", handle)
    runner = web.AppRunner(app)
    port = _free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port, ssl_context=server_ctx).start()

    loop.run_until_complete(start())
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    receiver.url = f"https://127.0.0.1:{port}/workflows/fleetdoc"
    try:
        yield receiver
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)


@pytest.fixture
def app_env(monkeypatch: pytest.MonkeyPatch, azurite: str, request: pytest.FixtureRequest) -> dict[str, str]:
    """App settings as the host would set them, each test with its own table, container and queue."""
    suffix = f"t{abs(hash(request.node.nodeid)) % 10**8}"
    env = {
        "AzureWebJobsStorage": azurite,
        "FLEETDOC_SOURCE": "sample",
        "FLEETDOC_STATE_TABLE": f"state{suffix}",
        "FLEETDOC_REPORT_CONTAINER": f"reports-{suffix}",
        "FLEETDOC_SHARD_QUEUE": f"shards-{suffix}",
        "FLEETDOC_TEAMS_WEBHOOK_URL": "",
        "FLEETDOC_LANGUAGE": "en",
    }
    for key in ("FLEETDOC_SCOPE_SUBSCRIPTIONS", "FLEETDOC_SCOPE_MANAGEMENT_GROUP", "FLEETDOC_DATA"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


def body(response: Any) -> Any:
    return json.loads(response.get_body())
