"""The `fleetdoc` command as a user runs it: formats, exit codes and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.cli import main


def _json(capsys: pytest.CaptureFixture[str]) -> dict:
    return json.loads(capsys.readouterr().out)


def test_scan_json_shape(sample_dir: Path, capsys) -> None:
    assert main(["scan", "--source", "local", "--data", str(sample_dir), "--format", "json"]) == 0
    doc = _json(capsys)
    assert set(doc) == {"scan", "clusters", "findings", "coverage"}
    assert doc["findings"]
    for finding in doc["findings"]:
        assert {
            "check",
            "severity",
            "cluster",
            "subject",
            "title",
            "cause",
            "remediation",
            "evidence",
            "fingerprint",
        } <= set(finding)
    assert doc["scan"]["source"] == "local"


def test_scan_json_matches_manifest(sample_dir: Path, capsys) -> None:
    main(["scan", "--source", "local", "--data", str(sample_dir), "--format", "json"])
    doc = _json(capsys)
    manifest = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    reported = {(f["check"], f["cluster"].lower()) for f in doc["findings"]}
    for placement in manifest["scenarios"]:
        assert (placement["check"], placement["cluster"].lower()) in reported


def test_fail_on(sample_dir: Path, capsys) -> None:
    assert main(["scan", "--source", "local", "--data", str(sample_dir), "--format", "json", "--fail-on", "info"]) == 1
    capsys.readouterr()


def test_markdown_and_table(sample_dir: Path, capsys) -> None:
    assert main(["scan", "--source", "local", "--data", str(sample_dir), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# fleetdoc scan") and "| severity | check |" in out
    assert main(["scan", "--source", "local", "--data", str(sample_dir)]) == 0
    assert "Findings" in capsys.readouterr().out


def test_diagnose_one_cluster(sample_dir: Path, capsys) -> None:
    manifest = json.loads((sample_dir / "manifest.json").read_text(encoding="utf-8"))
    placement = manifest["scenarios"][0]
    assert (
        main(["diagnose", placement["cluster"], "--source", "local", "--data", str(sample_dir), "--format", "json"])
        == 0
    )
    doc = _json(capsys)
    assert [c["id"] for c in doc["clusters"]] == [placement["cluster"]]
    assert placement["check"] in {f["check"] for f in doc["findings"]}
    assert {f["cluster"] for f in doc["findings"]} == {placement["cluster"]}


@pytest.mark.parametrize(
    "argv, message",
    [
        (["diagnose", "not-an-id"], "not an Azure resource id"),
        (["diagnose", '/subscriptions/x"; drop'], "not an Azure resource id"),
        (["scan", "--since", "forever"], "invalid duration"),
        (["scan", "--since", "90d"], "at most 30d"),
        (["scan", "--source", "local"], "--data"),
        (["scan", "--source", "local", "--data", "/nonexistent/fleet"], "manifest.json"),
    ],
)
def test_bad_input_gets_a_clear_error(argv: list[str], message: str, capsys) -> None:
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unknown_cluster_is_not_found(sample_dir: Path, capsys) -> None:
    missing = (
        "/subscriptions/3f2a1c4e-7b9d-4e21-9a3c-5d6e7f8091a2/resourceGroups/rg/providers/"
        "Microsoft.ContainerService/managedClusters/nope"
    )
    assert main(["diagnose", missing, "--source", "local", "--data", str(sample_dir)]) == 4
    assert "not found" in capsys.readouterr().err


def test_checks_listing(capsys) -> None:
    assert main(["checks", "--json"]) == 0
    ids = [c["id"] for c in _json(capsys)]
    assert "NODE004" in ids and len(ids) == len(set(ids))


def test_explain_json(capsys) -> None:
    assert main(["explain", "--json", "Errorcode: 403, Message This traffic is not authorized."]) == 0
    assert _json(capsys)["matches"][0]["check"] == "EXT003"
    assert main(["explain", "--json", "Last State: Terminated, Reason: OOMKilled"]) == 0
    assert _json(capsys) == {"matches": []}


def test_sample_command(tmp_path: Path) -> None:
    out = tmp_path / "fleet"
    assert (
        main(["sample", "--out", str(out), "--clusters", "14", "--rows", "500", "--now", "2026-11-20T12:00:00Z"]) == 0
    )
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["now"] == "2026-11-20T12:00:00Z"
    assert len(json.loads((out / "inventory/resources.json").read_text())["value"]) > 14


def test_state_file_tracks_new_open_and_resolved(tmp_path: Path, sample_dir: Path, sample_now, capsys) -> None:
    from shared.sample.fleet import generate

    state = str(tmp_path / "state.sqlite")
    scan = ["scan", "--source", "local", "--format", "json", "--state", state]
    assert main([*scan, "--data", str(sample_dir)]) == 0
    first = _json(capsys)
    fingerprints = sorted(f["fingerprint"] for f in first["findings"])
    assert first["scan"]["state"] == {"new": fingerprints, "open": [], "resolved": []}

    assert main([*scan, "--data", str(sample_dir)]) == 0
    assert _json(capsys)["scan"]["state"] == {"new": [], "open": fingerprints, "resolved": []}

    healed = generate(tmp_path / "healed", now=sample_now, scenarios=False)  # same clusters, no problems
    assert main([*scan, "--data", str(healed)]) == 0
    third = _json(capsys)
    conclusive = {(c["cluster"].lower(), c["check"]) for c in third["coverage"] if c["status"] in ("ok", "finding")}
    expected = sorted(f["fingerprint"] for f in first["findings"] if (f["cluster"].lower(), f["check"]) in conclusive)
    assert third["findings"] == []
    assert third["scan"]["state"]["resolved"] == expected
    assert sorted(third["scan"]["state"]["open"]) == [] and third["scan"]["state"]["new"] == []
