"""A local fake of the Azure APIs fleetdoc calls, over HTTPS on 127.0.0.1 (see server.py)."""

from tests.fakeazure.credential import StaticCredential
from tests.fakeazure.server import FakeAzure, Fault

__all__ = ["FakeAzure", "Fault", "StaticCredential"]
