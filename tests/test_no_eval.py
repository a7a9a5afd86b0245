"""Model output is parsed, never run in our process: no module passes text to eval/exec/compile
outside the code sandbox, and replaying episodes whose arguments are Python code never calls them."""

from __future__ import annotations

import ast
import builtins
import json
from pathlib import Path

import pytest

import reasonledger
from reasonledger.records.model import Record
from reasonledger.verifiers import get_verifier
from tests.verifiers.environments import counter

SRC = Path(reasonledger.__file__).parent
RUNNERS = {"eval", "exec", "compile"}
# Modules allowed to call them, and why. A stale entry fails: the list only shrinks with the code.
ALLOWED = {
    "verifiers/code/runner.py": "the sandbox worker: runs the candidate program inside the sandbox",
    "verifiers/code/execute.py": "compiles the dataset's own test and setup code (not model output) for the sandbox",
}
def hostile(marker: Path) -> str:
    """Python that, were it ever run, would create `marker` (a file under the test's own tmp_path)."""
    return f"__import__('os').system('touch {marker}')"


def runner_calls(path: Path) -> list[int]:
    """Lines calling eval/exec/compile by name or as builtins.<name> (re.compile and the like are methods)."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        if isinstance(func, ast.Name) and func.id in RUNNERS:
            lines.append(node.lineno)
        elif (isinstance(func, ast.Attribute) and func.attr in RUNNERS and isinstance(func.value, ast.Name)
              and func.value.id in {"builtins", "__builtins__"}):
            lines.append(node.lineno)
    return lines


def test_only_the_sandbox_modules_call_eval_exec_or_compile():
    found = {path.relative_to(SRC).as_posix(): lines for path in sorted(SRC.rglob("*.py"))
             if (lines := runner_calls(path))}
    outside = {name: lines for name, lines in found.items() if name not in ALLOWED}
    assert outside == {}, f"eval/exec/compile outside the sandbox: {outside}"
    assert set(ALLOWED) <= set(found), f"stale allow-list entries: {set(ALLOWED) - set(found)}"


@pytest.fixture
def no_runners(monkeypatch):
    """A switch: once armed, eval and exec raise on text (imports still exec the code objects they
    load) and compile raises unless it only parses to an AST (ast.parse, ast.literal_eval). Arm it after
    a warm-up run, so that importing a module whose source changed is not taken for running text."""
    real_compile = builtins.compile

    def refuse(name):
        real = getattr(builtins, name)

        def call(source, *args, **kwargs):
            if isinstance(source, (str, bytes)):
                raise AssertionError(f"{name} called on text {str(source)[:80]!r}")
            return real(source, *args, **kwargs)
        return call

    def parse_only(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:
            raise AssertionError(f"compile to code called on {str(source)[:80]!r}")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    def arm() -> None:
        monkeypatch.setattr(builtins, "eval", refuse("eval"))
        monkeypatch.setattr(builtins, "exec", refuse("exec"))
        monkeypatch.setattr(builtins, "compile", parse_only)
    return arm


def test_replaying_code_in_arguments_never_runs_it(no_runners, tmp_path):
    counter.register()
    marker = tmp_path / "ran"
    code = hostile(marker)
    messages = counter.conversation(("add", {"n": code}, "Error: x"), ("add", {"n": 2}, "2"))
    messages.insert(3, {"role": "assistant", "content": "", "tool_calls": [
        {"id": "raw", "type": "function", "function": {"name": "add", "arguments": code}}]})
    messages.insert(4, {"role": "tool", "tool_call_id": "raw", "name": "add", "content": "Error"})
    record = Record(kind="episode", task={"prompt": "p", "reference": counter.spec(), "source": {"dataset": "t"}},
                    behaviour={"messages": messages})
    get_verifier("environment").verify_record(record)
    no_runners()
    verdicts = {v.target: v for v in get_verifier("environment").verify_record(record)}
    assert verdicts["step:0"].evidence["error_kind"] == "bad_arguments"
    assert verdicts["step:1"].evidence["error_kind"] == "bad_arguments"
    assert not marker.exists()


def test_taubench_tools_given_code_never_run_it(no_runners, shared_data, tmp_path):
    from reasonledger.verifiers.environments.base import ToolCall
    from reasonledger.verifiers.environments.tau.airline import TauAirline

    marker = tmp_path / "ran"
    code = hostile(marker)
    env = TauAirline(shared_data, "7362a17")
    env.reset()
    env.step(ToolCall("calculate", {"expression": "1+1"}))
    no_runners()
    for call in (ToolCall("calculate", {"expression": code}), ToolCall("calculate", {"expression": "(2+3)*4"}),
                 ToolCall("get_user_details", {"user_id": code}),
                 ToolCall.from_openai({"function": {"name": "calculate", "arguments": json.dumps(code)}})):
        env.step(call)
    assert env.step(ToolCall("calculate", {"expression": "(2+3)*4"})).observation == "20.0"
    assert not marker.exists()
