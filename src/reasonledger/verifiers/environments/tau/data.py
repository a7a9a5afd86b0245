"""τ-bench's data as pinned revisions: which files make a domain's database and tasks at a revision.

The data folder (`taubench/` in the shared test data) holds each domain at the current revision
(`<domain>/*.json`, `tasks_*.py`) and, under `rev_<sha>/<domain>/`, the files that differ at an
older revision. Task files are Python source: they are parsed with `ast` and their literals read
with `ast.literal_eval`; nothing in them is imported or run.
"""

from __future__ import annotations

import ast
import functools
import json
from pathlib import Path
from typing import Any

from reasonledger.verifiers.environments.base import EnvironmentUnavailable
from reasonledger.verifiers.environments.tau.tables import BaseTable, Snapshot

CURRENT = "59a200c"
# revision -> files that differ from the current revision, read from `rev_<revision>/<domain>/`
OVERRIDES: dict[str, tuple[str, ...]] = {CURRENT: (), "7362a17": ("users.json", "tasks_test.py")}
TABLES = {"airline": ("flights", "reservations", "users"), "retail": ("orders", "products", "users")}


class TauDataError(ValueError):
    """The data folder lacks a file a revision needs, or a task file is not the shape τ-bench writes."""


class TauDataMissing(TauDataError, EnvironmentUnavailable):
    """No τ-bench data where the environment was told to look: nothing can be replayed here."""


def data_file(root: Path, domain: str, revision: str, name: str) -> Path:
    if revision not in OVERRIDES:
        raise TauDataError(f"unknown τ-bench data revision {revision!r}; known: {', '.join(OVERRIDES)}")
    folder = root / f"rev_{revision}" / domain if name in OVERRIDES[revision] else root / domain
    path = folder / name
    if not path.is_file():
        raise TauDataMissing(f"{path}: missing (τ-bench {domain} data at revision {revision}); "
                           "point the environment's data_root (the verify step's config, or "
                           "$REASONLEDGER_DATA_ROOT) at the folder holding taubench/")
    return path


@functools.lru_cache(maxsize=8)
def snapshot(root: Path, domain: str, revision: str) -> Snapshot:
    """The domain's tables at `revision`, loaded once per process and shared read-only by every episode."""
    tables = {}
    for name in TABLES[domain]:
        path = data_file(root, domain, revision, f"{name}.json")
        with path.open(encoding="utf-8") as handle:
            rows = json.load(handle)
        if not isinstance(rows, dict):
            raise TauDataError(f"{path}: expected a JSON object of rows keyed by id, got {type(rows).__name__}")
        tables[name] = BaseTable(rows)
    return Snapshot(tables)


def _literal(node: ast.AST, path: Path) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError) as exc:
        raise TauDataError(f"{path}:{getattr(node, 'lineno', '?')}: not a literal ({exc}); "
                           "task files must hold literal values only") from exc


def _fields(node: ast.AST, path: Path) -> dict[str, Any]:
    """`Task(a=..., b=...)` / `Action(...)` calls as their keyword literals; dict literals as they are."""
    if isinstance(node, ast.Call) and not node.args:
        return {kw.arg: kw.value for kw in node.keywords if kw.arg is not None}
    if isinstance(node, ast.Dict) and all(isinstance(k, ast.Constant) for k in node.keys):
        return {k.value: v for k, v in zip(node.keys, node.values, strict=True)}  # type: ignore[union-attr]
    raise TauDataError(f"{path}:{getattr(node, 'lineno', '?')}: expected Task(...)/Action(...) with keyword "
                       "arguments or a dict literal")


def _action(node: ast.AST, path: Path) -> dict[str, Any]:
    fields = _fields(node, path)
    if "name" not in fields:
        raise TauDataError(f"{path}:{getattr(node, 'lineno', '?')}: an action without a name")
    args = fields.get("kwargs", fields.get("arguments"))
    return {"name": _literal(fields["name"], path), "arguments": {} if args is None else _literal(args, path)}


@functools.lru_cache(maxsize=16)
def read_tasks(path: Path) -> tuple[dict[str, Any], ...]:
    """The tasks of one `tasks_*.py` file, in order: user_id, instruction, gold actions and outputs."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lists = [node.value for node in tree.body
             if isinstance(node, ast.Assign) and isinstance(node.value, ast.List)]
    if len(lists) != 1:
        raise TauDataError(f"{path}: expected one top-level list of tasks, found {len(lists)}")
    tasks = []
    for node in lists[0].elts:
        fields = _fields(node, path)
        actions = fields.get("actions")
        if not isinstance(actions, ast.List):
            raise TauDataError(f"{path}:{node.lineno}: a task without a list of actions")
        outputs = fields.get("outputs")
        tasks.append({
            "user_id": _literal(fields["user_id"], path) if "user_id" in fields else None,
            "instruction": _literal(fields["instruction"], path) if "instruction" in fields else "",
            "actions": [_action(a, path) for a in actions.elts],
            "outputs": [] if outputs is None else list(_literal(outputs, path)),
        })
    return tuple(tasks)


def tasks(root: Path, domain: str, revision: str, split: str = "test") -> tuple[dict[str, Any], ...]:
    return read_tasks(data_file(root, domain, revision, f"tasks_{split}.py"))
