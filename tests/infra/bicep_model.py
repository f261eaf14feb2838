"""Read the pycep-parser JSON of infra/*.bicep: resources and modules with their
conditional / loop wrappers removed, and variable references resolved."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pycep import BicepParser

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"
GUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b")


@dataclass(frozen=True)
class Resource:
    file: str
    symbol: str
    type: str
    api_version: str
    config: dict[str, Any]
    condition: Any
    loop: Any


def bicep_files() -> list[Path]:
    return sorted(INFRA.rglob("*.bicep"))


@cache
def parsed() -> dict[str, dict[str, Any]]:
    """Every Bicep file, keyed by its path relative to infra/ (parsing fails the test run)."""
    parser = BicepParser()
    return {str(p.relative_to(INFRA)): parser.parse(file_path=p) for p in bicep_files()}


def _unwrap(config: dict[str, Any]) -> tuple[dict[str, Any], Any, Any]:
    # pycep nests the body of `= if (...) {}` and `= [for ...: {}]` under config.config.
    if "config" in config and ("condition" in config or "loop_type" in config):
        return config["config"], config.get("condition"), config.get("loop_type")
    return config, None, None


def resources(file: str | None = None) -> Iterator[Resource]:
    for name, doc in parsed().items():
        if file is not None and name != file:
            continue
        for symbol, res in (doc.get("resources") or {}).items():
            config, condition, loop = _unwrap(res["config"])
            yield Resource(name, symbol, res["type"], res["api_version"], config, condition, loop)


def resources_of_type(type_: str, file: str | None = None) -> list[Resource]:
    return [r for r in resources(file) if r.type.lower() == type_.lower()]


def module(file: str, symbol: str) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """(module declaration, its body, its loop) of a module in `file`."""
    decl = parsed()[file]["modules"][symbol]
    body, _, loop = _unwrap(decl["config"])
    return decl, body, loop


def target_scope(file: str) -> str:
    return ((parsed()[file].get("globals") or {}).get("scope") or {}).get("value", "resourceGroup")


def variables(file: str) -> dict[str, Any]:
    return {k: v["value"] for k, v in (parsed()[file].get("variables") or {}).items()}


def parameters(file: str) -> dict[str, dict[str, Any]]:
    return parsed()[file].get("parameters") or {}


def decorators(param: dict[str, Any]) -> dict[str, Any]:
    return {d["type"]: d.get("argument") for d in param.get("decorators", [])}


def strings(value: Any) -> Iterator[str]:
    """Every string leaf of a parsed expression."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def guids_in(value: Any, file: str) -> set[str]:
    """GUIDs in an expression, following references to the file's variables."""
    found: set[str] = set()
    names = variables(file)
    for s in strings(value):
        found.update(GUID.findall(s))
        if s in names:
            found.update(guids_in(names[s], file))
    return found


def ref(value: Any) -> Any:
    """`a.b.c` for a parsed property access (pycep nests it as property_accessor operators)."""
    if isinstance(value, dict) and (value.get("operator") or {}).get("type") == "property_accessor":
        operands = value["operator"]["operands"]
        return f"{ref(operands['operand_1'])}.{ref(operands['operand_2'])}"
    return value
