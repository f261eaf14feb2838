"""Every check's pass, fail and near-miss fixtures, run through the real engine, DuckDB and KQL.

`fail.*.json` must produce exactly the expected findings of its check;
`pass.*.json` and `nearmiss.*.json` must produce none and the expected coverage.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixture_fleet import fixture_files, load_fixture, scan_fixture

from shared.catalog import load_catalog


def _id(path: Path) -> str:
    return f"{path.parent.name}/{path.stem}"


@pytest.mark.parametrize("path", fixture_files(), ids=_id)
def test_fixture(path: Path, tmp_path: Path) -> None:
    check_id = path.parent.name
    catalog = load_catalog()
    assert check_id in catalog, f"fixtures for unknown check {check_id}"
    fixture = load_fixture(path)
    expect = fixture["expect"]
    result = scan_fixture(tmp_path, check_id, fixture, catalog)

    findings = [f for f in result.findings if f.check == check_id]
    got = sorted((f.subject, sorted({e.get("signature") for e in f.evidence if e.get("signature")})) for f in findings)
    wanted = sorted((e["subject"], sorted(e.get("signatures", []))) for e in expect["findings"])
    if not any("signatures" in e for e in expect["findings"]):
        got = [(subject, []) for subject, _ in got]
    assert got == wanted, f"{path.name}: findings of {check_id}"

    coverage = [c for c in result.coverage if c.check == check_id]
    assert len(coverage) == 1
    assert coverage[0].status.value == expect["coverage"], f"{path.name}: coverage reason {coverage[0].reason!r}"
    if "reason_contains" in expect:
        assert expect["reason_contains"] in coverage[0].reason

    for finding in findings:  # every finding is complete in the four languages' sense: rendered, no template left
        assert finding.title and finding.cause and finding.remediation
        assert "{{" not in " ".join([finding.title, finding.cause, *finding.remediation])


def test_every_check_with_data_has_fixtures() -> None:
    by_check: dict[str, set[str]] = {}
    for path in fixture_files():
        by_check.setdefault(path.parent.name, set()).add(path.name.split(".")[0])
    missing = []
    for check in load_catalog():
        kinds = by_check.get(check.id, set())
        needed = {"pass", "fail"} if not check.spec.text_only else set()
        if any(s.has_terms and s.table for s in check.spec.signatures):
            needed.add("nearmiss")
        if needed - kinds:
            missing.append(f"{check.id}: {sorted(needed - kinds)}")
    assert not missing, "checks without fixtures: " + "; ".join(missing)
