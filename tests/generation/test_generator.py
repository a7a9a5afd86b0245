"""The OpenAI-compatible client against a real HTTP server that injects 429s, 5xx, slow answers,
dropped connections, truncated and garbage JSON, and counts every request it receives."""

from __future__ import annotations

import json
import time

import pytest

from reasonledger.generation.protocol import Failure, GenerationRequest, GeneratorSpec, Response
from reasonledger.generation.generator import Generator
from reasonledger.generation.openai_server import Choice, Fault, body_key
from reasonledger.generation.request_cache import RequestCache
from reasonledger.engine.rundir import RunDir
from reasonledger.engine.step import StepContext


def echo(api, body):
    prompt = body["messages"][-1]["content"] if api == "chat" else body["prompt"]
    return [Choice(f"reply to {prompt} seed {body.get('seed')} choice {i}") for i in range(body.get("n", 1))]


def spec(url: str, **options) -> GeneratorSpec:
    return GeneratorSpec(**{"endpoint": url, "model": "m", "backoff": 0.01, "max_backoff": 0.05, "timeout": 5, **options})


def request(i: int, n: int = 1, text: str | None = None, api: str = "chat") -> GenerationRequest:
    prompt = text or f"question {i}"
    body = {"model": "m", "messages": [{"role": "user", "content": prompt}]} if api == "chat" else {"model": "m", "prompt": prompt}
    body.update({"temperature": 1.0, "max_tokens": 50, "seed": i, **({"n": n} if n != 1 else {})})
    return GenerationRequest(api, body, 0)


def key_of(req: GenerationRequest) -> str:
    return body_key(json.dumps(req.payload).encode())


def test_429_5xx_and_dropped_connections_are_retried_until_answered(serve):
    plan = {1: Fault(status=429, retry_after=0.01), 2: Fault(status=503), 3: Fault(drop=True)}

    def faults(api, body, attempt):
        depth = body["seed"] % 4  # request i fails on its first i % 4 attempts
        return plan[attempt] if attempt <= depth else None

    requests = [request(i) for i in range(40)]
    with serve(echo, faults) as server, Generator(spec(server.url), None) as generator:
        outcomes = generator.generate(requests)
        for req, outcome in zip(requests, outcomes):
            assert isinstance(outcome, Response), outcome
            assert outcome.choices[0].text == f"reply to question {req.payload['seed']} seed {req.payload['seed']} choice 0"
            assert server.stats.received[key_of(req)] == req.payload["seed"] % 4 + 1
            assert server.stats.answered[key_of(req)] == 1
        events = generator.backend.events
        assert events["retries"] == sum(i % 4 for i in range(40)) == 60
        assert (events["http_429"], events["http_503"], events["connection"]) == (30, 20, 10), dict(events)


def test_timeouts_are_retried(serve):
    faults = lambda api, body, attempt: Fault(delay=1.0) if attempt == 1 else None  # noqa: E731
    requests = [request(i) for i in range(3)]
    with serve(echo, faults) as server, Generator(spec(server.url, timeout=0.25), None) as generator:
        outcomes = generator.generate(requests)
        assert all(isinstance(o, Response) for o in outcomes)
        assert generator.backend.events["timeout"] == 3
        assert all(server.stats.received[key_of(r)] == 2 for r in requests)


def test_garbage_and_truncated_json_end_in_the_failures_file_with_a_clear_error(serve, tmp_path):
    def faults(api, body, attempt):
        prompt = body["messages"][-1]["content"]
        return Fault(body="truncated") if "cut" in prompt else Fault(body="garbage") if "junk" in prompt else None

    requests = [request(0, text="please cut"), request(1, text="junk please"), request(2)]
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    with serve(echo, faults) as server, Generator(spec(server.url, retries=2), tmp_path, "00-rollouts") as generator:
        outcomes = generator.generate(requests, owners=["rec-a", "rec-b", "rec-c"])
        generator.flush(ctx)
        assert [type(o) for o in outcomes] == [Failure, Failure, Response]
        assert server.stats.received[key_of(requests[0])] == 3 == server.stats.received[key_of(requests[1])]
    lines = (tmp_path / "failures.jsonl").read_text().splitlines()
    entries = sorted((json.loads(line) for line in lines), key=lambda e: e["record"])
    assert [(e["record"], e["kind"], e["attempts"], e["status"]) for e in entries] == [
        ("rec-a", "bad_json", 3, 200), ("rec-b", "bad_json", 3, 200)]
    assert "looks truncated" in entries[0]["message"] and entries[0]["body"].startswith('{"id": "cmpl-')
    assert "not JSON" in entries[1]["message"] and "<html>" in entries[1]["body"]
    assert entries[0]["prompt"] == "please cut" and entries[0]["request"] == requests[0].key
    assert ctx.stats["00-rollouts"].by["requests"]["failed"] == 2 and ctx.stats["00-rollouts"].by["requests.failed"]["bad_json"] == 2
    assert ctx.stats["00-rollouts"].by["requests"]["sent"] == 1


def test_client_errors_are_not_retried(serve, tmp_path):
    def answer(api, body):
        raise LookupError("no such prompt recorded")

    with serve(answer) as server, Generator(spec(server.url), tmp_path) as generator:
        (outcome,) = generator.generate([request(0)])
        assert isinstance(outcome, Failure) and outcome.kind == "http_404" and outcome.attempts == 1
        assert "no such prompt recorded" in outcome.message
        assert server.stats.requests == 1


def test_a_request_that_got_an_answer_is_never_sent_again(serve, tmp_path):
    requests = [request(i) for i in range(20)]
    with serve(echo) as server:
        with Generator(spec(server.url), tmp_path) as generator:
            first = generator.generate(requests[:12])
        assert server.stats.requests == 12
        with Generator(spec(server.url), tmp_path) as generator:
            second = generator.generate(requests)
            assert generator.counters["requests.cached"] == 12 and generator.counters["requests.sent"] == 8
        assert server.stats.requests == 20 and set(server.stats.received.values()) == {1}
    assert [o.choices for o in second[:12]] == [o.choices for o in first] and all(o.cached for o in second[:12])
    cache = RequestCache(RunDir(tmp_path).request_cache)
    assert cache.keys() == {r.key for r in requests}
    cache.close()


def test_identical_requests_in_one_batch_are_sent_once(serve):
    with serve(echo) as server, Generator(spec(server.url), None) as generator:
        outcomes = generator.generate([request(7), request(7), request(8)])
        assert server.stats.requests == 2 and outcomes[0] is outcomes[1]


def test_n_samples_per_request_usage_and_cost(serve, tmp_path):
    prices = {"prompt": 2.0, "completion": 10.0}  # dollars per million tokens
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    with serve(echo) as server, Generator(spec(server.url, prices=prices), tmp_path, "00-rollouts") as generator:
        outcomes = generator.generate([request(i, n=4) for i in range(5)])
        generator.flush(ctx)
        assert server.stats.requests == 5
    assert all(len(o.choices) == 4 for o in outcomes)
    assert [c.text for c in outcomes[2].choices] == [f"reply to question 2 seed 2 choice {i}" for i in range(4)]
    prompt_tokens = sum(o.prompt_tokens for o in outcomes)
    completion_tokens = sum(o.completion_tokens for o in outcomes)
    assert prompt_tokens == 5 * 2 and completion_tokens == 5 * 4 * 8  # the server counts whitespace tokens
    assert ctx.stats["00-rollouts"].by["tokens"]["completion"] == completion_tokens
    assert ctx.stats["00-rollouts"].counts["cost_usd"] == pytest.approx((prompt_tokens * 2.0 + completion_tokens * 10.0) / 1e6)


def test_completions_api(serve):
    with serve(echo) as server, Generator(spec(server.url), None) as generator:
        (outcome,) = generator.generate([request(3, api="completions")])
    assert outcome.choices[0].text == "reply to question 3 seed 3 choice 0"


def test_the_model_is_discovered_when_not_named(serve):
    with serve(echo, models=["Qwen/Qwen2.5-0.5B-Instruct"]) as server:
        generator = Generator(GeneratorSpec(endpoint=server.url), None)
        assert generator.model == "Qwen/Qwen2.5-0.5B-Instruct"
        generator.close()
    with serve(echo, models=["a", "b"]) as server:
        generator = Generator(GeneratorSpec(endpoint=server.url), None)
        with pytest.raises(ValueError, match="serves 2 models"):
            generator.model
        generator.close()


def test_the_endpoint_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("REASONLEDGER_ENDPOINT", raising=False)
    with pytest.raises(ValueError, match="REASONLEDGER_ENDPOINT"):
        GeneratorSpec()
    monkeypatch.setenv("REASONLEDGER_ENDPOINT", "http://127.0.0.1:9/v1/")
    assert GeneratorSpec().resolved_endpoint() == "http://127.0.0.1:9/v1"


def test_the_openai_client_option_gets_the_same_answers_through_the_same_faults(serve, tmp_path):
    def faults(api, body, attempt):
        if attempt == 1 and body["seed"] % 2:
            return Fault(status=429) if body["seed"] % 4 == 1 else Fault(body="truncated")
        return None

    requests = [request(i) for i in range(8)]
    with serve(echo, faults) as server, Generator(spec(server.url, client="openai"), None) as generator:
        outcomes = generator.generate(requests)
        assert [o.choices[0].text for o in outcomes] == [echo("chat", r.payload)[0].text for r in requests]
        assert generator.backend.events["http_429"] == 2 and generator.backend.events["bad_json"] == 2
        assert server.stats.requests == 12


def test_request_rate_limit_spaces_requests(serve):
    # 1,200 a minute = 20 a second, in bursts of at most a second's worth: 30 requests need >= 0.5 s
    with serve(echo) as server, Generator(spec(server.url, max_requests_per_minute=1200), None) as generator:
        started = time.monotonic()
        generator.generate([request(i) for i in range(30)])
        assert time.monotonic() - started >= 0.45
        assert server.stats.requests == 30


def test_token_estimate_charges_max_tokens_for_every_sample():
    req = request(0, n=4)
    assert req.estimated_tokens() == len("question 0") // 4 + 4 * 50


def test_separate_reasoning_comes_back_with_the_answer(serve):
    answer = lambda api, body: [Choice("<answer>4</answer>", "stop", "2 + 2 is 4.")]  # noqa: E731
    with serve(answer) as server, Generator(spec(server.url), None) as generator:
        (outcome,) = generator.generate([request(0)])
    assert (outcome.choices[0].text, outcome.choices[0].reasoning) == ("<answer>4</answer>", "2 + 2 is 4.")


def test_a_rate_limit_is_the_builds_and_each_worker_takes_its_share(serve, monkeypatch):
    # two workers of a local pool: 1,200 a minute for the build is 600 (10 a second) for each
    monkeypatch.setenv("REASONLEDGER_WORKERS", "2")
    with serve(echo) as server, Generator(spec(server.url, max_requests_per_minute=1200), None) as generator:
        assert generator.backend.limit_share == 2
        started = time.monotonic()
        generator.generate([request(i) for i in range(20)])
        assert time.monotonic() - started >= 0.9  # 20 requests at 10 a second, in bursts of one second's worth


def test_a_server_that_refuses_n_gets_one_request_per_sample_and_the_split_is_counted(serve, tmp_path):
    # llama.cpp's server answers HTTP 400 to n > 1
    refuse_n = lambda api, body, attempt: Fault(status=400) if body.get("n", 1) > 1 else None  # noqa: E731
    ctx = StepContext("stage-00", 0, str(tmp_path), "00-rollouts")
    with serve(echo, refuse_n) as server, Generator(spec(server.url), tmp_path, "00-rollouts") as generator:
        first, second = generator.generate([request(10, n=3), request(20, n=2)])
        generator.flush(ctx)
        assert server.stats.requests == 2 + 3 + 2 or server.stats.requests == 1 + 3 + 2
    assert [c.text for c in first.choices] == [f"reply to question 10 seed {10 + j} choice 0" for j in range(3)]
    assert [c.text for c in second.choices] == [f"reply to question 20 seed {20 + j} choice 0" for j in range(2)]
    wire = ctx.stats["00-rollouts"].by["wire"]
    assert wire["n_unsupported"] >= 1 and wire["n_split_requests"] == 5


def test_tool_calls_come_back_from_the_server_and_out_of_the_cache(serve, tmp_path):
    call = {"id": "call_1", "type": "function", "function": {"name": "get_user", "arguments": '{"user_id": "u1"}'}}
    answer = lambda api, body: [Choice("", tool_calls=(call,))]  # noqa: E731
    with serve(answer) as server:
        with Generator(spec(server.url), tmp_path) as generator:
            (fresh,) = generator.generate([request(1)])
        with Generator(spec(server.url), tmp_path) as generator:
            (cached,) = generator.generate([request(1)])
    assert fresh.choices[0].tool_calls == (call,) and fresh.choices[0].finish_reason == "tool_calls"
    assert cached.cached and cached.choices == fresh.choices


def test_the_request_cache_finds_keys_past_one_query_s_bound(tmp_path):
    cache = RequestCache(tmp_path / "requests.sqlite")
    stored = {f"k{i:04d}": Response([Choice(f"answer {i}")], "m", i, 1) for i in range(1_201)}
    cache.put_many(list(stored.items()))
    asked = [*stored, "k0003", "absent-1", "absent-2"]  # a repeat and two never answered, across three chunks
    found = cache.get_many(asked)
    assert set(found) == set(stored) and found["k1200"].choices[0].text == "answer 1200" and found["k1200"].cached
    assert found["k0777"].prompt_tokens == 777
    assert cache.known(asked) == set(stored) and cache.known(["absent-1"]) == set()
    cache.close()
