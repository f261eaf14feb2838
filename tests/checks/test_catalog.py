"""The catalog meta-test: every check complete, in four languages, with its fixtures; docs/checks.md current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from shared.catalog import CatalogError, load_catalog, load_check
from shared.catalog.spec import LANGUAGES
from shared.model import Severity
from shared.render.checks_doc import render_checks_markdown

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
EXPECTED_IDS = (
    [f"EXT{i:03d}" for i in range(1, 11)]
    + [f"ARC{i:03d}" for i in range(1, 15)]
    + [f"LB{i:03d}" for i in range(1, 7)]
    + [f"NODE{i:03d}" for i in range(1, 9)]
    + [f"NET{i:03d}" for i in range(1, 7)]
    + [f"MON{i:03d}" for i in range(1, 4)]
)
CATALOG = load_catalog()


def test_catalog_has_exactly_the_issue_ids() -> None:
    assert sorted(CATALOG.ids()) == sorted(EXPECTED_IDS)


@pytest.mark.parametrize("check", list(CATALOG), ids=lambda c: c.id)
def test_check_is_complete(check) -> None:
    spec = check.spec
    assert re.fullmatch(r"(EXT|ARC|LB|NODE|NET|MON)\d{3}", spec.id)
    assert check.path.parent.name == spec.id.rstrip("0123456789").lower()
    assert isinstance(spec.severity, Severity)
    assert spec.docs.startswith("https://learn.microsoft.com/")
    assert set(spec.texts) == set(LANGUAGES)
    for lang in LANGUAGES:
        texts = spec.texts[lang]
        assert texts.title.strip() and texts.cause.strip() and texts.remediation
    # translations are not copies of the English text
    english = spec.texts["en"]
    for lang in ("zh-Hans", "zh-Hant", "de"):
        assert spec.texts[lang].cause != english.cause, f"{spec.id} {lang} cause is untranslated"
    assert spec.texts["zh-Hans"].cause != spec.texts["zh-Hant"].cause
    if not spec.text_only:
        assert spec.sample is not None, f"{spec.id} has a data signal but no sample scenario"
        kinds = {p.name.split(".")[0] for p in (FIXTURES / spec.id).glob("*.json")}
        assert {"pass", "fail"} <= kinds, f"{spec.id} fixtures: {sorted(kinds)}"


def test_invalid_check_is_rejected_on_load(tmp_path: Path) -> None:
    good = yaml.safe_load((ROOT / "shared/checks/node/NODE004.yaml").read_text(encoding="utf-8"))
    del good["texts"]["de"]
    path = tmp_path / "NODE004.yaml"
    path.write_text(yaml.safe_dump(good, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match="de"):
        load_check(path)


def test_docs_checks_md_is_current() -> None:
    committed = (ROOT / "docs/checks.md").read_text(encoding="utf-8")
    assert committed == render_checks_markdown(CATALOG), "docs/checks.md is stale: run `make checks-doc`"
