"""The runtime factory: which source, which storage endpoints."""

from __future__ import annotations

import pytest

from shared.runtime import DEV_STORAGE, ConfigError, StorageConfig, open_sources, sample_fleet_dir, source_kind


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({}, "sample"),
        ({"FLEETDOC_SOURCE": "auto", "FLEETDOC_SCOPE_SUBSCRIPTIONS": "3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2"}, "azure"),
        ({"FLEETDOC_SCOPE_MANAGEMENT_GROUP": "platform"}, "azure"),
        ({"FLEETDOC_SOURCE": "Local"}, "local"),
        ({"FLEETDOC_SOURCE": "azure"}, "azure"),
    ],
)
def test_source_kind(env: dict[str, str], kind: str) -> None:
    assert source_kind(env) == kind


def test_unknown_source_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="FLEETDOC_SOURCE"):
        source_kind({"FLEETDOC_SOURCE": "s3"})


async def test_local_needs_a_folder_and_reads_it() -> None:
    with pytest.raises(ConfigError, match="FLEETDOC_DATA"):
        async with open_sources({"FLEETDOC_SOURCE": "local"}):
            pass
    async with open_sources({"FLEETDOC_SOURCE": "local", "FLEETDOC_DATA": str(sample_fleet_dir())}) as sources:
        inventory = await sources.inventory.list_clusters()
    assert sources.name == "local" and inventory.clusters


def test_storage_from_a_connection_string_or_the_identity() -> None:
    assert (
        StorageConfig.from_env({"AzureWebJobsStorage": "UseDevelopmentStorage=true"}).connection_string == DEV_STORAGE
    )
    identity = StorageConfig.from_env(
        {"AzureWebJobsStorage__accountName": "stfleetdoc", "AzureWebJobsStorage__clientId": "1111"}
    )
    assert identity.connection_string is None and identity.client_id == "1111"
    assert identity.table_url == "https://stfleetdoc.table.core.windows.net"
    assert identity.queue_url == "https://stfleetdoc.queue.core.windows.net"
    with pytest.raises(ConfigError, match="AzureWebJobsStorage"):
        StorageConfig.from_env({})
