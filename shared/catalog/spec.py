"""The declarative half of a check: its YAML file, validated when loaded.

A check lives in `shared/checks/<family>/<ID>.yaml` (metadata, signatures and
texts in four languages) with an optional `<ID>.py` beside it that defines
`evaluate(ctx) -> list[Hit]` when the default matcher is not enough.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from shared.model import ClusterKind, Severity

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "de")
CHECK_ID = re.compile(r"^(EXT|ARC|LB|NODE|NET|MON)\d{3}$")
SIGNATURE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*$")
GUIDES = (
    "aks-cluster-extension-errors",
    "arc-kubernetes-platform-troubleshooting",
    "azure-cloud-provider-troubleshooting",
    "aks-node-health",
    "aks-network-troubleshooting",
    "fleetdoc",  # MON checks: our own coverage checks
)
# coverage: derived from the other checks' coverage of the same cluster (MON003)
SignalKind = Literal["logs", "arm", "metrics", "graph", "text", "coverage"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Texts(_Strict):
    title: str = Field(min_length=3)
    cause: str = Field(min_length=10)
    remediation: tuple[str, ...] = Field(min_length=1)

    @field_validator("remediation")
    @classmethod
    def _steps_not_empty(cls, steps: tuple[str, ...]) -> tuple[str, ...]:
        if any(not step.strip() for step in steps):
            raise ValueError("remediation steps must not be empty")
        return steps


class Signature(_Strict):
    """Terms that classify a log row or an error text.

    The same definition renders the KQL filter (`has` per term, so Log Analytics
    can use its term index) and the Python matcher used by `explain`.
    `where` adds a KQL-only predicate (e.g. a namespace), `query` replaces the
    classification entirely with a pipeline over `base` for shapes a term match
    cannot express (joins, latest-state aggregations).
    """

    name: str
    table: str | None = None  # None: text-only (explain), never queried
    all: tuple[str, ...] = ()  # every term must occur
    any: tuple[str, ...] = ()  # at least one must occur
    none: tuple[str, ...] = ()  # none may occur (near-miss guard)
    regex: str | None = None  # RE2-compatible, applied on top of the terms
    where: str | None = None  # extra KQL predicate over the table's columns
    subject: str | None = None  # KQL expression overriding the table's default subject
    query: str | None = None  # full pipeline after `base`, producing the standard summary columns
    explain: bool = True  # take part in `explain` (needs terms)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not SIGNATURE_NAME.match(value):
            raise ValueError(f"signature name {value!r} must be lower-kebab-case")
        return value

    @model_validator(mode="after")
    def _has_matcher(self) -> Signature:
        if self.query is None and not (self.all or self.any or self.where):
            raise ValueError(f"signature {self.name!r} needs terms (all/any), a where predicate or a query")
        if self.query is not None and self.table is None:
            raise ValueError(f"signature {self.name!r} has a query but no table")
        for term in (*self.all, *self.any, *self.none):
            if not term.strip() or any(ch in term for ch in '\r\n"\\'):
                raise ValueError(f"signature {self.name!r}: term {term!r} is empty or has quotes/newlines")
        return self

    @property
    def has_terms(self) -> bool:
        return bool(self.all or self.any)


class MetricSpec(_Strict):
    """An Azure Monitor platform metric read for the cluster's resources."""

    resource: Literal["node-vmss"]  # the node pools' scale sets in the node resource group
    namespace: str
    name: str
    aggregation: Literal["Average", "Maximum", "Minimum", "Total"]


GraphFact = Literal["arc-onboarding-principal-groups", "custom-locations-principal"]


class CheckSpec(_Strict):
    id: str
    severity: Severity
    applies_to: tuple[ClusterKind, ...] = Field(min_length=1)
    guide: str
    docs: str
    signal: tuple[SignalKind, ...] = Field(min_length=1)
    signatures: tuple[Signature, ...] = ()
    heartbeat: tuple[str, ...] = ()  # tables whose per-cluster `_heartbeat` rows the check reads
    metrics: tuple[MetricSpec, ...] = ()
    graph: tuple[GraphFact, ...] = ()
    sample: dict[str, Any] | None = None  # the scenario injected into the sample fleet (see shared/sample/builder.py)
    texts: dict[str, Texts]

    @field_validator("id")
    @classmethod
    def _id(cls, value: str) -> str:
        if not CHECK_ID.match(value):
            raise ValueError(f"check id {value!r} must look like EXT001, ARC012, LB003, NODE004, NET001 or MON002")
        return value

    @field_validator("guide")
    @classmethod
    def _guide(cls, value: str) -> str:
        if value not in GUIDES:
            raise ValueError(f"guide {value!r} is not one of {GUIDES}")
        return value

    @field_validator("docs")
    @classmethod
    def _docs(cls, value: str) -> str:
        if not value.startswith("https://learn.microsoft.com/"):
            raise ValueError("docs must be a https://learn.microsoft.com/ link")
        return value

    @field_validator("texts")
    @classmethod
    def _languages(cls, texts: dict[str, Texts]) -> dict[str, Texts]:
        missing = [lang for lang in LANGUAGES if lang not in texts]
        extra = [lang for lang in texts if lang not in LANGUAGES]
        if missing or extra:
            raise ValueError(f"texts need exactly {LANGUAGES}; missing {missing}, unexpected {extra}")
        return texts

    @model_validator(mode="after")
    def _signals_consistent(self) -> CheckSpec:
        names = [s.name for s in self.signatures]
        if len(names) != len(set(names)):
            raise ValueError(f"{self.id}: duplicate signature names {names}")
        queried = [s for s in self.signatures if s.table]
        if "logs" in self.signal and not (queried or self.heartbeat):
            raise ValueError(f"{self.id}: signal 'logs' needs a signature with a table, or heartbeat tables")
        if ("metrics" in self.signal) != bool(self.metrics):
            raise ValueError(f"{self.id}: signal 'metrics' and a metrics list go together")
        if ("graph" in self.signal) != bool(self.graph):
            raise ValueError(f"{self.id}: signal 'graph' and a graph list go together")
        if queried and "logs" not in self.signal:
            raise ValueError(f"{self.id}: signatures with a table need signal 'logs'")
        if "text" in self.signal and not any(s.has_terms for s in self.signatures):
            raise ValueError(f"{self.id}: signal 'text' needs signatures with terms")
        return self

    @property
    def tables(self) -> tuple[str, ...]:
        return tuple(sorted({s.table for s in self.signatures if s.table} | set(self.heartbeat)))

    @property
    def text_only(self) -> bool:
        return self.signal == ("text",)
