"""Secrets in evidence are masked; the rest of the line, which explains the failure, is kept."""

from __future__ import annotations

import pytest

from shared.redact import MASK, redact, redact_text

JWT = (
    "eyJhbGciOiJSUzI1NiIsImtpZCI6IjFmN2YifQ.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIiwib2lkIjoiMTIzIn0"
    ".c2lnbmF0dXJlLWJ5dGVzLWhlcmUtYW5kLW1vcmU"
)
ACCOUNT_KEY = "q3K8vLx0Zz2mR9tW1yB4nE6hJ7pS5dF0gH2kL4zX8cV1bN3mQ5wE7rT9yU1iO3pA5sD7fG9hJ1kL3zX5cV7bNw=="
CASES = [
    (
        "failed to pull chart: GET https://acr.blob.core.windows.net/c/chart.tgz?sv=2022-11-02&se=2026-11-21T10%3A00%3A00Z&sr=b&sp=r&sig=Xy7%2Bab12cdEFgh34ijKLmn56opQRst78uvWX%3D 403",
        ["Xy7%2Bab12cdEFgh34ijKLmn56opQRst78uvWX%3D"],
        ["sv=2022-11-02", "sig=" + MASK, "403"],
    ),
    (
        f"DefaultEndpointsProtocol=https;AccountName=stfleet;AccountKey={ACCOUNT_KEY};EndpointSuffix=core.windows.net",
        [ACCOUNT_KEY],
        ["AccountName=stfleet", "AccountKey=" + MASK],
    ),
    (
        "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=k9Jx2Lm4Np6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6K=",
        ["k9Jx2Lm4Np6Qr8St0Uv2Wx4Yz6Ab8Cd0Ef2Gh4Ij6K="],
        ["SharedAccessKeyName=RootManageSharedAccessKey", "SharedAccessKey=" + MASK],
    ),
    (
        f'level=error msg="token refresh failed" authorization="Bearer {JWT}"',
        [JWT, "eyJhdWQi"],
        ["Bearer", "token refresh failed"],
    ),
    (f"clusterconnect-agent: using token {JWT} for kube-aad-proxy", [JWT], ["kube-aad-proxy"]),
    (
        "Authorization: Bearer 0.AXoAk3ZpQ2kR7Pp-longopaqueaccesstoken_value",
        ["0.AXoAk3ZpQ2kR7Pp-longopaqueaccesstoken_value"],
        ["Authorization: Bearer " + MASK],
    ),
    ("helm install --set secret.password=Sup3rS3cret! --namespace arc", ["Sup3rS3cret!"], ["--namespace arc"]),
    ("az login --service-principal -u 1111 --password 'p@ssw0rd-value' --tenant t", ["p@ssw0rd-value"], ["--tenant t"]),
    (
        '{"client_secret": "8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789", "client_id": "1111"}',
        ["8Q~abcDEFghiJKLmnoPQRstuVWXyz0123456789"],
        ['"client_id": "1111"'],
    ),
    (
        "proxy https://svc:hunter2hunter2@proxy.contoso.com:3128 refused",
        ["hunter2hunter2"],
        ["proxy.contoso.com:3128 refused"],
    ),
    (
        "InstrumentationKey=00000000-1111-2222-3333-444444444444;IngestionEndpoint=https://x",
        ["00000000-1111-2222-3333-444444444444"],
        ["IngestionEndpoint=https://x"],
    ),
]


@pytest.mark.parametrize(("line", "secrets", "kept"), CASES)
def test_secrets_are_masked_and_context_kept(line: str, secrets: list[str], kept: list[str]) -> None:
    out = redact_text(line)
    for secret in secrets:
        assert secret not in out
    for text in kept:
        assert text in out
    assert redact_text(out) == out  # idempotent: reports that are re-redacted do not change


def test_ordinary_log_lines_pass_unchanged() -> None:
    lines = [
        "openvpn: TLS Error: TLS key negotiation failed to occur within 60 seconds (check your network connectivity)",
        "E1121 10:00:00 kubelet.go:2855] Container runtime network not ready: cni plugin not initialized",
        "Failed to pull image mcr.microsoft.com/azuremonitor/containerinsights/ciprod:3.1.22: 429 Too Many Requests",
        "extension provisioning failed: timed out waiting for the condition (token bucket exhausted)",
    ]
    for line in lines:
        assert redact_text(line) == line


def test_redact_walks_evidence_structures() -> None:
    evidence = [
        {
            "signature": "x",
            "count": 3,
            "samples": [f"sig=abcdefgh12345678 {JWT}", "plain"],
            "nested": {"t": (f"AccountKey={ACCOUNT_KEY}",)},
        }
    ]
    out = redact(evidence)
    assert out[0]["count"] == 3 and out[0]["samples"][1] == "plain"
    assert JWT not in str(out) and ACCOUNT_KEY not in str(out) and "abcdefgh12345678" not in str(out)
    assert isinstance(out[0]["nested"]["t"], tuple)
