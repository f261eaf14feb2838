"""The per-run state transition: new, open, resolved only on conclusive coverage, idempotent per run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.model import Coverage, CoverageStatus, Finding, Severity
from shared.state import FindingState, Status, apply_run

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
CLUSTERS = [
    f"/subscriptions/3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2/resourceGroups/rg/providers/Microsoft.ContainerService/managedClusters/aks-{i}"
    for i in range(3)
]
CHECKS = ["NODE004", "EXT001", "MON002"]
SUBJECTS = ["kube-system/a", "kube-system/b", ""]


def finding(check: str, cluster: str, subject: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(
        check=check,
        severity=severity,
        cluster=cluster,
        cluster_name=cluster.rsplit("/", 1)[-1],
        subject=subject,
        title=f"{check} title",
        cause="a cause long enough",
        remediation=["step one"],
        docs="https://learn.microsoft.com/x",
        evidence=[{"samples": ["line"]}],
        first_seen=None,
        last_seen=None,
        count=3,
    )


def cov(cluster: str, check: str, status: CoverageStatus) -> Coverage:
    return Coverage(cluster, check, status)


def run(
    previous: dict[str, FindingState], findings: list[Finding], coverage: list[Coverage], run_id: str, at: datetime
):
    result = apply_run(previous, findings, coverage, run_id, at)
    merged = {**previous, **{s.fingerprint: s for s in result.states}}
    return result, merged


def test_first_detection_is_new_then_open() -> None:
    f = finding("NODE004", CLUSTERS[0], "kube-system/a")
    coverage = [cov(CLUSTERS[0], "NODE004", CoverageStatus.FINDING)]
    first, state = run({}, [f], coverage, "r1", T0)
    (new,) = first.new
    assert (new.status, new.count, new.first_seen, new.changed_run) == (Status.NEW, 1, T0, "r1")
    second, state = run(state, [f], coverage, "r2", T0 + timedelta(minutes=15))
    (still,) = second.still_open
    assert (still.status, still.count, still.first_seen, still.last_seen) == (
        Status.OPEN,
        2,
        T0,
        T0 + timedelta(minutes=15),
    )
    assert still.changed_run == "r1" and not second.new and not second.resolved


def test_resolved_only_when_the_check_ran_conclusively_for_that_cluster() -> None:
    f = finding("NODE004", CLUSTERS[0], "kube-system/a")
    _, state = run({}, [f], [cov(CLUSTERS[0], "NODE004", CoverageStatus.FINDING)], "r1", T0)
    for status in (CoverageStatus.INCONCLUSIVE, CoverageStatus.NOT_APPLICABLE):
        kept, _ = run(state, [], [cov(CLUSTERS[0], "NODE004", status)], "r2", T0)
        assert kept.states == [] and kept.resolved == []
    other_cluster, _ = run(state, [], [cov(CLUSTERS[1], "NODE004", CoverageStatus.OK)], "r2", T0)
    assert other_cluster.resolved == []
    other_check, _ = run(state, [], [cov(CLUSTERS[0], "EXT001", CoverageStatus.OK)], "r2", T0)
    assert other_check.resolved == []
    not_scanned, _ = run(state, [], [], "r2", T0)
    assert not_scanned.resolved == []
    upper = cov(CLUSTERS[0].upper().replace("/SUBSCRIPTIONS", "/subscriptions"), "NODE004", CoverageStatus.OK)
    done, _ = run(state, [], [upper], "r2", T0 + timedelta(hours=1))
    (resolved,) = done.resolved
    assert (resolved.status, resolved.resolved_at, resolved.changed_run) == (
        Status.RESOLVED,
        T0 + timedelta(hours=1),
        "r2",
    )


def test_other_subjects_found_resolve_the_missing_one() -> None:
    a, b = finding("NODE004", CLUSTERS[0], "kube-system/a"), finding("NODE004", CLUSTERS[0], "kube-system/b")
    _, state = run({}, [a, b], [cov(CLUSTERS[0], "NODE004", CoverageStatus.FINDING)], "r1", T0)
    second, _ = run(state, [b], [cov(CLUSTERS[0], "NODE004", CoverageStatus.FINDING)], "r2", T0)
    assert [s.subject for s in second.resolved] == ["kube-system/a"]
    assert [s.subject for s in second.still_open] == ["kube-system/b"]


def test_a_resolved_finding_that_returns_is_new_again() -> None:
    f = finding("NODE004", CLUSTERS[0], "kube-system/a")
    ok = [cov(CLUSTERS[0], "NODE004", CoverageStatus.OK)]
    _, state = run({}, [f], [], "r1", T0)
    _, state = run(state, [], ok, "r2", T0 + timedelta(hours=1))
    back, state = run(state, [f], [], "r3", T0 + timedelta(hours=2))
    (again,) = back.new
    assert (again.status, again.count, again.first_seen, again.resolved_at) == (
        Status.NEW,
        2,
        T0 + timedelta(hours=2),
        None,
    )


def test_duplicate_fingerprints_in_one_run_count_once() -> None:
    f = finding("NODE004", CLUSTERS[0], "kube-system/a")
    result, _ = run({}, [f, f], [], "r1", T0)
    assert len(result.states) == 1 and result.states[0].count == 1


# --- properties over random histories -------------------------------------------------------------------

keys = st.tuples(st.sampled_from(CHECKS), st.sampled_from(CLUSTERS), st.sampled_from(SUBJECTS))
statuses = st.sampled_from(list(CoverageStatus))
rounds = st.lists(
    st.tuples(
        st.sets(keys, max_size=6),
        st.dictionaries(st.tuples(st.sampled_from(CLUSTERS), st.sampled_from(CHECKS)), statuses),
    ),
    min_size=1,
    max_size=6,
)


def _coverage(
    detected: set[tuple[str, str, str]], statuses_by: dict[tuple[str, str], CoverageStatus]
) -> list[Coverage]:
    coverage = {(cl, ch): st_ for (cl, ch), st_ in statuses_by.items()}
    for check, cluster, _ in detected:  # a detection implies the check ran and found something
        coverage[(cluster, check)] = CoverageStatus.FINDING
    return [cov(cl, ch, s) for (cl, ch), s in coverage.items()]


@settings(max_examples=60, deadline=None)
@given(rounds)
def test_state_follows_the_rules_over_any_history(history: list) -> None:
    state: dict[str, FindingState] = {}
    for index, (detected, statuses_by) in enumerate(history):
        findings = [finding(*key) for key in sorted(detected)]
        coverage = _coverage(detected, statuses_by)
        conclusive = {(c.cluster, c.check) for c in coverage if c.status in (CoverageStatus.OK, CoverageStatus.FINDING)}
        before = dict(state)
        result, state = run(state, findings, coverage, f"r{index}", T0 + timedelta(minutes=15 * index))
        by_fp = {f.fingerprint: f for f in findings}
        for fp, row in state.items():
            old = before.get(fp)
            if fp in by_fp:
                expected = Status.OPEN if old and old.status is not Status.RESOLVED else Status.NEW
                assert row.status is expected
                assert row.last_seen == T0 + timedelta(minutes=15 * index)
                assert row.count == (old.count if old else 0) + 1
            elif old is None:
                raise AssertionError("a row appeared without a detection")
            elif old.status is not Status.RESOLVED and (old.cluster, old.check) in conclusive:
                assert row.status is Status.RESOLVED and row.changed_run == f"r{index}"
            else:
                assert row == old  # inconclusive, not applicable, unscanned or already resolved: untouched
        assert {s.fingerprint for s in result.new} == {
            fp for fp, s in state.items() if s.status is Status.NEW and s.changed_run == f"r{index}"
        }
        assert all(s.first_seen <= s.last_seen for s in state.values())


@settings(max_examples=40, deadline=None)
@given(rounds, st.sets(keys, max_size=6))
def test_a_retried_run_changes_nothing(history: list, retry_detected: set) -> None:
    """A redelivered shard (same run id) leaves every row as the first delivery wrote it, whatever it sees."""
    state: dict[str, FindingState] = {}
    for index, (detected, statuses_by) in enumerate(history):
        _, state = run(
            state, [finding(*k) for k in sorted(detected)], _coverage(detected, statuses_by), f"r{index}", T0
        )
    last = f"r{len(history) - 1}"
    retried, after = run(
        state,
        [finding(*k) for k in sorted(retry_detected)],
        _coverage(retry_detected, {}),
        last,
        T0 + timedelta(hours=1),
    )
    touched = {s.fingerprint for s in retried.states}
    assert all(state[fp].updated_run != last for fp in touched if fp in state)
    for fp, row in state.items():
        if row.updated_run == last:
            assert after[fp] == row


@settings(max_examples=40, deadline=None)
@given(st.sets(keys, max_size=6), statuses)
def test_pure_same_inputs_same_outputs(detected: set, status: CoverageStatus) -> None:
    findings = [finding(*k) for k in sorted(detected)]
    coverage = [cov(cl, ch, status) for cl in CLUSTERS for ch in CHECKS]
    a = apply_run({}, findings, coverage, "r1", T0)
    b = apply_run({}, list(reversed(findings)), list(reversed(coverage)), "r1", T0)
    assert sorted(a.states, key=lambda s: s.fingerprint) == sorted(b.states, key=lambda s: s.fingerprint)
