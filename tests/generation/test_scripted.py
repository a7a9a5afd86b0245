"""The scripted backend: deterministic fakes behind the same factory, with the request cache and the
failures file of a live generator."""

from __future__ import annotations

import json

import pytest

from reasonledger.engine.rundir import RunDir
from reasonledger.generation.backends import make_backend
from reasonledger.generation.backends.scripted import SCRIPTS, ScriptedBackend, scripted_spec
from reasonledger.generation.generator import Generator
from reasonledger.generation.protocol import Choice, Failure, GenerationRequest, GeneratorSpec, Response


def chat(text: str, n: int = 1, seed: int = 0, sample: int = 0) -> GenerationRequest:
    body = {"model": "judge", "messages": [{"role": "user", "content": text}], "seed": seed, **({"n": n} if n > 1 else {})}
    return GenerationRequest("chat", body, sample)


def test_a_function_script_answers_each_sample_and_its_answers_are_cached(tmp_path):
    calls: list[tuple[str, int]] = []

    def fooled_by_thought_process(request: GenerationRequest, sample: int) -> str:
        calls.append((request.lookup, sample))
        return "Final Decision: Yes" if "Thought process:" in request.lookup else f"Final Decision: No ({sample})"

    spec = scripted_spec(fooled_by_thought_process)
    assert isinstance(make_backend(spec), ScriptedBackend)
    requests = [chat("Response: Thought process:"), chat("Response: 42", n=3, sample=4)]
    with Generator(spec, tmp_path) as generator:
        first = generator.generate(requests)
        assert generator.counters["requests.sent"] == 2
    assert [c.text for c in first[0].choices] == ["Final Decision: Yes"]
    assert [c.text for c in first[1].choices] == [f"Final Decision: No ({s})" for s in (4, 5, 6)]
    assert generator.model == "scripted:" + spec.script
    with Generator(spec, tmp_path) as again:
        second = again.generate(requests)
        assert again.counters["requests.cached"] == 2 and "requests.sent" not in again.counters
    assert len(calls) == 4  # the second generator answered from the request cache
    assert [o.choices for o in second] == [o.choices for o in first] and all(o.cached for o in second)


def test_a_table_answers_by_prompt_or_request_key_and_says_what_it_does_not_know(tmp_path):
    known = chat("2+2?")
    spec = scripted_spec({"2+2?": ["4", {"text": "5", "finish_reason": "length"}],
                          chat("by key").key: [Choice("keyed")]})
    with Generator(spec, tmp_path) as generator:
        outcomes = generator.generate([known, chat("2+2?", sample=1), chat("by key"), chat("unknown")])
    assert [o.choices[0] for o in outcomes[:3]] == [Choice("4", "stop"), Choice("5", "length"), Choice("keyed", "stop")]
    missing = outcomes[3]
    assert isinstance(missing, Failure) and missing.kind == "script_missing" and "unknown" in missing.message
    failures = [json.loads(line) for line in RunDir(tmp_path).failures.read_text().splitlines()]
    assert [f["kind"] for f in failures] == ["script_missing"]


def test_a_script_may_answer_with_tool_calls_or_a_failure():
    def policy(request: GenerationRequest, sample: int) -> Choice | Failure:
        if "fail" in request.lookup:
            return Failure("http_500", "scripted outage", 1)
        call = {"id": "c1", "type": "function", "function": {"name": "add", "arguments": {"a": 1, "b": 2}}}
        return Choice("", "tool_calls", tool_calls=(call,))

    with Generator(scripted_spec(policy, name="tool-policy"), None) as generator:
        ok, failed = generator.generate([chat("add 1 and 2"), chat("fail")])
    assert isinstance(ok, Response) and ok.choices[0].tool_calls[0]["function"]["name"] == "add"
    assert isinstance(failed, Failure) and generator.counters["requests.failed.http_500"] == 1
    assert SCRIPTS["tool-policy"] is policy


def test_the_spec_names_what_is_missing():
    with pytest.raises(ValueError, match="needs `script`"):
        GeneratorSpec(backend="scripted")
    with pytest.raises(KeyError, match="unknown generation script 'nobody'"):
        make_backend(GeneratorSpec(backend="scripted", script="nobody"))
    with pytest.raises(ValueError, match="no function name"):
        make_backend(GeneratorSpec(backend="scripted", script_table={"p": [{"text": "", "tool_calls": [{"x": 1}]}]}))
