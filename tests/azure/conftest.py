"""A sample fleet, served by the fake Azure over HTTPS, and the same fleet read locally."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from shared.sample.fleet import generate
from shared.sources.azure import AzureConfig
from tests.fakeazure import FakeAzure, StaticCredential


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, str]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server)
    bundle = tmp_path_factory.mktemp("tls") / "ca.pem"
    ca.cert_pem.write_to_path(str(bundle))
    return server, str(bundle)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("fleet") / "fleet", clusters=12, rows=3_000)


@pytest.fixture(scope="session")
def fake_server(fleet: Path, tls: tuple[ssl.SSLContext, str]) -> Iterator[FakeAzure]:
    server = FakeAzure(fleet, tls[0]).start()
    yield server
    server.stop()


@pytest.fixture
def fake(fake_server: FakeAzure) -> Iterator[FakeAzure]:
    fake_server.reset()
    yield fake_server
    fake_server.reset()


def azure_config(server: FakeAzure, ca_bundle: str, **overrides: object) -> AzureConfig:
    """Every endpoint at the fake; fast retries so fault tests stay quick."""
    values: dict[str, object] = {
        "subscriptions": list(server.subscriptions),
        "arm_endpoint": server.url,
        "logs_endpoint": server.url,
        "graph_endpoint": server.url,
        "connection_verify": ca_bundle,
        "credential": StaticCredential(),
        "logs_audience": "https://api.loganalytics.io",
        "timeout": 120.0,
        "retries": 3,
        "backoff": 0.05,
    }
    values.update(overrides)
    return AzureConfig(**values)  # type: ignore[arg-type]


@pytest.fixture
def config(fake: FakeAzure, tls: tuple[ssl.SSLContext, str]) -> AzureConfig:
    return azure_config(fake, tls[1])
