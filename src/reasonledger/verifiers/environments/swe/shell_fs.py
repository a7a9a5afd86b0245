"""The `shell_fs` environment: shell commands on a small file tree, judged by file-system facts.

The state is the tree itself, as data (relative path -> entry, see shell_job.py). A `shell(command)`
call runs only in the code sandbox: a fresh sandbox process rebuilds the tree from the state, runs
`/bin/sh -c command` in it, and reports the resulting tree, which becomes the new state; nothing the
command does touches this process or the host. A command that times out keeps what it did before it
was killed; one that leaves a tree over the size bounds, or unreadable, is refused and changes nothing.

`check` returns one Component, `state`: every predicate of the task holds on the final tree.
Predicates ({"kind", "path", ...}):
  exists        something is at path (of `type` when given: file, dir or symlink; a link to `target` when given)
  absent        nothing is at path
  file_content  a file at path whose text is exactly `text`
  file_contains a file at path whose text contains `text`
  dir_listing   a directory at path whose entries (names, sorted) are exactly `entries`
  executable    a file at path with an execute bit set
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from reasonledger.records.agent import EnvironmentSpec, GoldAction, Limits as SpecLimits
from reasonledger.records.model import Kind, Record
from reasonledger.verifiers.code import execute
from reasonledger.verifiers.code.pool import Limits
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.base import Component, ToolCall, ToolError
from reasonledger.verifiers.environments.swe.sandboxed import SandboxedEnvironment

MAX_FILES = 500
MAX_BYTES = 1 << 20
COMMAND_TIME = 5.0  # seconds a command may run
MAX_COMMAND_CHARS = 10_000
ENTRY_TYPES = ("file", "dir", "symlink", "other")
PREDICATES = ("exists", "absent", "file_content", "file_contains", "dir_listing", "executable")

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "shell", "description": "Run a POSIX shell command in the task's working directory.",
        "parameters": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}}},
]


@cache
def _job_source() -> str:
    return (Path(__file__).with_name("shell_job.py")).read_text(encoding="utf-8")


def check_path(path: Any, where: str) -> str:
    """A relative path inside the tree: no leading '/', no '.', '..' or empty component."""
    if not isinstance(path, str) or not path or "\0" in path:
        raise ValueError(f"{where}: a path is a non-empty string, not {path!r}")
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"{where}: {path!r} must be relative, without '.', '..' or empty components")
    return path


def check_tree(tree: Any, where: str = "tree") -> dict[str, dict]:
    """A checked copy of a tree: paths valid, every entry's type known, parents of entries are directories."""
    if not isinstance(tree, Mapping):
        raise ValueError(f"{where}: a tree is a mapping of relative path -> entry")
    out: dict[str, dict] = {}
    for path, entry in tree.items():
        check_path(path, where)
        if not isinstance(entry, Mapping) or entry.get("type") not in ENTRY_TYPES:
            raise ValueError(f"{where}[{path!r}]: an entry is {{'type': one of {', '.join(ENTRY_TYPES)}, ...}}")
        out[path] = dict(entry)
    for path in out:
        parent = path.rpartition("/")[0]
        if parent and out.get(parent, {}).get("type", "dir") != "dir":
            raise ValueError(f"{where}[{path!r}]: its parent {parent!r} is not a directory")
    return dict(sorted(out.items()))


def check_predicates(predicates: Any, where: str = "predicates") -> list[dict]:
    if not isinstance(predicates, list) or not predicates:
        raise ValueError(f"{where}: a non-empty list of predicates")
    for i, p in enumerate(predicates):
        if not isinstance(p, Mapping) or p.get("kind") not in PREDICATES:
            raise ValueError(f"{where}[{i}]: a predicate is {{'kind': one of {', '.join(PREDICATES)}, 'path': ...}}")
        check_path(p.get("path"), f"{where}[{i}]")
        need = {"file_content": "text", "file_contains": "text", "dir_listing": "entries"}.get(p["kind"])
        if need and need not in p:
            raise ValueError(f"{where}[{i}]: a {p['kind']} predicate needs {need!r}")
    return [dict(p) for p in predicates]


def _text(entry: Mapping[str, Any] | None) -> str | None:
    return entry.get("text") if entry is not None and entry.get("type") == "file" else None


def holds(predicate: Mapping[str, Any], tree: Mapping[str, Mapping[str, Any]]) -> bool:
    """Whether one predicate holds on a tree."""
    kind, path = predicate["kind"], predicate["path"]
    entry = tree.get(path)
    if kind == "exists":
        return entry is not None and all(predicate.get(k, entry.get(k)) == entry.get(k) for k in ("type", "target"))
    if kind == "absent":
        return entry is None
    if kind == "file_content":
        return _text(entry) == predicate["text"]
    if kind == "file_contains":
        text = _text(entry)
        return text is not None and str(predicate["text"]) in text
    if kind == "dir_listing":
        if entry is None or entry["type"] != "dir":
            return False
        names = sorted(p[len(path) + 1:] for p in tree if p.startswith(path + "/") and "/" not in p[len(path) + 1:])
        return names == sorted(predicate["entries"])
    return entry is not None and entry["type"] == "file" and bool(entry.get("executable"))  # executable


def shell_tasks() -> list[dict[str, Any]]:
    """The shipped task set (shell_tasks.json): instruction, initial tree, predicates and gold commands, checked."""
    tasks = json.loads(Path(__file__).with_name("shell_tasks.json").read_text(encoding="utf-8"))
    for task in tasks:
        check_tree(task["tree"], f"{task['task_id']}.tree")
        check_predicates(task["predicates"], f"{task['task_id']}.predicates")
    return tasks


def task_record(task: Mapping[str, Any]) -> Record:
    """One shipped task as a task record (no behaviour yet): the instruction as the prompt, an
    EnvironmentSpec for shell_fs as the reference (the gold commands as gold actions, the state as the
    reward basis), the `environment` verifier."""
    env = ShellFs()
    env.reset(task)
    payload = {k: task[k] for k in ("tree", "predicates")}
    spec = EnvironmentSpec(env=ShellFs.id, version=ShellFs.version, initial_state_hash=env.state_hash(),
                           task_id=task["task_id"], task=payload, reward_basis=["state"],
                           gold_actions=[GoldAction(name="shell", arguments={"command": c}) for c in task["gold_commands"]],
                           limits=SpecLimits(max_steps=10), tools=TOOL_SCHEMAS)
    prompt = (f"{task['instruction']}\n\nYou are in the task's working directory; run POSIX shell commands with the "
              "shell tool.")
    return Record(kind=Kind.prompt_answer, task={
        "prompt": prompt, "reference": spec.as_reference(), "domain": "tool_use",
        "source": {"dataset": "reasonledger/shell_fs", "revision": ShellFs.version, "row_id": task["task_id"],
                   "license": "Apache-2.0"},
        "verifier": {"name": "environment"}})


class ShellFs(SandboxedEnvironment):
    """A file tree the agent changes with shell commands, run in a lent code verifier's sandbox or the process's shared one."""

    id: ClassVar[str] = "shell_fs"
    version: ClassVar[str] = "1.0.0"
    tools: ClassVar[Mapping[str, str]] = {"shell": "shell"}
    schemas: ClassVar[list[dict[str, Any]]] = TOOL_SCHEMAS

    def __init__(self, verifier: CodeVerifier | None = None, command_time: float = COMMAND_TIME) -> None:
        super().__init__(verifier)
        self.command_time = command_time
        self._tree: dict[str, dict] = {}

    def reset(self, task: Mapping[str, Any], seed: int = 0) -> None:
        self._tree = check_tree(task.get("tree", {}), "task.tree")
        check_predicates(task.get("predicates"), "task.predicates")

    def state(self) -> Any:
        return {"tree": self._tree}

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        predicates = check_predicates(task.get("predicates"), "task.predicates")
        failed = [p for p in predicates if not holds(p, self._tree)]
        n = len(predicates)
        return [Component("state", passed=not failed, score=(n - len(failed)) / n,
                          evidence={"n_predicates": n, "failed": failed})]

    # -- the tool ---------------------------------------------------------------------------------
    def shell(self, command: str) -> dict[str, Any]:
        if not isinstance(command, str) or not command.strip():
            raise ToolError("command must be a non-empty string")
        if len(command) > MAX_COMMAND_CHARS:
            raise ToolError(f"the command is over {MAX_COMMAND_CHARS} characters")
        report = self._run(command)
        if "error" in report:
            raise ToolError(f"{report['error']}; the command's changes are not kept")
        self._tree = check_tree(report["tree"], "the sandbox's tree")
        return {"exit_code": report["exit_code"], "timed_out": report["timed_out"], "stdout": report["stdout"],
                "stderr": report["stderr"]}

    def _run(self, command: str) -> dict[str, Any]:
        """One sandbox run of shell_job.py; its one JSON line, or an error report."""
        verifier = self._sandbox()
        base = verifier.limits
        limits = Limits(time=self.command_time + 5.0, memory=base.memory, output=base.output, pids=base.pids)
        job = {"tree": self._tree, "command": command, "timeout": self.command_time, "max_files": MAX_FILES,
               "max_bytes": MAX_BYTES}
        with verifier.pool().slot() as slot:
            out = execute.run_program(slot, _job_source(), json.dumps(job), limits)
        if out["status"] is not None:
            return {"error": f"the sandbox run failed: {out['status']} {execute.short(str(out['error']), 300)}"}
        try:
            report = json.loads(out["stdout_bytes"].decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return {"error": f"the sandbox's report does not decode: {exc}"}
        return report if isinstance(report, dict) else {"error": "the sandbox's report is not an object"}
