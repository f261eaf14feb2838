"""Benchmark: `fleetdoc scan --format json` over a generated fleet with N ContainerLogV2 rows.

    .venv/bin/python bench/scan_bench.py [--rows 1000000] [--clusters 12] [--repeat 3]

Generation is timed separately from the scan. The scan is run as the CLI runs
(a fresh process), so DuckDB loading, query execution and rendering all count.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clusters", type=int, default=12)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from shared.sample.fleet import generate

    with tempfile.TemporaryDirectory(prefix="fleetdoc-bench-") as tmp:
        started = time.perf_counter()
        path = generate(Path(tmp), clusters=args.clusters, rows=args.rows, now=datetime(2026, 11, 20, 12, tzinfo=UTC))
        generated = time.perf_counter() - started
        rows = sum(1 for p in path.rglob("*.jsonl") for _ in p.open(encoding="utf-8"))
        logs = sum(1 for p in path.rglob("ContainerLogV2.jsonl") for _ in p.open(encoding="utf-8"))
        cmd = [sys.executable, "-m", "shared.cli", "scan", "--source", "local", "--data", str(path), "--format", "json"]
        times, doc = [], {}
        for _ in range(args.repeat):
            started = time.perf_counter()
            out = subprocess.run(cmd, check=True, capture_output=True, text=True)
            times.append(time.perf_counter() - started)
            doc = json.loads(out.stdout)
    result = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "clusters": len(doc["clusters"]),
        "rows_total": rows,
        "container_log_rows": logs,
        "queries": doc["scan"]["queries"],
        "findings": len(doc["findings"]),
        "generate_s": round(generated, 1),
        "scan_s_median": round(statistics.median(times), 2),
        "scan_s_runs": [round(t, 2) for t in times],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
