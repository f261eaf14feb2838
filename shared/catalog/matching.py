"""Python twin of the KQL `has` matching, so one signature serves queries and `explain`.

Kusto's `has` matches whole terms: the phrase must not be glued to ASCII letters
or digits (Kusto's term characters) on either side, compared case-insensitively.
"""

from __future__ import annotations

import re
from functools import lru_cache

from shared.catalog.spec import Signature

_ALNUM = "[A-Za-z0-9]"


@lru_cache(maxsize=4096)
def _term_pattern(term: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!{_ALNUM}){re.escape(term)}(?!{_ALNUM})", re.IGNORECASE)


def has(text: str, term: str) -> bool:
    return _term_pattern(term).search(text) is not None


def matches(sig: Signature, text: str) -> bool:
    """Does free text match the signature's terms? (`where` and `query` are KQL-only and ignored.)"""
    if not sig.has_terms:
        return False
    if not all(has(text, t) for t in sig.all):
        return False
    if sig.any and not any(has(text, t) for t in sig.any):
        return False
    if any(has(text, t) for t in sig.none):
        return False
    return not (sig.regex and re.search(sig.regex, text) is None)


def matched_terms(sig: Signature, text: str) -> list[str]:
    return [t for t in (*sig.all, *sig.any) if has(text, t)]
