"""The live path against a real server, not our own: llama.cpp's OpenAI-compatible server with
SmolLM2-135M (skipped without the extra, see tests/generation/llamacpp.py). Its quirks are handled:
HTTP 400 to `n` > 1 (the samples go one request each, counted), `finish_reason: length` at
`max_tokens` (an answer, recorded), text that differs between builds (never asserted)."""

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
    counts = ctx.stats["00-rollouts"].counts
    assert [len(s.behaviour.rollouts) for s in sets] == [2, 2]
    assert counts["wire.n_unsupported"] >= 1 and counts["wire.n_split_requests"] == 4  # 400 to n=2, then 1 by 1
    assert counts["requests.sent"] == 2 and counts["tokens.completion"] > 0
    metas = [r.meta for s in sets for r in s.behaviour.rollouts]
    assert {m["model"] for m in metas} == {MODEL} and [m["sample"] for m in metas] == [0, 1, 0, 1]
    lengths = sum(m["finish_reason"] == "length" for m in metas)
    assert lengths == counts.get("finish.length", 0)  # a cut answer is kept and counted, not an error
    assert sets[0].lineage.events[-1].model == MODEL and sets[0].lineage.parents == [records[0].id]

    again = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    step = Rollouts(**params)
    replayed = list(step.process(iter(records), again))
    step.close()
    assert again.stats["00-rollouts"].counts["requests.cached"] == 2 and "requests.sent" not in again.stats["00-rollouts"].counts
    assert [s.id for s in replayed] == [s.id for s in sets]
