"""Render the one query per (workspace, table) that serves every check reading that table.

The query filters the table to the scan window and the workspace's clusters,
classifies rows into signatures server-side (`case()` over `has` terms, so Log
Analytics can use its term index), summarizes per cluster, signature and
subject, and adds a `_heartbeat` row per cluster so that "no rows" can be told
apart from "no data".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from string import Template

from shared.catalog.spec import Signature
from shared.kql import literals
from shared.kql.tables import HEARTBEAT, PROFILES

SAMPLES_PER_SUBJECT = 3


@dataclass(frozen=True)
class QualifiedSignature:
    check: str
    signature: Signature

    @property
    def name(self) -> str:
        return f"{self.check}.{self.signature.name}"


def term_condition(sig: Signature, text: str = "Text") -> str:
    """The KQL boolean for a signature's terms, regex and predicate (without `query`)."""
    parts = [f"{text} has {literals.string(t)}" for t in sig.all]
    if sig.any:
        parts.append("(" + " or ".join(f"{text} has {literals.string(t)}" for t in sig.any) + ")")
    parts.extend(f"not({text} has {literals.string(t)})" for t in sig.none)
    if sig.regex:
        parts.append(f"{text} matches regex {literals.verbatim_regex(sig.regex)}")
    if sig.where:
        parts.append(f"({sig.where})")
    return " and ".join(parts)


def _prefilter(signatures: Sequence[QualifiedSignature]) -> str | None:
    """A cheap necessary condition (term index friendly) shared by all classified signatures."""
    anchors: list[str] = []
    predicates: list[str] = []
    for q in signatures:
        sig = q.signature
        if sig.all:
            anchors.append(sig.all[0])
        elif sig.any:
            anchors.extend(sig.any)
        elif sig.where:
            predicates.append(f"({sig.where})")
    alternatives = []
    if anchors:
        unique = sorted(set(anchors), key=anchors.index)
        alternatives.append(f"Text has_any {literals.string_list(unique)}")
    alternatives.extend(predicates)
    return " or ".join(alternatives) if alternatives else None


def _specificity(q: QualifiedSignature) -> int:
    sig = q.signature
    return len(sig.all) + len(sig.none) + (1 if sig.any else 0) + (1 if sig.regex else 0) + (1 if sig.where else 0)


def render_table_query(
    table: str,
    cluster_ids: Sequence[str],
    start: datetime,
    end: datetime,
    signatures: Sequence[QualifiedSignature],
) -> str:
    profile = PROFILES[table]
    window = f"TimeGenerated between ({literals.datetime_literal(start)} .. {literals.datetime_literal(end)})"
    clusters = f"_ResourceId in~ {literals.string_list([literals.resource_id(c) for c in cluster_ids])}"
    summary = (
        f"summarize Count = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated), "
        f"Samples = make_set(Text, {SAMPLES_PER_SUBJECT}) by ResourceId = tolower(_ResourceId), Signature, Subject"
    )
    branches = [
        f"(base | summarize Count = count(), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) "
        f"by ResourceId = tolower(_ResourceId) "
        f'| extend Signature = "{HEARTBEAT}", Subject = "", Samples = dynamic([]))'
    ]

    classified = sorted((q for q in signatures if q.signature.query is None), key=_specificity, reverse=True)
    if classified:
        cases = ", ".join(f"{term_condition(q.signature)}, {literals.string(q.name)}" for q in classified)
        overrides = [q for q in classified if q.signature.subject]
        lines = [f"base | extend Text = {profile.text}, Subject = {profile.subject}"]
        prefilter = _prefilter(classified)
        if prefilter:
            lines.append(f"| where {prefilter}")
        lines.append(f'| extend Signature = case({cases}, "")')
        lines.append("| where isnotempty(Signature)")
        if overrides:
            subject_cases = ", ".join(
                f"Signature == {literals.string(q.name)}, {q.signature.subject}" for q in overrides
            )
            lines.append(f"| extend Subject = case({subject_cases}, Subject)")
        lines.append(f"| {summary}")
        if profile.snapshot:
            # Only the subject's latest state counts: a pod that failed and then ran again is healthy.
            lines.append(
                f"| join kind=inner (base | extend Subject = {profile.subject} "
                f"| summarize SubjectLatest = max(TimeGenerated) by ResourceId = tolower(_ResourceId), Subject) "
                f"on ResourceId, Subject"
            )
            lines.append("| where LastSeen >= SubjectLatest")
            lines.append("| project ResourceId, Signature, Subject, Count, FirstSeen, LastSeen, Samples")
        branches.append("(" + "\n    ".join(lines) + ")")

    for q in signatures:
        if q.signature.query is not None:
            body = Template(q.signature.query).substitute(
                window=window, clusters=clusters, signature=literals.string(q.name)
            )
            branches.append(
                f"(base\n    | {body.strip()}\n    | project ResourceId, Signature, Subject, Count, FirstSeen, LastSeen, Samples)"
            )

    header = f"let base = {table}\n| where {window}\n| where {clusters};\n"
    return header + "union\n" + ",\n".join(branches)
