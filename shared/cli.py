"""`fleetdoc`: scan a fleet, diagnose one cluster, explain an error, list the checks, make a sample fleet.

Exit codes: 0 done; 1 findings at or above --fail-on; 2 bad input; 4 cluster not found.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from shared.catalog import load_catalog
from shared.catalog.spec import LANGUAGES
from shared.engine.scan import ClusterNotFound, ScanResult, Sources, diagnose_cluster, scan_fleet
from shared.kql.literals import KqlValueError, parse_duration, resource_id
from shared.model import Severity
from shared.sources.local import FleetDataError, LocalFleet

EXIT_FINDINGS, EXIT_USAGE, EXIT_NOT_FOUND = 1, 2, 4


class UsageError(Exception):
    pass


def _azure_scope_configured() -> bool:
    return bool(os.environ.get("FLEETDOC_SCOPE_SUBSCRIPTIONS") or os.environ.get("FLEETDOC_SCOPE_MANAGEMENT_GROUP"))


@asynccontextmanager
async def open_sources(source: str, data: str | None) -> AsyncIterator[tuple[Sources, datetime | None, str]]:
    """Yield (sources, pinned clock, note for the report header)."""
    if source == "azure":
        from shared.sources.azure import AzureConfig, open_azure_sources  # heavy SDK imports only when needed

        async with open_azure_sources(AzureConfig.from_env(os.environ)) as sources:
            yield sources, None, "Azure"
        return
    if source == "local":
        if not data:
            raise UsageError("--source local needs --data DIR (a fleet folder, see `fleetdoc sample`)")
        fleet = LocalFleet(Path(data))
        note = f"fleet folder {data}"
        try:
            yield Sources(fleet, fleet, fleet, fleet, name="local"), fleet.now, note
        finally:
            fleet.close()
        return
    from shared.sample.fleet import generate

    with tempfile.TemporaryDirectory(prefix="fleetdoc-sample-") as tmp:
        fleet = LocalFleet(generate(Path(tmp)))
        note = "bundled sample fleet (no Azure scope configured; set FLEETDOC_SCOPE_SUBSCRIPTIONS to scan Azure)"
        try:
            yield Sources(fleet, fleet, fleet, fleet, name="sample"), fleet.now, note
        finally:
            fleet.close()


def _progress_callback(progress: Progress) -> Callable[[str, int], None]:
    task = progress.add_task("scanning", total=None)

    def update(label: str, amount: int) -> None:
        if label == "total":
            progress.update(task, total=amount)
        else:
            progress.update(task, advance=amount, description=label)

    return update


async def _record_state(path: str, result: ScanResult) -> dict[str, list[str]]:
    """Carry findings across runs in a SQLite file, with the same transitions as the Functions app."""
    from shared.state import apply_run
    from shared.state.sqlite import open_sqlite_state

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    async with open_sqlite_state(path) as store:
        previous = await store.findings_of_clusters(c.id for c in result.clusters)
        transition = apply_run(previous, result.findings, result.coverage, result.scan_id, result.end)
        await store.put_findings(transition.states)
    return {
        "new": sorted(s.fingerprint for s in transition.new),
        "open": sorted(s.fingerprint for s in transition.still_open),
        "resolved": sorted(s.fingerprint for s in transition.resolved),
    }


async def _run(args: argparse.Namespace, diagnose: str | None) -> tuple[ScanResult, str]:
    source = args.source or ("azure" if _azure_scope_configured() else ("local" if args.data else "sample"))
    since = parse_duration(args.since)
    err = Console(stderr=True)
    show = args.format == "table" and err.is_terminal
    async with open_sources(source, args.data) as (sources, now, note):
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=True,
            disable=not show,
        ) as progress:
            options: dict[str, Any] = {
                "now": now,
                "since": since,
                "lang": args.lang,
                "progress": _progress_callback(progress),
            }
            if diagnose:
                result = await diagnose_cluster(sources, diagnose, **options)
            else:
                result = await scan_fleet(sources, **options)
    if getattr(args, "state", None):
        result.state_changes = await _record_state(args.state, result)
        note += f" · state {args.state}"
    return result, note


def _emit(result: ScanResult, note: str, fmt: str) -> None:
    if fmt == "json":
        doc = result.to_json()
        doc["scan"]["note"] = note
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    elif fmt == "markdown":
        from shared.render.markdown import render_markdown

        sys.stdout.write(render_markdown(result))
    else:
        from shared.render.console import render_scan

        console = Console()
        if not console.is_terminal:  # piped or captured: wide enough that ids and titles stay on one line
            console = Console(width=180)
        render_scan(result, console, note)


def _exit_code(result: ScanResult, fail_on: str | None) -> int:
    if fail_on is None:
        return 0
    threshold = Severity(fail_on).rank
    return EXIT_FINDINGS if any(f.severity.rank >= threshold for f in result.findings) else 0


def cmd_scan(args: argparse.Namespace) -> int:
    result, note = asyncio.run(_run(args, None))
    _emit(result, note, args.format)
    return _exit_code(result, args.fail_on)


def cmd_diagnose(args: argparse.Namespace) -> int:
    cluster_id = resource_id(args.cluster)
    result, note = asyncio.run(_run(args, cluster_id))
    _emit(result, note, args.format)
    return _exit_code(result, args.fail_on)


def cmd_checks(args: argparse.Namespace) -> int:
    catalog = load_catalog()
    if args.markdown:
        from shared.render.checks_doc import render_checks_markdown

        sys.stdout.write(render_checks_markdown(catalog))
        return 0
    if args.json:
        doc = [
            {
                "id": c.id,
                "severity": c.severity.value,
                "appliesTo": [k.value for k in c.spec.applies_to],
                "signal": list(c.spec.signal),
                "tables": list(c.spec.tables),
                "guide": c.spec.guide,
                "docs": c.spec.docs,
                "title": c.texts(args.lang).title,
            }
            for c in catalog
        ]
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return 0
    from rich.table import Table

    table = Table(title=f"fleetdoc checks ({len(catalog)})", title_justify="left")
    for col in ("id", "severity", "applies to", "signal", "title"):
        table.add_column(col, overflow="fold")
    for c in catalog:
        table.add_row(
            c.id,
            c.severity.value,
            ", ".join(k.value for k in c.spec.applies_to),
            ", ".join(c.spec.signal),
            c.texts(args.lang).title,
        )
    Console().print(table)
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    from shared.explain import explain

    text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
    matches = explain(text, args.lang)
    if args.json:
        sys.stdout.write(json.dumps({"matches": [m.to_json() for m in matches]}, indent=2, ensure_ascii=False) + "\n")
        return 0
    console = Console()
    if not matches:
        console.print("No known fleetdoc scenario matches this text.")
        return 0
    for m in matches:
        doc = m.to_json()
        console.print(
            f"[bold]{doc['check']}[/] {doc['title']}  [dim](score {doc['score']}, "
            f"matched: {', '.join(doc['matched'])})[/]"
        )
        console.print(f"  {doc['cause']}")
        for i, step in enumerate(doc["remediation"], 1):
            console.print(f"  {i}. {step}", highlight=False)
        console.print(f"  [dim]{doc['docs']}[/]\n")
    return 0


def cmd_sample(args: argparse.Namespace) -> int:
    from shared.sample.fleet import generate

    now = datetime.fromisoformat(args.now.replace("Z", "+00:00")) if args.now else None
    if now is not None and now.tzinfo is None:
        raise UsageError("--now needs a timezone, e.g. 2026-11-20T12:00:00Z")
    path = generate(Path(args.out), clusters=args.clusters, rows=args.rows, seed=args.seed, now=now)
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    Console(stderr=True).print(
        f"wrote {path}: {len(manifest['workspaces'])} workspaces, "
        f"{len(manifest['scenarios'])} scenarios, clock {manifest['now']}"
    )
    return 0


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fleetdoc", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    def scan_options(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--source",
            choices=("sample", "local", "azure"),
            help="default: azure when FLEETDOC_SCOPE_* is set, else the bundled sample fleet",
        )
        p.add_argument("--data", help="fleet folder for --source local")
        p.add_argument("--since", default="24h", help="look-back window, e.g. 30m, 6h, 7d (default 24h)")
        p.add_argument("--format", choices=("table", "json", "markdown"), default="table")
        p.add_argument("--lang", choices=LANGUAGES, default="en")
        p.add_argument(
            "--fail-on", choices=[s.value for s in Severity], help="exit 1 when a finding has this severity or worse"
        )
        p.add_argument("--state", metavar="FILE", help="SQLite file keeping findings across runs (new, open, resolved)")

    scan = sub.add_parser("scan", help="scan the whole fleet")
    scan_options(scan)
    scan.set_defaults(func=cmd_scan)
    diagnose = sub.add_parser("diagnose", help="diagnose one cluster by its ARM resource id")
    diagnose.add_argument("cluster", help="/subscriptions/<id>/resourceGroups/<rg>/providers/.../<name>")
    scan_options(diagnose)
    diagnose.set_defaults(func=cmd_diagnose)
    checks = sub.add_parser("checks", help="list the check catalog")
    checks.add_argument("--json", action="store_true")
    checks.add_argument("--markdown", action="store_true", help="the catalog as docs/checks.md")
    checks.add_argument("--lang", choices=LANGUAGES, default="en")
    checks.set_defaults(func=cmd_checks)
    explain = sub.add_parser("explain", help="explain pasted error text ('-' reads stdin)")
    explain.add_argument("text", nargs="+")
    explain.add_argument("--json", action="store_true")
    explain.add_argument("--lang", choices=LANGUAGES, default="en")
    explain.set_defaults(func=cmd_explain)
    sample = sub.add_parser("sample", help="write a sample fleet folder")
    sample.add_argument("--out", required=True)
    sample.add_argument("--clusters", type=_positive, default=12)
    sample.add_argument("--rows", type=_positive, default=20_000, help="ordinary ContainerLogV2 rows in the fleet")
    sample.add_argument("--seed", type=int, default=7)
    sample.add_argument("--now", help="pin the sample's clock (ISO 8601 with Z)")
    sample.set_defaults(func=cmd_sample)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    err = Console(stderr=True)
    try:
        return int(args.func(args))
    except (UsageError, KqlValueError, FleetDataError, ValueError) as exc:
        err.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    except ClusterNotFound as exc:
        err.print(f"[red]error:[/] {exc}")
        return EXIT_NOT_FOUND


if __name__ == "__main__":
    sys.exit(main())
