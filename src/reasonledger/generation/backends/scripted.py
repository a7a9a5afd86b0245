"""Scripted: deterministic fakes behind the same factory as the live and replay backends.

Tests of judges, rollouts and agent episodes need a model whose answers they choose: one that always
says "Output (a)", one fooled by "Thought process:", a policy that calls a tool and then stops. A
script is either a function, registered by name in the `generation script` registry (a plugin's
entry point adds them for recipes; `scripted_spec` registers one for a test), called as
`script(request, sample)` and returning the text, a `Choice` or a `Failure`; or a table in the spec,
from the text the model is asked to continue (`protocol.lookup_text`) or the request key to its
completions, sample j getting completion j mod their number. A prompt the script does not know is a
`script_missing` failure, never an invented answer. Scripted answers are cached like live ones, so
the request cache and resume are tested with them too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from reasonledger.generation.backends import Backend, Done
from reasonledger.generation.protocol import (
    BadResponse, Choice, Failure, GenerationRequest, GeneratorSpec, Response, excerpt, tool_calls)
from reasonledger.registry import registry

Script = Callable[[GenerationRequest, int], "str | Choice | Failure"]
SCRIPTS = registry("generation script")


def _choice(item: str | Mapping[str, Any] | Choice, where: str) -> Choice:
    if isinstance(item, Choice):
        return item
    if isinstance(item, str):
        return Choice(item, "stop")
    if isinstance(item, Mapping) and isinstance(item.get("text", ""), str):
        try:
            calls = tool_calls(item.get("tool_calls"))
        except BadResponse as exc:
            raise ValueError(f"{where}: {exc}") from None
        return Choice(item.get("text", ""), item.get("finish_reason") or ("tool_calls" if calls else "stop"),
                      item.get("reasoning"), calls)
    raise ValueError(f"{where}: a scripted answer is a string, a Choice or {{\"text\": ...}}, got {excerpt(repr(item), 80)}")


class ScriptedBackend(Backend):
    name = "scripted"

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.script: Script | None = SCRIPTS[spec.script] if spec.script else None
        self.table = {key: [_choice(c, f"script_table[{excerpt(key, 40)!r}][{i}]") for i, c in enumerate(items)]
                      for key, items in spec.script_table.items()}
        for key, choices in self.table.items():
            if not choices:
                raise ValueError(f"script_table[{excerpt(key, 40)!r}]: no completions")

    @property
    def model(self) -> str:
        return self.spec.model or f"scripted:{self.spec.script or 'table'}"

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "script": self.spec.script or f"table of {len(self.table)}"}

    def _answer(self, request: GenerationRequest, sample: int) -> Choice | Failure:
        if self.script is not None:
            answer = self.script(request, sample)
            return answer if isinstance(answer, Failure) else _choice(answer, f"script {self.spec.script}")
        choices = self.table.get(request.key) or self.table.get(request.lookup)
        if choices is None:
            return Failure("script_missing", f"the script has no answer for this prompt: {excerpt(request.lookup, 120)}",
                           1, extra={"retryable": False})
        return choices[sample % len(choices)]

    def run(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        for index, request in enumerate(requests):
            answers = [self._answer(request, request.sample + offset) for offset in range(request.n)]
            failure = next((a for a in answers if isinstance(a, Failure)), None)
            if failure is not None:
                done(index, failure)
                continue
            choices = [a for a in answers if isinstance(a, Choice)]
            words = sum(len(c.text.split()) for c in choices)
            done(index, Response(choices, self.model, len(request.lookup.split()), words))


def scripted_spec(script: Script | Mapping[str, Sequence[str | Mapping[str, Any] | Choice]], name: str | None = None,
                  **fields: Any) -> GeneratorSpec:
    """A scripted generator spec for Python callers (tests, notebooks): a function is registered under
    `name` (default: its module and qualified name) in this process; a mapping becomes the table."""
    if callable(script):
        name = name or f"{script.__module__}.{script.__qualname__}"
        SCRIPTS.add(name, script)
        return GeneratorSpec(backend="scripted", script=name, **fields)
    table = {key: [c.to_json() if isinstance(c, Choice) else c for c in items] for key, items in script.items()}
    return GeneratorSpec(backend="scripted", script_table=table, **fields)
