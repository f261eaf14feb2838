"""Every app setting fleetdoc reads: one source of truth for code, infra and docs.

The Functions app, the CLI and `infra/` all use these names; a test checks that
the Bicep app settings and `local.settings.json.example` list exactly these.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Setting:
    name: str
    default: str | None
    description: str
    secret: bool = False


SETTINGS: dict[str, Setting] = {
    s.name: s
    for s in (
        Setting(
            "FLEETDOC_SCAN_SCHEDULE",
            "0 */15 * * * *",
            "NCRONTAB schedule of the fleet scan timer (six fields, UTC).",
        ),
        Setting(
            "FLEETDOC_SCOPE_SUBSCRIPTIONS",
            "",
            "Comma-separated subscription ids to scan. Empty with no management group: every subscription the identity can read.",
        ),
        Setting(
            "FLEETDOC_SCOPE_MANAGEMENT_GROUP",
            "",
            "Management group id to scan (all its subscriptions). Takes precedence over FLEETDOC_SCOPE_SUBSCRIPTIONS.",
        ),
        Setting("FLEETDOC_LANGUAGE", "en", "Language of notifications and reports: en, zh-Hans, zh-Hant or de."),
        Setting("FLEETDOC_SINCE", "24h", "Look-back window of a scan when no watermark exists yet (e.g. 30m, 6h, 1d)."),
        Setting("FLEETDOC_SHARD_QUEUE", "fleetdoc-shards", "Storage queue that carries one message per scan shard."),
        Setting(
            "FLEETDOC_STATE_TABLE", "fleetdocstate", "Table storage table holding findings state, runs and watermarks."
        ),
        Setting(
            "FLEETDOC_REPORT_CONTAINER", "fleetdoc-reports", "Blob container receiving one JSON report per scan run."
        ),
        Setting(
            "FLEETDOC_INLINE_MAX_CLUSTERS",
            "25",
            "A fleet with at most this many clusters is scanned inline by the timer instead of fanned out over the queue.",
        ),
        Setting(
            "FLEETDOC_TEAMS_WEBHOOK_URL",
            "",
            "Teams Workflows webhook URL receiving the Adaptive Card of each run. Store as a Key Vault reference; empty disables Teams.",
            secret=True,
        ),
        Setting(
            "FLEETDOC_NOTIFY_MIN_SEVERITY",
            "medium",
            "Lowest severity posted to Teams: critical, high, medium, low or info.",
        ),
        Setting(
            "FLEETDOC_REMINDER_HOURS",
            "0",
            "Re-post open high and critical findings after this many hours; 0 turns reminders off.",
        ),
        Setting(
            "FLEETDOC_SOURCE",
            "auto",
            "Where clusters and logs come from: azure, local (a fleet folder), sample (the bundled sample fleet) or auto (azure when a scope is set, else sample).",
        ),
        Setting(
            "FLEETDOC_DATA", "", "Fleet folder read when FLEETDOC_SOURCE is local (layout in shared/sources/local.py)."
        ),
        Setting(
            "FLEETDOC_ARM_ENDPOINT",
            "https://management.azure.com",
            "Azure Resource Manager endpoint (Resource Graph, ARM reads, metrics); change for sovereign clouds.",
        ),
        Setting(
            "FLEETDOC_LOGS_ENDPOINT",
            "https://api.loganalytics.io",
            "Log Analytics query API endpoint; change for sovereign clouds.",
        ),
        Setting(
            "FLEETDOC_LOGS_AUDIENCE",
            "",
            "Token audience for the Log Analytics endpoint when it differs from the endpoint itself; empty = the endpoint.",
        ),
        Setting(
            "FLEETDOC_GRAPH_ENDPOINT",
            "https://graph.microsoft.com",
            "Microsoft Graph endpoint (ARC004/ARC014 facts); change for sovereign clouds.",
        ),
        Setting(
            "FLEETDOC_AZURE_TIMEOUT",
            "60",
            "Seconds each Azure call (Resource Graph, ARM, Log Analytics, metrics, Graph) may take before it counts as timed out.",
        ),
        Setting(
            "FLEETDOC_CA_BUNDLE",
            "",
            "PEM CA bundle the Azure clients trust instead of the system store (TLS-inspecting proxies, tests); empty = system store.",
        ),
        Setting(
            "AZURE_CLIENT_ID",
            "",
            "Client id of the user-assigned managed identity that DefaultAzureCredential should use.",
        ),
        Setting(
            "AZURE_AUTHORITY_HOST",
            "",
            "Entra ID authority for sovereign clouds; empty means the public cloud.",
        ),
    )
}


def get_setting(name: str, environ: dict[str, str] | None = None) -> str:
    """Value of a registered setting from the environment, or its default."""
    setting = SETTINGS[name]  # KeyError for an unregistered name is a programming error
    env = os.environ if environ is None else environ
    value = env.get(name)
    if value is None or value == "":
        return setting.default or ""
    return value
