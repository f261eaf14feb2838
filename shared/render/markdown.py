"""Markdown report of a scan, for wikis, pull requests and tickets."""

from __future__ import annotations

import jinja2

from shared.engine.scan import ScanResult
from shared.model import CoverageStatus

_TEMPLATE = jinja2.Environment(autoescape=False, trim_blocks=True, lstrip_blocks=True).from_string(
    """# fleetdoc scan {{ r.scan_id }}

Source: {{ r.source }} · window {{ r.start.strftime('%Y-%m-%d %H:%M') }}Z → {{ r.end.strftime('%Y-%m-%d %H:%M') }}Z · \
{{ r.clusters|length }} clusters · {{ r.queries|length }} log queries · {{ r.findings|length }} findings

| severity | check | cluster | subject | title | count |
|---|---|---|---|---|---|
{% for f in r.findings %}
| {{ f.severity.value }} | {{ f.check }} | {{ f.cluster_name }} | `{{ f.subject }}` | {{ f.title }} | {{ f.count }} |
{% endfor %}
{% for f in firsts %}

## {{ f.check }} · {{ f.title }}

{{ f.cause }}

{% for step in f.remediation %}
{{ loop.index }}. {{ step }}
{% endfor %}

Docs: {{ f.docs }}
{% endfor %}
{% if inconclusive %}

## Could not conclude

| cluster | check | reason |
|---|---|---|
{% for c in inconclusive %}
| {{ names[c.cluster.lower()] }} | {{ c.check }} | {{ c.reason }} |
{% endfor %}
{% endif %}
"""
)


def render_markdown(result: ScanResult) -> str:
    firsts, seen = [], set()
    for finding in result.findings:
        if finding.check not in seen:
            seen.add(finding.check)
            firsts.append(finding)
    inconclusive = [c for c in result.coverage if c.status is CoverageStatus.INCONCLUSIVE]
    names = {c.key: c.name for c in result.clusters}
    return _TEMPLATE.render(r=result, firsts=firsts, inconclusive=inconclusive, names=names)
