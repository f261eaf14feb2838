"""Readable terminal report of a scan (rich)."""

from __future__ import annotations

from collections import Counter, defaultdict

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from shared.engine.scan import ScanResult
from shared.model import CoverageStatus, Finding, Severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def _severity(sev: Severity) -> Text:
    return Text(sev.value, style=SEVERITY_STYLE[sev])


def render_scan(result: ScanResult, console: Console, source_note: str = "") -> None:
    by_cluster: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_cluster[finding.cluster.lower()].append(finding)
    inconclusive = Counter(c.cluster.lower() for c in result.coverage if c.status is CoverageStatus.INCONCLUSIVE)
    header = (
        f"[bold]fleetdoc scan[/] {result.scan_id} · source: {result.source}"
        f"{' · ' + source_note if source_note else ''}\n"
        f"window {result.start:%Y-%m-%d %H:%M}Z → {result.end:%Y-%m-%d %H:%M}Z · "
        f"{len(result.clusters)} clusters · {len({q.workspace_id for q in result.queries})} workspaces · "
        f"{len(result.queries)} log queries · {len(result.findings)} findings"
    )
    if result.state_changes is not None:
        changes = result.state_changes
        header += (
            f"\nsince the last run: {len(changes['new'])} new, {len(changes['open'])} still open, "
            f"{len(changes['resolved'])} resolved"
        )
    console.print(Panel(header, expand=False))

    clusters = Table(title="Clusters", title_justify="left", show_lines=False)
    for col in ("cluster", "kind", "subscription", "workspace", "findings", "checks inconclusive"):
        clusters.add_column(col)
    for cluster in sorted(result.clusters, key=lambda c: c.name):
        found = by_cluster.get(cluster.key, [])
        counts = Counter(f.severity for f in found)
        summary = (
            Text(", ").join([Text(f"{counts[s]} {s.value}", style=SEVERITY_STYLE[s]) for s in Severity if counts[s]])
            if found
            else Text("healthy", style="green")
        )
        clusters.add_row(
            cluster.name,
            cluster.kind.value,
            cluster.subscription_id[:8] + "…",
            (cluster.workspace_id or "—").rsplit("/", 1)[-1],
            summary,
            str(inconclusive.get(cluster.key, 0)),
        )
    console.print(clusters)

    if result.findings:
        table = Table(title="Findings", title_justify="left", show_lines=False)
        for col in ("severity", "check", "cluster", "subject", "title", "count", "last seen"):
            table.add_column(col, overflow="fold")
        for f in result.findings:
            table.add_row(
                _severity(f.severity),
                f.check,
                f.cluster_name,
                f.subject,
                f.title,
                str(f.count),
                f.last_seen.strftime("%m-%d %H:%M") if f.last_seen else "—",
            )
        console.print(table)
        seen: set[str] = set()
        for f in result.findings:
            if f.check in seen:
                continue
            seen.add(f.check)
            where = sorted({x.cluster_name for x in result.findings if x.check == f.check})
            steps = Text("\n").join(Text(f"{i}. {step}") for i, step in enumerate(f.remediation, 1))
            console.print(
                Panel(
                    Group(
                        Text(f.cause),
                        Text(""),
                        Text("What to do", style="bold"),
                        steps,
                        Text(f"\n{f.docs}", style="dim"),
                    ),
                    title=f"{f.check} · {f.title} · {', '.join(where)}",
                    title_align="left",
                    border_style=SEVERITY_STYLE[f.severity].split()[-1],
                )
            )
    reasons = Counter(c.reason for c in result.coverage if c.status is CoverageStatus.INCONCLUSIVE)
    if reasons:
        table = Table(title="Could not conclude (never counted as healthy)", title_justify="left")
        table.add_column("reason", overflow="fold")
        table.add_column("cluster × check", justify="right")
        for reason, count in reasons.most_common(10):
            table.add_row(reason, str(count))
        console.print(table)
    for error in result.errors:
        console.print(f"[yellow]source error[/] {error.source} {error.scope}: {error.message}")
