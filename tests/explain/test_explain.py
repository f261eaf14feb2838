"""`explain` against an evaluation set of real-looking messages and near misses; precision and recall are reported."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from shared.explain import ExplainInputError, explain

EVAL = yaml.safe_load((Path(__file__).parent / "eval_set.yaml").read_text(encoding="utf-8"))


def _top(text: str) -> str | None:
    matches = explain(text)
    return matches[0].check.id if matches else None


def test_precision_and_recall(capsys: pytest.CaptureFixture[str]) -> None:
    tp = fp = fn = 0
    misses = []
    for case in EVAL:
        top = _top(case["text"])
        expected = case["expect"]
        if expected and top in expected:
            tp += 1
        elif top is None and expected:
            fn += 1
            misses.append(f"missed {expected}: {case['text'][:80]}")
        elif top is not None and top not in expected:
            fp += 1
            misses.append(f"wrong {top} (wanted {expected or 'nothing'}): {case['text'][:80]}")
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    with capsys.disabled():
        print(f"\nexplain: {len(EVAL)} cases, precision {precision:.2f}, recall {recall:.2f}, tp={tp} fp={fp} fn={fn}")
        for line in misses:
            print("  " + line)
    assert precision >= 0.95 and recall >= 0.9, misses


@pytest.mark.parametrize("case", [c for c in EVAL if not c["expect"]], ids=lambda c: c["text"][:40])
def test_unrelated_errors_do_not_match(case: dict) -> None:
    assert explain(case["text"]) == []


def test_match_shape_and_language() -> None:
    text = next(c["text"] for c in EVAL if c["expect"] == ["EXT003"])
    doc = explain(text, "de")[0].to_json()
    assert doc["check"] == "EXT003"
    assert set(doc) >= {"check", "title", "cause", "remediation", "score", "docs", "matched"}
    assert doc["remediation"] and all(step.strip() for step in doc["remediation"])
    assert 0 < doc["score"] <= 1
    assert doc["title"] != explain(text, "en")[0].to_json()["title"]


@pytest.mark.parametrize("bad", ["", "   \n", "x" * (64 * 1024 + 1)])
def test_bad_input_is_refused(bad: str) -> None:
    with pytest.raises(ExplainInputError):
        explain(bad)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ExplainInputError):
        explain("Errorcode: 403", "fr")
