"""Explain pasted error text: rank the catalog's signatures that match it.

The same signatures that classify log rows in KQL match the text here, with
Kusto `has` semantics, so `explain` and the scans never disagree on a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.catalog import Catalog, Check, load_catalog
from shared.catalog.matching import matched_terms, matches
from shared.catalog.spec import LANGUAGES, Signature
from shared.engine.texts import render

MAX_TEXT = 64 * 1024


class ExplainInputError(ValueError):
    """The text cannot be explained (empty, too long, unknown language)."""


@dataclass(frozen=True)
class Match:
    check: Check
    signature: Signature
    score: float
    terms: tuple[str, ...]
    lang: str

    def to_json(self) -> dict[str, Any]:
        texts = self.check.texts(self.lang)
        return {
            "check": self.check.id,
            "severity": self.check.severity.value,
            "title": render(texts.title, {}),
            "cause": render(texts.cause, {}),
            "remediation": [render(step, {}) for step in texts.remediation],
            "docs": self.check.spec.docs,
            "signature": self.signature.name,
            "matched": list(self.terms),
            "score": self.score,
        }


def _specificity(sig: Signature) -> float:
    """More required evidence, more confidence: all-terms count fully, an any-group and a regex once each."""
    return len(sig.all) + (1.0 if sig.any else 0.0) + (1.0 if sig.regex else 0.0) + 0.5 * len(sig.none)


def explain(text: str, lang: str = "en", catalog: Catalog | None = None) -> list[Match]:
    if lang not in LANGUAGES:
        raise ExplainInputError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    if not text or not text.strip():
        raise ExplainInputError("nothing to explain: the text is empty")
    if len(text) > MAX_TEXT:
        raise ExplainInputError(f"text too long ({len(text)} characters, at most {MAX_TEXT})")
    catalog = catalog or load_catalog()
    best: dict[str, Match] = {}
    for check in catalog:
        for sig in check.spec.signatures:
            if not sig.explain or not sig.has_terms or not matches(sig, text):
                continue
            spec = _specificity(sig)
            score = round(spec / (spec + 1.0), 3)  # 1 term: 0.5, 3 terms: 0.75, ...
            found = Match(check, sig, score, tuple(matched_terms(sig, text)), lang)
            if check.id not in best or best[check.id].score < score:
                best[check.id] = found
    return sorted(best.values(), key=lambda m: (-m.score, -m.check.severity.rank, m.check.id))
