"""The KQL validator runs Microsoft's parser for real; all queries share one batch (one node process)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from kusto_validator import (
    SCHEMA_FILE,
    SCRIPT,
    KqlDiagnostic,
    KqlValidatorUnavailable,
    assert_valid_kql,
    check_toolchain,
    error_report,
    load_table_schemas,
    validate_kql,
)

GOOD = {
    "container_insights": (
        "ContainerLogV2 | where TimeGenerated between (datetime(2026-01-01) .. datetime(2026-01-02))"
        ' | where _ResourceId in~ ("/subscriptions/x") | extend Text = tostring(LogMessage)'
        ' | where Text has "403" | summarize count() by PodName'
    ),
    "let_union_has_any_make_set": (
        "let base = ContainerLogV2 | where TimeGenerated > ago(1h) | extend Text = tostring(LogMessage);\n"
        'union (base | where Text has "OOMKilled" | extend Kind = "oom"),\n'
        '      (base | where Text has_any ("403", "Forbidden") | extend Kind = "auth")\n'
        "| summarize Pods = make_set(PodName, 3), Hits = count() by Kind"
    ),
    "case": (
        'KubePodInventory | extend Sev = case(PodStatus == "Failed", "high", PodRestartCount > 5, "medium", "low")'
        " | project Name, Sev"
    ),
    "arg_max_rename_join": (
        "KubePodInventory | where TimeGenerated > ago(1h)\n"
        "| summarize arg_max(TimeGenerated, *) by ContainerID\n"
        "| project-rename ContainerId = ContainerID\n"
        "| join kind=inner (ContainerLogV2 | where TimeGenerated > ago(1h)) on ContainerId\n"
        '| where tolower(_ResourceId) matches regex @"/providers/microsoft\\.containerservice/managedclusters/[^/]+$"\n'
        "| where TimeGenerated < datetime(2026-11-21T00:00:00Z)\n"
        "| project PodName, Namespace, LogMessage"
    ),
    # The reference lists TenantId only on ContainerLogV2; the validator adds it everywhere.
    "tenant_id_on_other_tables": "KubeEvents | project TenantId, Reason | union (KubeNodeInventory | project TenantId)",
}

# name -> (query, expected codes in order, the text each diagnostic points at)
BAD = {
    "wrong_column": ("ContainerLogV2 | where Pod has 'x'", ["KS142"], ["Pod"]),
    # A misspelled operator cascades: the parser then reads the rest as a new statement.
    "syntax_error": (
        "ContainerLogV2 | wher PodName == 'x'",
        ["KS176", "KS005", "KS142"],
        ["wher", "PodName", "PodName"],
    ),
    "unclosed_paren": ("ContainerLogV2 | where (PodName == 'x'", ["KS005"], [""]),
    "stray_paren": ("ContainerLogV2 | summarize count() by PodName)", ["KS198"], [")"]),
    "unknown_table": ("ContainerLogV3 | take 1", ["KS204"], ["ContainerLogV3"]),
    "unknown_function": ("ContainerLogV2 | extend n = tostrin(LogMessage)", ["KS211"], ["tostrin"]),
    "type_mismatch": ("ContainerLogV2 | where TimeGenerated > 'yesterday'", ["KS106"], [">"]),
    "string_plus_number": ("ContainerLogV2 | extend n = PodName + 1", ["KS106"], ["+"]),
    "assignment_not_comparison": ("ContainerLogV2 | where PodName = 'x'", ["KS141"], ["PodName = 'x'"]),
    "make_set_limit_not_int": ("ContainerLogV2 | summarize make_set(PodName, '3')", ["KS134"], ["'3'"]),
    # Without project-rename the join key only exists on one side.
    "join_key_case": (
        "KubePodInventory | join kind=inner (ContainerLogV2) on ContainerId",
        ["KS145"],
        ["ContainerId"],
    ),
    "dangling_by": ("ContainerLogV2 | summarize count() by", ["KS006"], [""]),
}


@pytest.fixture(scope="module")
def results() -> dict[str, list[KqlDiagnostic]]:
    names = [*GOOD, *BAD]
    queries = [*GOOD.values(), *(q for q, _, _ in BAD.values())]
    return dict(zip(names, validate_kql(queries), strict=True))


@pytest.mark.parametrize("name", GOOD)
def test_rendered_constructs_are_valid(results: dict[str, list[KqlDiagnostic]], name: str) -> None:
    assert results[name] == []


@pytest.mark.parametrize("name", BAD)
def test_broken_queries_are_caught(results: dict[str, list[KqlDiagnostic]], name: str) -> None:
    query, codes, texts = BAD[name]
    diags = results[name]
    assert [d.code for d in diags] == codes
    assert all(d.is_error for d in diags)
    assert [query[d.start : d.start + d.length] for d in diags] == texts


def test_assert_valid_kql_passes_good_and_lists_every_error() -> None:
    assert_valid_kql(list(GOOD.values()))
    with pytest.raises(AssertionError) as info:
        assert_valid_kql([GOOD["case"], BAD["wrong_column"][0], BAD["unknown_table"][0]])
    text = str(info.value)
    assert text.startswith("2 KQL error(s):")
    assert "query #1: KS142" in text and "query #2: KS204" in text and "query #0" not in text
    assert "ContainerLogV2 | where Pod has 'x'\n                       ^^^" in text


def test_assert_valid_kql_rejects_a_bare_string() -> None:
    with pytest.raises(TypeError):
        assert_valid_kql(GOOD["case"])


def test_offsets_are_code_points_for_python_slicing() -> None:
    query = "ContainerLogV2 | extend e = '😀 émoji' | project Bogus"
    [[diag]] = validate_kql([query])
    assert (diag.code, query[diag.start : diag.start + diag.length]) == ("KS142", "Bogus")


def test_snippet_marks_the_offending_text_on_one_line() -> None:
    query = "ContainerLogV2\n| where PodName has 'a'\n| project Bogus, PodName"
    diag = KqlDiagnostic("Error", "KS142", query.index("Bogus"), 5, "unknown")
    assert diag.snippet(query, context=12) == "...' | project Bogus, PodName\n               ^^^^^"
    assert KqlDiagnostic("Error", "KS006", len(query), 0, "m").snippet(query, 3).endswith("ame\n      ^")


def test_only_errors_fail() -> None:
    query = "ContainerLogV2 | take 1"
    warning = KqlDiagnostic("Warning", "KS179", 0, 4, "unrecognized parameter")
    error = KqlDiagnostic("Error", "KS142", 17, 4, "unknown")
    assert error_report([query], [[warning]]) == []
    assert error_report([query, query], [[warning], [error, warning]]) == [
        "query #1: KS142 unknown\nContainerLogV2 | take 1\n                 ^^^^"
    ]


def test_tenant_id_added_in_code_not_in_file() -> None:
    tables = load_table_schemas()
    assert all([c["name"] for c in cols].count("TenantId") == 1 for cols in tables.values())
    on_disk = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert [t for t, cols in on_disk.items() if any(c["name"] == "TenantId" for c in cols)] == ["ContainerLogV2"]


def test_missing_node_modules_says_run_npm_ci(tmp_path: Path) -> None:
    (tmp_path / "package.json").write_text('{"devDependencies": {"@kusto/language-service-next": "12.4.1"}}')
    with pytest.raises(KqlValidatorUnavailable, match="run `npm ci`"):
        check_toolchain(tmp_path)


def test_empty_batch_needs_no_process() -> None:
    assert validate_kql([]) == []


@pytest.mark.parametrize(
    ("request_doc", "message"),
    [
        ({"tables": {"T": [{"name": "a", "type": "strng"}]}, "queries": ["T"]}, "unknown type for column a"),
        ({"tables": {"T": [{"name": "a", "type": "string"}]}, "queries": "T"}, '"queries" must be a list'),
    ],
)
def test_script_refuses_bad_input(request_doc: dict, message: str) -> None:
    node = check_toolchain()
    proc = subprocess.run(
        [node, str(SCRIPT)], input=json.dumps(request_doc), capture_output=True, text=True, timeout=120, check=False
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert message in proc.stderr
