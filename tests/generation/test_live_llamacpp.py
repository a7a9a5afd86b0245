"""The live path against a real server, not our own: llama.cpp's OpenAI-compatible server with
SmolLM2-135M (skipped without the extra, see tests/generation/llamacpp.py). Its quirks are handled:
HTTP 400 to `n` > 1 (the samples go one request each, counted), `finish_reason: length` at
`max_tokens` (an answer, recorded), text that differs between builds (never asserted). SmolLM2's chat
template has no tool support, so the server answers an agent's requests in plain text: the episode
test checks the loop, its records and the cache; tool calls from the wire are tested against our own
server (tests/generation/test_generator.py) and with scripted policies (tests/construct/test_episodes.py)."""

from __future__ import annotations

from reasonledger.construct.rollouts import Rollouts
from reasonledger.engine.step import StepContext
from reasonledger.generation.generator import Generator
from reasonledger.generation.protocol import GenerationRequest, GeneratorSpec, Response
from tests.generation.llamacpp import MODEL


def live(url: str, **fields) -> GeneratorSpec:
    return GeneratorSpec(endpoint=url, timeout=120, retries=1, backoff=0.1, **fields)


def test_the_served_model_is_found_and_a_chat_completion_comes_back(llama_server):
    request = GenerationRequest("chat", {"model": MODEL, "messages": [{"role": "user", "content": "Say hi."}],
                                         "max_tokens": 4, "temperature": 0, "seed": 1})
    with Generator(live(llama_server), None) as generator:
        assert generator.model == MODEL  # GET /models answers the alias
        (outcome,) = generator.generate([request])
    assert isinstance(outcome, Response), outcome
    (choice,) = outcome.choices
    assert isinstance(choice.text, str) and choice.finish_reason in ("stop", "length")
    assert outcome.prompt_tokens > 0 and 0 < outcome.completion_tokens <= 4


def test_rollouts_end_to_end_with_n_refused_length_stops_and_the_request_cache(llama_server, tmp_path):
    from tests.construct.conftest import prompt_record

    records = [prompt_record("What is 2+3?", "5", row=0), prompt_record("What is 7-4?", "3", row=1)]
    params = dict(n=2, request_n=2, sampling={"temperature": 0.7, "max_tokens": 3},
                  generator={"endpoint": llama_server, "model": MODEL, "timeout": 120, "retries": 1})
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    step = Rollouts(**params)
    sets = list(step.process(iter(records), ctx))
    step.close()
    by = ctx.stats["00-rollouts"].by
    assert [len(s.behaviour.rollouts) for s in sets] == [2, 2]
    assert by["wire"]["n_unsupported"] >= 1 and by["wire"]["n_split_requests"] == 4  # 400 to n=2, then 1 by 1
    assert by["requests"]["sent"] == 2 and by["tokens"]["completion"] > 0
    metas = [r.meta for s in sets for r in s.behaviour.rollouts]
    assert {m["model"] for m in metas} == {MODEL} and [m["sample"] for m in metas] == [0, 1, 0, 1]
    lengths = sum(m["finish_reason"] == "length" for m in metas)
    assert lengths == ctx.stats["00-rollouts"].counts.get("finish.length", 0)  # a cut answer is kept and counted, not an error
    assert sets[0].lineage.events[-1].model == MODEL and sets[0].lineage.parents == [records[0].id]

    again = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    step = Rollouts(**params)
    replayed = list(step.process(iter(records), again))
    step.close()
    assert again.stats["00-rollouts"].by["requests"]["cached"] == 2 and "sent" not in again.stats["00-rollouts"].by["requests"]
    assert [s.id for s in replayed] == [s.id for s in sets]


def test_an_agent_episode_end_to_end_with_tools_offered(llama_server, tmp_path):
    from reasonledger.construct.episodes import Episodes
    from reasonledger.registry import registry
    from tests.construct.piggy_bank import ENV, PiggyBank, task_record

    registry("environment").add(ENV, PiggyBank)
    try:
        params = dict(generator={"endpoint": llama_server, "model": MODEL, "timeout": 120, "retries": 1},
                      sampling={"temperature": 0, "max_tokens": 24}, max_steps=2)
        ctx = StepContext("stage-00", 0, str(tmp_path), "00-episodes")
        step = Episodes(**params)
        (episode,) = step.process(iter([task_record()]), ctx)
        step.close()
        again = StepContext("stage-00", 0, str(tmp_path), "00-episodes")
        step = Episodes(**params)
        (rebuilt,) = step.process(iter([task_record()]), again)
        step.close()
    finally:
        registry("environment").remove(ENV)
    behaviour = episode.behaviour
    # whatever the tiny model does: a well-formed episode, its calls dispatched and kept, its end recorded
    assert behaviour.termination in ("agent_stop", "max_steps")
    assert [m.role for m in behaviour.messages[:2]] == ["user", "assistant"]
    assert len(behaviour.actions) == sum(m.role == "tool" for m in behaviour.messages)
    assert all(a.state_hash for a in behaviour.actions)
    assert 1 <= episode.meta["episode"]["steps"] <= 2 and episode.lineage.events[-1].model == MODEL
    assert again.stats["00-episodes"].by["requests"]["cached"] == episode.meta["episode"]["steps"]
    assert rebuilt.id == episode.id


def test_a_judge_call_end_to_end(llama_server, monkeypatch):
    from reasonledger.verifiers import get_verifier

    monkeypatch.setenv("REASONLEDGER_ENDPOINT", llama_server)  # where a judge runs is the user's setting
    judge = get_verifier("judge", model=MODEL, backend="openai", decoding={"max_tokens": 6, "n": 2, "temperature": 0.5})
    try:
        verdict = judge.verify({"question": "What is 2+3?", "answer": "5"}, "2 + 3 = 5, so <answer>5</answer>")
        gated = judge.verify({"question": "What is 2+3?", "answer": "5"}, "Thought process:")
    finally:
        judge.close()
    evidence = verdict.evidence
    # the reply went through the server (n=2 refused with HTTP 400, so two requests) and is recorded as
    # judged: the request hash, both outputs and their finish reasons; whatever the tiny model said,
    # anything outside the verdict grammar is a parse failure, never a pass
    assert evidence["calls"] == 1 and len(evidence["request"]) == 64 and evidence["served_model"] == MODEL
    assert len(evidence["judge_output"]) == 2 and set(evidence["finish_reason"]) <= {"stop", "length"}
    assert verdict.passed == (evidence.get("label") == "CORRECT")
    assert verdict.passed or verdict.evidence["reason"] in ("parse_failure", "incorrect", "invalid")
    assert not gated.passed and gated.evidence["calls"] == 0  # no answer to extract: no model call
