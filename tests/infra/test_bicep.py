"""Offline checks of infra/: least-privilege role assignments, no storage keys, HTTPS and
TLS 1.2 only, no FTP, the managed identity everywhere, and app settings that match
shared/settings.py. No Bicep compiler exists here, so these read pycep-parser's JSON."""

from __future__ import annotations

import json
import re

import pytest
import yaml
from bicep_model import (
    INFRA,
    REPO,
    bicep_files,
    decorators,
    guids_in,
    module,
    parameters,
    parsed,
    ref,
    resources,
    resources_of_type,
    strings,
    target_scope,
    variables,
)

from shared.catalog.spec import LANGUAGES
from shared.model import Severity
from shared.settings import SETTINGS

READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
MONITORING_READER = "43d0d8ad-25c7-4714-9337-8ba259a9fe05"
LOG_ANALYTICS_READER = "73c42c96-874c-492b-b04d-ab87d138a893"
BLOB_DATA_OWNER = "b7e6dc6d-f1e8-4753-8033-0f276bb0955b"
QUEUE_DATA_CONTRIBUTOR = "974c5e8b-45b9-4653-ba55-5f855dd0fb88"
TABLE_DATA_CONTRIBUTOR = "0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3"
KEY_VAULT_SECRETS_USER = "4633458b-17de-408a-b874-0445c86b69e6"
MONITORING_METRICS_PUBLISHER = "3913510d-42f4-4e42-8a64-420c390055eb"
SCAN_ROLES = {READER, MONITORING_READER, LOG_ANALYTICS_READER}

# Settings the Functions host reads itself; every other app setting is one of ours.
HOST_SETTINGS = {
    "AzureWebJobsStorage__accountName",
    "AzureWebJobsStorage__credential",
    "AzureWebJobsStorage__clientId",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING",
}

# main.bicep parameter -> the setting it feeds; their defaults must agree.
PARAM_SETTING = {
    "scanSchedule": "FLEETDOC_SCAN_SCHEDULE",
    "scopeSubscriptions": "FLEETDOC_SCOPE_SUBSCRIPTIONS",
    "scopeManagementGroup": "FLEETDOC_SCOPE_MANAGEMENT_GROUP",
    "language": "FLEETDOC_LANGUAGE",
    "since": "FLEETDOC_SINCE",
    "inlineMaxClusters": "FLEETDOC_INLINE_MAX_CLUSTERS",
    "notifyMinSeverity": "FLEETDOC_NOTIFY_MIN_SEVERITY",
    "reminderHours": "FLEETDOC_REMINDER_HOURS",
    "teamsWebhookUrl": "FLEETDOC_TEAMS_WEBHOOK_URL",
    "logsEndpoint": "FLEETDOC_LOGS_ENDPOINT",
    "logsAudience": "FLEETDOC_LOGS_AUDIENCE",
    "graphEndpoint": "FLEETDOC_GRAPH_ENDPOINT",
}
VAR_SETTING = {
    "shardQueueName": "FLEETDOC_SHARD_QUEUE",
    "stateTableName": "FLEETDOC_STATE_TABLE",
    "reportContainerName": "FLEETDOC_REPORT_CONTAINER",
}


def _role_assignments() -> set[tuple[str, str, str | None]]:
    found = set()
    for ra in resources_of_type("Microsoft.Authorization/roleAssignments"):
        props = ra.config["properties"]
        roles = guids_in(props["roleDefinitionId"], ra.file)
        assert len(roles) == 1, f"{ra.file}:{ra.symbol} must name exactly one role definition: {roles}"
        assert props["principalId"] == "principalId", f"{ra.file}:{ra.symbol} must grant the app identity"
        assert props["principalType"] == "ServicePrincipal"
        assert roles <= guids_in(ra.config["name"], ra.file), "assignment name must be derived from the role"
        found.add((ra.file, roles.pop(), ra.config.get("scope")))
    return found


def test_every_bicep_file_parses() -> None:
    assert {str(p.relative_to(INFRA)) for p in bicep_files()} == set(parsed())
    assert {"main.bicep", "mg-roles.bicep", "modules/storage.bicep"} <= set(parsed())


def test_role_assignments_are_exactly_the_least_privilege_set() -> None:
    assert _role_assignments() == {
        ("modules/scan-reader-roles.bicep", READER, None),
        ("modules/scan-reader-roles.bicep", MONITORING_READER, None),
        ("modules/scan-reader-roles.bicep", LOG_ANALYTICS_READER, None),
        ("mg-roles.bicep", READER, None),
        ("mg-roles.bicep", MONITORING_READER, None),
        ("mg-roles.bicep", LOG_ANALYTICS_READER, None),
        ("modules/storage.bicep", BLOB_DATA_OWNER, "storage"),
        ("modules/storage.bicep", QUEUE_DATA_CONTRIBUTOR, "storage"),
        ("modules/storage.bicep", TABLE_DATA_CONTRIBUTOR, "storage"),
        ("modules/keyvault.bicep", KEY_VAULT_SECRETS_USER, "vault"),
        ("modules/monitoring.bicep", MONITORING_METRICS_PUBLISHER, "appInsights"),
    }


@pytest.mark.parametrize(
    ("file", "symbol", "type_"),
    [
        ("modules/storage.bicep", "storage", "Microsoft.Storage/storageAccounts"),
        ("modules/keyvault.bicep", "vault", "Microsoft.KeyVault/vaults"),
        ("modules/monitoring.bicep", "appInsights", "Microsoft.Insights/components"),
    ],
)
def test_resource_scoped_roles_target_the_apps_own_resource(file: str, symbol: str, type_: str) -> None:
    (res,) = [r for r in resources(file) if r.symbol == symbol]
    assert res.type == type_ and res.condition is None and res.loop is None


def test_scan_roles_are_granted_at_subscription_or_management_group_scope() -> None:
    assert target_scope("main.bicep") == "subscription"
    assert target_scope("modules/scan-reader-roles.bicep") == "subscription"
    assert target_scope("mg-roles.bicep") == "managementGroup"
    decl, body, loop = module("main.bicep", "scanReaderRoles")
    assert decl["detail"]["path"] == "modules/scan-reader-roles.bicep"
    assert loop["type"] == "array" and loop["detail"]["array_name"] == "readerSubscriptions"
    assert body["scope"] == {
        "function": {"type": "subscription", "parameters": {"subscription_id": loop["detail"]["item_name"]}}
    }
    assert ref(body["params"]["principalId"]) == "identity.outputs.principalId"
    # A management group is granted by the separate mg-roles.bicep deployment, never by main.
    assert all(m["detail"]["path"] != "mg-roles.bicep" for m in parsed()["main.bicep"]["modules"].values())


def test_storage_accepts_only_entra_id_over_https_tls12() -> None:
    (account,) = resources_of_type("Microsoft.Storage/storageAccounts")
    props = account.config["properties"]
    assert props["allowSharedKeyAccess"] is False
    assert props["allowBlobPublicAccess"] is False
    assert props["supportsHttpsTrafficOnly"] is True
    assert props["minimumTlsVersion"] == "TLS1_2"
    assert props["defaultToOAuthAuthentication"] is True
    for container in resources_of_type("Microsoft.Storage/storageAccounts/blobServices/containers"):
        assert container.config["properties"]["publicAccess"] == "None"


def test_no_storage_keys_or_connection_strings_anywhere() -> None:
    for path in [*bicep_files(), INFRA / "main.parameters.json"]:
        text = path.read_text().lower()
        for needle in (
            "listkeys",
            "accountkey",
            "primarykey",
            "listaccountsas",
            "listservicesas",
            "sharedaccesssignature",
        ):
            assert needle not in text, f"{path.name} mentions {needle}"
    assert not [s for s in strings(parsed()) if "DefaultEndpointsProtocol" in s]


def _site() -> dict:
    (site,) = resources_of_type("Microsoft.Web/sites")
    return site.config


def test_function_app_is_flex_consumption_python_311() -> None:
    (plan,) = resources_of_type("Microsoft.Web/serverfarms")
    assert plan.config["sku"] == {"tier": "FlexConsumption", "name": "FC1"}
    site = _site()
    assert site["kind"] == "functionapp,linux"
    runtime = site["properties"]["functionAppConfig"]["runtime"]
    params = parameters("modules/functionapp.bicep")
    assert runtime["name"] == "python"
    assert runtime["version"] == "pythonVersion" and params["pythonVersion"]["default"] == "3.11"


def test_function_app_https_tls12_and_no_ftp_or_basic_auth() -> None:
    site = _site()["properties"]
    assert site["httpsOnly"] is True
    assert site["siteConfig"]["minTlsVersion"] == "1.2"
    assert site["siteConfig"]["scmMinTlsVersion"] == "1.2"
    assert site["siteConfig"]["ftpsState"] == "Disabled"
    policies = {
        r.config["name"]: r.config["properties"]["allow"]
        for r in resources_of_type("Microsoft.Web/sites/basicPublishingCredentialsPolicies")
    }
    assert policies == {"ftp": False, "scm": False}


def test_function_app_uses_only_the_user_assigned_identity() -> None:
    site = _site()
    assert site["identity"]["type"] == "UserAssigned"
    assert list(site["identity"]["userAssignedIdentities"]) == ["'${identityId}'"]
    assert site["properties"]["keyVaultReferenceIdentity"] == "identityId"
    auth = site["properties"]["functionAppConfig"]["deployment"]["storage"]["authentication"]
    assert auth == {"type": "UserAssignedIdentity", "userAssignedIdentityResourceId": "identityId"}
    settings = _app_settings()
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AzureWebJobsStorage__clientId"] == "identityClientId"
    assert settings["AZURE_CLIENT_ID"] == "identityClientId"
    assert settings["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"] == "ClientId=${identityClientId};Authorization=AAD"
    _, body, _ = module("main.bicep", "functionApp")
    assert ref(body["params"]["identityId"]) == "identity.outputs.id"
    assert ref(body["params"]["identityClientId"]) == "identity.outputs.clientId"


def _app_settings() -> dict[str, object]:
    entries = _site()["properties"]["siteConfig"]["appSettings"]
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names)), "duplicate app setting"
    return {e["name"]: e["value"] for e in entries}


def test_app_settings_are_exactly_the_settings_the_code_reads() -> None:
    names = set(_app_settings())
    assert names - HOST_SETTINGS == set(SETTINGS)
    assert names >= HOST_SETTINGS
    # Flex Consumption rejects these; the runtime lives in functionAppConfig.
    assert not {"FUNCTIONS_WORKER_RUNTIME", "FUNCTIONS_EXTENSION_VERSION", "AzureWebJobsStorage"} & names


def test_every_functionapp_parameter_is_passed_by_main() -> None:
    required = {n for n, p in parameters("modules/functionapp.bicep").items() if "default" not in p}
    _, body, _ = module("main.bicep", "functionApp")
    assert required <= set(body["params"])


def test_main_defaults_match_the_settings_registry() -> None:
    params = parameters("main.bicep")
    for param, setting in PARAM_SETTING.items():
        assert str(params[param]["default"]) == SETTINGS[setting].default, param
    names = variables("main.bicep")
    for var, setting in VAR_SETTING.items():
        assert names[var] == SETTINGS[setting].default, var


def test_teams_webhook_is_a_key_vault_reference_never_a_plain_setting() -> None:
    for file in ("main.bicep", "modules/keyvault.bicep"):
        assert "secure" in decorators(parameters(file)["teamsWebhookUrl"]), file
    value = _app_settings()["FLEETDOC_TEAMS_WEBHOOK_URL"]
    assert "@Microsoft.KeyVault(SecretUri=${teamsWebhookSecretUri})" in set(strings(value))
    assert "teamsWebhookUrl" not in set(strings(_site())), "the URL itself must not reach the site"
    _, body, _ = module("main.bicep", "functionApp")
    assert ref(body["params"]["teamsWebhookSecretUri"]) == "keyVault.outputs.teamsWebhookSecretUri"
    (secret,) = resources_of_type("Microsoft.KeyVault/vaults/secrets")
    assert secret.config["properties"]["value"] == "teamsWebhookUrl"
    assert secret.config["properties"]["contentType"]


def test_key_vault_is_rbac_only_and_recoverable() -> None:
    (vault,) = resources_of_type("Microsoft.KeyVault/vaults")
    props = vault.config["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert "accessPolicies" not in props
    assert parameters("modules/keyvault.bicep")["enablePurgeProtection"]["default"] is True
    assert parameters("main.bicep")["enableKeyVaultPurgeProtection"]["default"] is True


def test_application_insights_is_workspace_based_with_local_auth_disabled() -> None:
    (component,) = resources_of_type("Microsoft.Insights/components")
    props = component.config["properties"]
    assert props["DisableLocalAuth"] is True
    assert ref(props["WorkspaceResourceId"]) == "workspace.id"
    (workspace,) = resources_of_type("Microsoft.OperationalInsights/workspaces")
    assert workspace.config["properties"]["features"]["disableLocalAuth"] is True


def test_api_versions_are_pinned_stable_ones() -> None:
    for res in resources():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", res.api_version), f"{res.file}:{res.symbol} {res.api_version}"


def test_every_checkov_skip_is_justified() -> None:
    skips = 0
    for path in bicep_files():
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                skips += 1
                assert re.search(r"//\s*checkov:skip=CKV2?_[A-Z]+_\d+:\s*\S.{30,}", line), (
                    f"{path.name}: {line.strip()}"
                )
    assert skips > 0


def test_azd_project_and_parameters() -> None:
    project = yaml.safe_load((REPO / "azure.yaml").read_text())
    assert project["infra"] == {"provider": "bicep", "path": "infra", "module": "main"}
    assert project["services"]["api"] == {"project": ".", "language": "python", "host": "function"}
    mapped = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    params = parameters("main.bicep")
    assert set(mapped) <= set(params)
    required = {n for n, p in params.items() if "default" not in p}
    assert required <= set(mapped)
    assert mapped["teamsWebhookUrl"]["value"] == "${FLEETDOC_TEAMS_WEBHOOK_URL=}"


def test_allowed_values_match_the_code() -> None:
    params = parameters("main.bicep")
    assert decorators(params["language"])["allowed"] == list(LANGUAGES)
    assert set(decorators(params["notifyMinSeverity"])["allowed"]) == {s.value for s in Severity}


@pytest.mark.parametrize(("symbol", "max_length"), [("storage", 24), ("keyVault", 24), ("functionApp", 60)])
def test_generated_names_fit_azure_limits(symbol: str, max_length: int) -> None:
    # uniqueString() yields 13 characters.
    _, body, _ = module("main.bicep", symbol)
    name = variables("main.bicep").get(body["params"]["name"], body["params"]["name"])
    assert isinstance(name, str) and name.count("${resourceToken}") == 1, name
    assert len(name.replace("${resourceToken}", "x" * 13)) <= max_length
