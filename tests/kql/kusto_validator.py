"""Validate KQL against the Container Insights schemas with Microsoft's own parser (Kusto.Language).

All queries go to one `node validate.cjs` process: loading the library costs ~1 s, each query 10-60 ms.
Only Error-severity diagnostics fail `assert_valid_kql`; warnings/suggestions are style hints that
Log Analytics itself would still run.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("validate.cjs")
SCHEMA_FILE = REPO_ROOT / "shared" / "data" / "log-analytics-tables.json"
PACKAGE = "@kusto/language-service-next"
TIMEOUT_S = 300


@dataclass(frozen=True)
class KqlDiagnostic:
    severity: str  # "Error", "Warning", "Suggestion", ...
    code: str  # e.g. "KS142"
    start: int  # code-point offset into the query
    length: int
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == "Error"

    def snippet(self, query: str, context: int = 30) -> str:
        """The offending text with `context` characters around it and a caret line under it."""
        lo = max(0, self.start - context)
        hi = min(len(query), self.start + self.length + context)
        # One line so the carets line up; newlines and tabs become spaces of the same width.
        text = query[lo:hi].replace("\r", " ").replace("\n", " ").replace("\t", " ")
        prefix = "..." if lo > 0 else ""
        suffix = "..." if hi < len(query) else ""
        carets = " " * (len(prefix) + self.start - lo) + "^" * max(1, self.length)
        return f"{prefix}{text}{suffix}\n{carets}"


class KqlValidatorUnavailable(RuntimeError):
    """The validator cannot run (no node, no node_modules, bad schema): never treat as valid."""


def load_table_schemas() -> dict[str, list[dict[str, str]]]:
    """Reference schemas plus TenantId, which workspaces return on every table (the reference lists it once)."""
    tables: dict[str, list[dict[str, str]]] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    for columns in tables.values():
        if not any(col["name"] == "TenantId" for col in columns):
            columns.append({"name": "TenantId", "type": "string"})
    return tables


def check_toolchain(root: Path = REPO_ROOT) -> str:
    """Path of node, once node and the pinned language service are installed under `root`."""
    node = shutil.which("node")
    if node is None:
        raise KqlValidatorUnavailable("node is not on PATH: install Node 20, then run `npm ci` in the repo root")
    installed = root / "node_modules" / PACKAGE / "package.json"
    if not installed.is_file():
        raise KqlValidatorUnavailable(f"{PACKAGE} is not installed in {root / 'node_modules'}: run `npm ci`")
    wanted = json.loads((root / "package.json").read_text(encoding="utf-8"))["devDependencies"][PACKAGE]
    have = json.loads(installed.read_text(encoding="utf-8"))["version"]
    if have != wanted:
        raise KqlValidatorUnavailable(f"{PACKAGE} {have} is installed but package.json pins {wanted}: run `npm ci`")
    return node


def validate_kql(queries: Sequence[str]) -> list[list[KqlDiagnostic]]:
    """Diagnostics (all severities) for each query, in order."""
    if isinstance(queries, str):
        raise TypeError("validate_kql takes a list of queries, not one string")
    queries = list(queries)
    if not queries:
        return []
    node = check_toolchain()
    request = json.dumps({"tables": load_table_schemas(), "queries": queries})
    try:
        proc = subprocess.run(
            [node, str(SCRIPT)],
            input=request,
            capture_output=True,
            text=True,
            encoding="utf-8",
            timeout=TIMEOUT_S,
            cwd=REPO_ROOT,
            check=False,
        )
    except subprocess.TimeoutExpired as err:
        raise KqlValidatorUnavailable(f"validate.cjs did not finish in {TIMEOUT_S} s") from err
    if proc.returncode != 0:
        raise KqlValidatorUnavailable(f"validate.cjs exited {proc.returncode}: {proc.stderr.strip()}")
    results = json.loads(proc.stdout)
    if len(results) != len(queries):
        raise KqlValidatorUnavailable(f"validate.cjs answered {len(results)} results for {len(queries)} queries")
    return [[KqlDiagnostic(**diag) for diag in diags] for diags in results]


def error_report(queries: Sequence[str], results: Sequence[Sequence[KqlDiagnostic]]) -> list[str]:
    """One entry per Error diagnostic; warnings and suggestions are left out on purpose."""
    return [
        f"query #{i}: {diag.code} {diag.message}\n{diag.snippet(query)}"
        for i, (query, diags) in enumerate(zip(queries, results, strict=True))
        for diag in diags
        if diag.is_error
    ]


def assert_valid_kql(queries: Sequence[str]) -> None:
    """Raise AssertionError listing every Error diagnostic (with its snippet) across all queries."""
    if isinstance(queries, str):
        raise TypeError("assert_valid_kql takes a list of queries, not one string")
    queries = list(queries)
    problems = error_report(queries, validate_kql(queries))
    if problems:
        raise AssertionError(f"{len(problems)} KQL error(s):\n" + "\n\n".join(problems))
