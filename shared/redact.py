"""Secrets out of evidence before it leaves the scan (state, reports, Teams, HTTP answers).

Log lines quote whatever a failing component printed: SAS URLs, connection
strings, bearer tokens, JWTs, passwords in command lines. Each pattern keeps the
name of the secret (so the line still explains the failure) and replaces its value.
"""

from __future__ import annotations

import re
from typing import Any

MASK = "[REDACTED]"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # JSON Web Tokens (three base64url parts, the first two starting with '{"' = eyJ).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), MASK),
    # Authorization headers: Bearer/Basic/SharedKey credentials.
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    (re.compile(r"(?i)\b(SharedKey(?:Lite)?\s+[\w-]+:)[A-Za-z0-9+/=]{8,}"), rf"\1{MASK}"),
    # Connection-string members and SAS query parameters carrying a signature or key.
    (
        re.compile(
            r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|sig|AccessKey|PrimaryKey|SecondaryKey|"
            r"InstrumentationKey|client_secret|ClientSecret|api[-_]?key|x-api-key|token|access_token|"
            r"refresh_token|id_token|password|passwd|pwd|secret)"
            r"(\s*[=:]\s*|\"\s*:\s*\"|%3D)(?!\[REDACTED\])([^\s;&\"',}]+)"
        ),
        rf"\1\2{MASK}",
    ),
    # Command-line flags: --password x, --client-secret x, -p x after a login verb.
    (
        re.compile(
            r"(?i)(--(?:password|client-secret|secret|token|sas-token|account-key|key)(?:\s+|=))(?!\[REDACTED\])(\S+)"
        ),
        rf"\1{MASK}",
    ),
    # Credentials in URLs: scheme://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^@\s/]+@"), rf"\1{MASK}@"),
    # Private keys pasted into logs.
    (
        re.compile(r"-----BEGIN ([A-Z ]*PRIVATE KEY)-----.*?-----END \1-----", re.DOTALL),
        f"-----BEGIN PRIVATE KEY-----{MASK}-----END PRIVATE KEY-----",
    ),
)


def redact_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, tuples); other values pass through."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(redact(v) for v in value)
    return value
