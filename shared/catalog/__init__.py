"""The check catalog: every check's YAML and optional matcher, loaded and validated once."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from shared.catalog.spec import LANGUAGES, CheckSpec, Texts
from shared.model import ClusterKind, Hit, Severity

CHECKS_DIR = Path(__file__).resolve().parent.parent / "checks"


class CatalogError(Exception):
    """A check definition is invalid; raised at load time, never during a scan."""


Evaluate = Callable[["CheckContext"], list[Hit]]  # noqa: F821 - defined in shared.engine.context


@dataclass(frozen=True)
class Check:
    spec: CheckSpec
    evaluate: Evaluate | None  # None: the default matcher (one hit per signature subject)
    path: Path

    @property
    def id(self) -> str:
        return self.spec.id

    @property
    def severity(self) -> Severity:
        return self.spec.severity

    def applies_to(self, kind: ClusterKind) -> bool:
        return kind in self.spec.applies_to

    def texts(self, lang: str) -> Texts:
        return self.spec.texts[lang if lang in LANGUAGES else "en"]


class Catalog:
    def __init__(self, checks: list[Check]):
        self._checks = {c.id: c for c in sorted(checks, key=_order)}

    def __iter__(self) -> Iterator[Check]:
        return iter(self._checks.values())

    def __len__(self) -> int:
        return len(self._checks)

    def __getitem__(self, check_id: str) -> Check:
        return self._checks[check_id]

    def __contains__(self, check_id: object) -> bool:
        return check_id in self._checks

    def ids(self) -> list[str]:
        return list(self._checks)


_FAMILY_ORDER = ("EXT", "ARC", "LB", "NODE", "NET", "MON")


def _order(check: Check) -> tuple[int, str]:
    family = check.id.rstrip("0123456789")
    return (_FAMILY_ORDER.index(family), check.id)


def load_check(path: Path) -> Check:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise CatalogError(f"{path}: invalid YAML: {err}") from err
    try:
        spec = CheckSpec.model_validate(raw)
    except ValidationError as err:
        raise CatalogError(f"{path}: {err}") from err
    if spec.id != path.stem:
        raise CatalogError(f"{path}: file name must be the check id {spec.id}")
    evaluate = None
    if path.with_suffix(".py").exists():
        module = importlib.import_module(f"shared.checks.{path.parent.name}.{path.stem}")
        evaluate = getattr(module, "evaluate", None)
        if not callable(evaluate):
            raise CatalogError(f"{path.with_suffix('.py')}: must define evaluate(ctx) -> list[Hit]")
    return Check(spec=spec, evaluate=evaluate, path=path)


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    checks = [load_check(p) for p in sorted(CHECKS_DIR.glob("*/*.yaml"))]
    seen: dict[str, Path] = {}
    for check in checks:
        if check.id in seen:
            raise CatalogError(f"duplicate check id {check.id}: {seen[check.id]} and {check.path}")
        seen[check.id] = check.path
    return Catalog(checks)
