"""How one run's findings and coverage move the state of each fingerprint. Pure: no I/O, no clock.

- detected, unknown before          -> new
- detected, resolved before         -> new again (it came back; notified again)
- detected, new or open before      -> open (count + 1)
- not detected, new or open before  -> resolved only if its check ran conclusively for that cluster
  (coverage ok, or finding for other subjects); inconclusive, not applicable or not scanned -> unchanged
- a row already written by this run -> unchanged, so a retried shard cannot turn "new" into "open"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime

from shared.model import Coverage, CoverageStatus, Finding
from shared.state.model import FindingState, Status, bounded_detail

CONCLUSIVE = frozenset({CoverageStatus.OK, CoverageStatus.FINDING})


@dataclass(frozen=True)
class Transition:
    states: list[FindingState]  # rows to write (changed or refreshed)
    new: list[FindingState]
    resolved: list[FindingState]
    still_open: list[FindingState]


def apply_run(
    previous: Mapping[str, FindingState],
    findings: Iterable[Finding],
    coverage: Iterable[Coverage],
    run_id: str,
    now: datetime,
) -> Transition:
    """`previous` holds the stored rows of the scanned clusters, by fingerprint."""
    conclusive = {(c.cluster.lower(), c.check) for c in coverage if c.status in CONCLUSIVE}
    detected: dict[str, Finding] = {}
    for finding in findings:
        detected.setdefault(finding.fingerprint, finding)  # a fingerprint counts once per run

    states: list[FindingState] = []
    new: list[FindingState] = []
    resolved: list[FindingState] = []
    still_open: list[FindingState] = []
    for fp, finding in detected.items():
        before = previous.get(fp)
        if before is not None and before.updated_run == run_id:
            continue
        if before is None or before.status is Status.RESOLVED:
            state = FindingState(
                fingerprint=fp,
                check=finding.check,
                severity=finding.severity,
                cluster=finding.cluster,
                cluster_name=finding.cluster_name,
                subject=finding.subject,
                status=Status.NEW,
                first_seen=now,
                last_seen=now,
                count=(before.count if before else 0) + 1,
                updated_run=run_id,
                changed_run=run_id,
                detail=bounded_detail(finding),
            )
            new.append(state)
        else:
            state = replace(
                before,
                severity=finding.severity,
                cluster_name=finding.cluster_name,
                status=Status.OPEN,
                last_seen=now,
                count=before.count + 1,
                updated_run=run_id,
                detail=bounded_detail(finding),
            )
            still_open.append(state)
        states.append(state)

    for fp, before in previous.items():
        if fp in detected or before.status is Status.RESOLVED or before.updated_run == run_id:
            continue
        if (before.cluster_key, before.check) not in conclusive:
            continue  # inconclusive or not scanned: nothing is known, keep it open
        state = replace(before, status=Status.RESOLVED, resolved_at=now, updated_run=run_id, changed_run=run_id)
        resolved.append(state)
        states.append(state)
    return Transition(states=states, new=new, resolved=resolved, still_open=still_open)
