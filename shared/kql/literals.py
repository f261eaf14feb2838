"""Validation and escaping of every value that reaches KQL text.

Nothing user-supplied is pasted into a query without passing through here.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

ARM_ID = re.compile(
    r"^/subscriptions/[0-9a-fA-F-]{36}/resourceGroups/[-\w._()]{1,90}"
    r"/providers/[A-Za-z0-9.]+/[A-Za-z0-9]+/[-\w._]{1,253}(?:/[A-Za-z0-9]+/[-\w._]{1,253})*$",
    re.IGNORECASE,  # ARM ids are case-insensitive; Azure itself returns `resourcegroups` at times
)
DURATION = re.compile(r"^(\d{1,5})(m|h|d)$")


class KqlValueError(ValueError):
    """A value that may not be put into a query."""


def string(value: str) -> str:
    """A Kusto string literal for `value`: quoted, backslashes and quotes escaped, no control characters."""
    if any(ord(ch) < 0x20 for ch in value):
        raise KqlValueError(f"control characters are not allowed in query values: {value!r}")
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def verbatim_regex(pattern: str) -> str:
    """A verbatim string literal (@"...") for a regular expression; quotes are doubled."""
    if any(ord(ch) < 0x20 for ch in pattern):
        raise KqlValueError("control characters are not allowed in a regex")
    return '@"' + pattern.replace('"', '""') + '"'


def resource_id(value: str) -> str:
    """Validate an ARM resource id and return it unchanged; raises with a clear message otherwise."""
    if not ARM_ID.match(value):
        raise KqlValueError(
            f"not an Azure resource id: {value!r} (expected /subscriptions/<guid>/resourceGroups/<rg>/providers/...)"
        )
    return value


def string_list(values: list[str] | tuple[str, ...]) -> str:
    if not values:
        raise KqlValueError("an empty list cannot be used in a query")
    return "(" + ", ".join(string(v) for v in values) + ")"


def datetime_literal(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise KqlValueError("query times must be timezone-aware")
    utc = moment.astimezone(UTC).replace(microsecond=0)
    return f"datetime({utc.strftime('%Y-%m-%dT%H:%M:%SZ')})"


def parse_duration(text: str) -> timedelta:
    """`30m`, `6h`, `7d` -> timedelta; at most 30 days (Log Analytics keeps 30 days by default)."""
    match = DURATION.match(text.strip())
    if not match:
        raise KqlValueError(f"invalid duration {text!r}: use a number followed by m, h or d, such as 30m, 24h or 7d")
    amount, unit = int(match.group(1)), match.group(2)
    delta = {"m": timedelta(minutes=amount), "h": timedelta(hours=amount), "d": timedelta(days=amount)}[unit]
    if delta <= timedelta(0) or delta > timedelta(days=30):
        raise KqlValueError(f"duration {text!r} must be more than 0 and at most 30d")
    return delta
