"""YAML recipes: sources, steps and outputs, validated with errors that name the bad key."""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reasonledger import safe_yaml
from reasonledger.engine.outputs import OutputSpec
from reasonledger.engine.source import Source, source_class
from reasonledger.engine.step import Step, step_class
from reasonledger.records.model import json_digest
from reasonledger.registry import Registry, registry
from reasonledger.userconfig import UserConfigError


class RecipeError(ValueError):
    """A recipe problem, said as `where: what is wrong`."""


# What every recipe load checks besides the recipe itself (reasonledger's own: the operator's verifier
# limits, verifiers/policy.py), named in the plugins so that the engine imports no room above it.
LOAD_CHECKS: Registry[Callable[[], object]] = registry("load check")


class _Spec(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: str

    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class Recipe(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    seed: int = 0
    shard_rows: int = Field(500, gt=0)
    workers: int | None = Field(None, gt=0)
    sources: list[_Spec] = Field(min_length=1)
    steps: list[_Spec] = Field(default_factory=list)
    outputs: list[OutputSpec] = Field(default_factory=list)  # `verl` or `{verl: {options}}`, checked at load
    card: dict[str, Any] = Field(default_factory=dict)
    # The loss floor (engine/accounting.py): a source dataset or reasoning-gym family losing a larger
    # share than max_loss fails the build, unless allow_loss allows that share for it by name.
    max_loss: float = Field(0.5, ge=0.0, le=1.0)
    allow_loss: dict[str, Annotated[float, Field(ge=0.0, le=1.0)]] = Field(default_factory=dict)

    @property
    def digest(self) -> str:
        return json_digest(self.model_dump(mode="json"))


_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 3, 80, 80
_SHORT.maxlist = _SHORT.maxtuple = _SHORT.maxdict = _SHORT.maxset = 5


def _errors(exc: ValidationError, prefix: str = "") -> str:
    """One line per error (the first 20), quoting a bounded prefix of the bad value, never all of it."""
    lines = []
    for err in exc.errors()[:20]:
        where = ".".join(str(p) for p in (prefix, *err["loc"]) if p != "")
        got = f" (got {_SHORT.repr(err['input'])[:200]})" if err["type"] not in ("missing",) and not isinstance(err["input"], dict) else ""
        lines.append(f"{where or 'recipe'}: {err['msg']}{got}")
    if exc.error_count() > 20:
        lines.append(f"... and {exc.error_count() - 20:,} more")
    return "\n".join(lines)


def apply_override(data: dict[str, Any], assignment: str) -> None:
    """Apply `a.b.0.c=value` (value parsed as YAML) to the raw recipe."""
    key, sep, raw = assignment.partition("=")
    if not sep or not key:
        raise RecipeError(f"--set {assignment!r}: expected KEY=VALUE, e.g. sources.0.size=200")
    parts = key.split(".")
    node: Any = data
    for depth, part in enumerate(parts):
        last = depth == len(parts) - 1
        where = ".".join(parts[: depth + 1])
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise RecipeError(f"--set {key}: {where} is not an index of a list of {len(node)}")
            index: Any = int(part)
        elif isinstance(node, dict):
            index = part
        else:
            raise RecipeError(f"--set {key}: {'.'.join(parts[:depth])} is a value, not a mapping or list")
        if last:
            try:
                node[index] = safe_yaml.safe_load(raw)
            except yaml.YAMLError as exc:
                raise RecipeError(f"--set {key}: the value is not valid YAML: {exc}") from None
        else:
            if isinstance(node, dict) and index not in node:
                node[index] = {}
            node = node[index]


def load_recipe(path: Path | str, overrides: list[str] | tuple[str, ...] = ()) -> Recipe:
    path = Path(path)
    try:
        data = safe_yaml.load_file(path)
    except FileNotFoundError:
        raise RecipeError(f"{path}: no such recipe file") from None
    except UnicodeDecodeError as exc:
        raise RecipeError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except yaml.YAMLError as exc:
        raise RecipeError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RecipeError(f"{path}: a recipe is a mapping with name, sources, steps and outputs")
    for assignment in overrides:
        apply_override(data, assignment)
    try:
        recipe = Recipe.model_validate(data)
    except ValidationError as exc:
        raise RecipeError(f"{path}:\n{_errors(exc)}") from None
    try:  # fail now, not in a worker, on bad source or step params or a bad operator config
        for check in LOAD_CHECKS.values():
            check()
        instantiate(recipe, path.parent)
    except RecipeError as exc:
        raise RecipeError(f"{path}: {exc}") from None
    except UserConfigError as exc:
        raise RecipeError(f"your reasonledger config: {exc}") from None
    return recipe


def instantiate(recipe: Recipe, base_dir: Path) -> tuple[list[Source], list[Step]]:
    sources, steps = [], []
    for i, spec in enumerate(recipe.sources):
        sources.append(_build(f"sources.{i}", spec, lambda cls, p: cls(base_dir, recipe.seed, **p), source_class))
    for i, spec in enumerate(recipe.steps):
        steps.append(_build(f"steps.{i}", spec, lambda cls, p: cls(**p), step_class))
        steps[-1].base_dir = base_dir
        try:
            steps[-1].check_at_load()
        except ValueError as exc:
            raise RecipeError(f"steps.{i}.{exc}") from None
    return sources, steps


def _build(where: str, spec: _Spec, make: Any, lookup: Any) -> Any:
    try:
        cls = lookup(spec.type)
    except KeyError as exc:
        raise RecipeError(f"{where}.type: {exc.args[0]}") from None
    try:
        return make(cls, spec.params())
    except ValidationError as exc:
        raise RecipeError(_errors(exc, where)) from None
    except ValueError as exc:
        raise RecipeError(f"{where}.{exc}") from None
