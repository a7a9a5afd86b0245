"""Families x record kinds: what the atlas holds beside what reasonledger can verify and build today.

reasonledger's side is read from its registries, not from a list kept here: verifiers by their
`family`, importers and steps by the record kinds their code builds (`Record(kind=Kind.x)` or a
`kind = Kind.x` assignment, read from their source). An importer or step that builds no fixed kind
(the envelope reader, filters, verify) works on every kind and is listed apart.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from reasonledger.atlas.load import Entry
from reasonledger.atlas.vocab import FAMILIES
from reasonledger.engine.step import known_steps, step_class
from reasonledger.formats.importers import IMPORTERS
from reasonledger.records.model import Kind
from reasonledger.verifiers.registry import available_verifiers, verifier_class

KINDS = tuple(k.value for k in Kind)


def _kind_names(node: ast.AST) -> set[str]:
    return {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name)
            and n.value.id == "Kind" and n.attr in KINDS}


def _callee(module: Any, func: ast.expr) -> Any:
    """The reasonledger function a call names (`helper(...)` or `sibling_module.helper(...)`), if any."""
    if isinstance(func, ast.Name):
        callee = getattr(module, func.id, None)
    elif isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        callee = getattr(getattr(module, func.value.id, None), func.attr, None)
    else:
        return None
    return callee if inspect.isfunction(callee) and callee.__module__.startswith("reasonledger.") else None


def built_kinds(obj: Callable[..., Any] | type) -> set[str]:
    """Kinds a function or class builds, following its calls to reasonledger functions one level deep."""
    while isinstance(obj, partial):  # a preset importer is a partial of a generic reader
        obj = obj.func
    module = inspect.getmodule(obj)
    seen: set[str] = set()

    def scan(target: Any, depth: int) -> set[str]:
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(target)))
        except (OSError, TypeError):
            return set()
        found: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Record":
                found |= {k for kw in node.keywords if kw.arg == "kind" for k in _kind_names(kw.value)}
            elif isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Name) and t.id == "kind" or isinstance(t, ast.Tuple) and any(
                        getattr(e, "id", None) == "kind" for e in t.elts) for t in node.targets):
                found |= _kind_names(node.value)
            elif depth and isinstance(node, ast.Call):
                callee = _callee(module, node.func)
                if callee is not None and callee.__qualname__ not in seen:
                    seen.add(callee.__qualname__)
                    found |= scan(callee, depth - 1)
        return found

    return scan(obj, 1)


@dataclass
class Coverage:
    atlas: dict[tuple[str, str], list[Entry]] = field(default_factory=dict)
    verifiers: dict[str, list[str]] = field(default_factory=dict)
    importers: dict[str, list[str]] = field(default_factory=dict)
    steps: dict[str, list[str]] = field(default_factory=dict)
    any_kind_importers: list[str] = field(default_factory=list)
    any_kind_steps: list[str] = field(default_factory=list)
    unavailable_verifiers: list[str] = field(default_factory=list)

    def tool(self, family: str, kind: str) -> bool:
        """reasonledger can verify this family and build or import this kind today."""
        return bool(self.verifiers[family]) and bool(self.importers[kind] or self.steps[kind])

    def as_json(self) -> dict[str, Any]:
        return {
            "cells": [{"family": f, "kind": k, "atlas_entries": [e.id for e in self.atlas[f, k]],
                       "atlas_levels": sorted({e.level_label for e in self.atlas[f, k]}),
                       "verifiers": self.verifiers[f], "importers": self.importers[k], "steps": self.steps[k],
                       "reasonledger_covers": self.tool(f, k)} for f in FAMILIES for k in KINDS],
            "any_kind": {"importers": self.any_kind_importers, "steps": self.any_kind_steps},
            "unavailable_verifiers": self.unavailable_verifiers,
        }


def coverage(entries: list[Entry]) -> Coverage:
    out = Coverage()
    for family in FAMILIES:
        for kind in KINDS:
            out.atlas[family, kind] = [e for e in entries if family in e.families and kind in e.kinds]
    out.verifiers = {family: [] for family in FAMILIES}
    for name in available_verifiers():
        try:
            out.verifiers.setdefault(verifier_class(name).family, []).append(name)
        except KeyError:
            out.unavailable_verifiers.append(name)
    out.importers = {kind: [] for kind in KINDS}
    for name, importer in sorted(IMPORTERS.items()):
        built = built_kinds(importer)
        for kind in built:
            out.importers[kind].append(name)
        if not built:
            out.any_kind_importers.append(name)
    out.steps = {kind: [] for kind in KINDS}
    for name in known_steps():
        built = built_kinds(step_class(name))
        for kind in built:
            out.steps[kind].append(name)
        if not built:
            out.any_kind_steps.append(name)
    return out
