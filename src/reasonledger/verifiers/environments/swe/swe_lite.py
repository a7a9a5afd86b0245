"""The `swe_lite` environment: repair a one-file program with a single-site bug until its tests pass.

The agent's action is the repaired file: `write_file(path, content)` replaces the whole file (no
diff or search-replace form: a whole file leaves nothing to apply, so a malformed edit cannot exist).
`read_file(path)` shows it and `run_tests()` runs every test of the task in the code sandbox and
returns each failing test's status. The file is data here; it only ever runs in the sandbox.

`check` runs the final file on the instance's two test sets and returns one Component each:
`fail_to_pass` (the tests the bug failed: did the repair fix them?) and `pass_to_pass` (the tests the
bug passed: did the repair keep them?); a test the run never reached counts as failed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from reasonledger.verifiers.code.formats import ReferenceError_
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.base import Component, ToolCall, ToolError
from reasonledger.verifiers.environments.swe import testrun
from reasonledger.verifiers.environments.swe.sandboxed import SandboxedEnvironment

MAX_FILE_CHARS = 1 << 20

TOOL_SCHEMAS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "read_file", "description": "Show the content of the program file.",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}},
    {"type": "function", "function": {
        "name": "write_file", "description": "Replace the whole program file with `content` (the repaired file).",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}, "content": {"type": "string"}},
                       "required": ["path", "content"]}}},
    {"type": "function", "function": {
        "name": "run_tests", "description": "Run the task's tests on the current file; lists the tests that fail.",
        "parameters": {"type": "object", "properties": {}}}},
]


class SweLite(SandboxedEnvironment):
    """One program file and its tests, run in a lent code verifier's sandbox or the process's shared one."""

    id: ClassVar[str] = "swe_lite"
    version: ClassVar[str] = "1.0.0"
    tools: ClassVar[Mapping[str, str]] = {"read_file": "read_file", "write_file": "write_file", "run_tests": "run_tests"}
    schemas: ClassVar[list[dict[str, Any]]] = TOOL_SCHEMAS

    def __init__(self, verifier: CodeVerifier | None = None) -> None:
        super().__init__(verifier)
        self._task: Mapping[str, Any] = {}
        self._files: dict[str, str] = {}

    # -- protocol ---------------------------------------------------------------------------------
    def reset(self, task: Mapping[str, Any], seed: int = 0) -> None:
        for key in ("file", "program", "reference", "fail_to_pass", "pass_to_pass"):
            if key not in task:
                raise ValueError(f"a swe_lite task needs {key!r} (an Instance.as_task() payload); it has {sorted(task)}")
        self._task = task
        self._files = {str(task["file"]): str(task["program"])}

    def state(self) -> Any:
        return {"files": dict(sorted(self._files.items()))}

    def check(self, task: Mapping[str, Any], said: Sequence[str], calls: Sequence[ToolCall]) -> list[Component]:
        results = self._run(task)
        got = testrun.statuses([*task["fail_to_pass"], *task["pass_to_pass"]], results)
        evidence = {"run_failure": testrun.run_level_failure(results), "edited": self._files != {task["file"]: task["program"]}}
        return [self._component("fail_to_pass", task["fail_to_pass"], got, evidence),
                self._component("pass_to_pass", task["pass_to_pass"], got, evidence)]

    @staticmethod
    def _component(name: str, tests: Sequence[str], got: Mapping[str, str], evidence: dict) -> Component:
        failed = {t: got[t] for t in tests if got[t] != testrun.PASS}
        n = len(tests)
        return Component(name, passed=not failed, score=(n - len(failed)) / n if n else 1.0,
                         evidence={"n_tests": n, "failed": dict(list(failed.items())[:50]), "n_failed": len(failed), **evidence})

    def _run(self, task: Mapping[str, Any]) -> list[dict]:
        try:
            return testrun.run_tests(self._sandbox(), task["reference"], self._files[task["file"]])
        except ReferenceError_ as exc:
            raise ValueError(f"the swe_lite task's test reference is invalid: {exc}") from None

    # -- tools ------------------------------------------------------------------------------------
    def _path(self, path: Any) -> str:
        if path not in self._files:
            raise ToolError(f"no such file {path!r}; the repository holds {', '.join(sorted(self._files))}")
        return path

    def read_file(self, path: str) -> str:
        return self._files[self._path(path)]

    def write_file(self, path: str, content: str) -> str:
        path = self._path(path)
        if not isinstance(content, str):
            raise ToolError(f"content must be the file's text, not {type(content).__name__}")
        if len(content) > MAX_FILE_CHARS:
            raise ToolError(f"the file is over {MAX_FILE_CHARS} characters")
        self._files[path] = content
        return f"wrote {len(content)} characters to {path}"

    def run_tests(self) -> dict[str, Any]:
        """Every test of the task on the current file: how many pass, and the status of each that does not."""
        got = testrun.statuses([*self._task["fail_to_pass"], *self._task["pass_to_pass"]], self._run(self._task))
        failing = {name: status for name, status in got.items() if status != testrun.PASS}
        return {"passed": len(got) - len(failing), "failed": dict(list(failing.items())[:50]), "n_failed": len(failing)}
