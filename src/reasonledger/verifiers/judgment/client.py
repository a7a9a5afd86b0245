"""The judge's door to the generation layer: chat messages in, replies with their request hashes out.

Every call goes through `generation.Generator`, so a judge runs against a live endpoint, replays
recorded outputs (keyed by request hash, or by the prompt it was asked) or answers from a scripted
fake, with one code path. The generator is made on the first call: a verifier whose gate refuses every response never
builds a backend, and `calls` counts the requests actually made. When the operator sets
`REASONLEDGER_JUDGE_CACHE` (a directory), answers go to a request cache there
(`caches/requests.sqlite`, failures in `failures.jsonl`): a re-run, another process or a resumed
audit asks nothing it was answered before. A replay file is its own cache. Each batch is charged to
the run's judge-call budget (`budget.py`, the operator's `limits.judgment.max_calls`) before it is sent.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from reasonledger.verifiers.judgment import budget
from reasonledger.verifiers.judgment.spec import JudgeSpec


CACHE_ENV = "REASONLEDGER_JUDGE_CACHE"


@dataclass(frozen=True)
class Reply:
    """One judge request's outcome: the sampled texts, or why there are none."""

    request: str  # the request hash (generation.GenerationRequest.key)
    texts: tuple[str, ...] = ()
    finish_reasons: tuple[str | None, ...] = ()
    model: str | None = None
    usage: tuple[int, int] = (0, 0)
    error: str | None = None
    cached: bool = False


@dataclass
class JudgeClient:
    spec: JudgeSpec
    counters: Counter[str] = field(default_factory=Counter)
    _generator: Any = None

    @property
    def calls(self) -> int:
        return self.counters["calls"]

    def _make(self) -> Any:
        from reasonledger.generation.generator import Generator
        from reasonledger.generation.protocol import GeneratorSpec

        if not self.spec.model:
            raise ValueError("a judge needs `model` in its config (the judge model as the backend names it) before "
                             "it can be asked anything")
        options = dict(self.spec.backend_options)
        cache = os.environ.get(CACHE_ENV) or None
        gen_spec = GeneratorSpec(backend=self.spec.backend, model=self.spec.model, revision=self.spec.revision,
                                 api="chat", cache=cache is not None, **options)
        return Generator(gen_spec, cache, step="judge")

    def payload(self, messages: list[dict[str, str]], max_tokens: int | None = None) -> dict[str, Any]:
        d = self.spec.decoding
        body: dict[str, Any] = {"model": self.spec.model, "messages": messages, "temperature": d.temperature,
                                "max_tokens": max_tokens or d.max_tokens}
        if d.n > 1:
            body["n"] = d.n
        if d.seed is not None:
            body["seed"] = d.seed
        return body

    def ask(self, conversations: Sequence[list[dict[str, str]]], max_tokens: int | None = None) -> list[Reply]:
        """One reply per conversation, in order, from one batch to the backend."""
        if not conversations:
            return []
        from reasonledger.generation.protocol import GenerationRequest, Response

        if self._generator is None:
            self._generator = self._make()
        requests = [GenerationRequest("chat", self.payload(list(m), max_tokens)) for m in conversations]
        cache = self._generator.cache
        keys = {r.key for r in requests}  # the generator sends a request asked twice in a batch once
        reserved = len(keys - cache.known(keys)) if cache is not None else len(keys)
        budget.reserve(reserved)  # what the request cache cannot answer would reach a model
        outcomes = self._generator.generate(requests)
        budget.refund(reserved - len({r.key for r, o in zip(requests, outcomes)
                                      if not (isinstance(o, Response) and o.cached)}))
        self.counters["calls"] += len(requests)
        replies = []
        for request, outcome in zip(requests, outcomes):
            if isinstance(outcome, Response):
                self.counters["cached"] += outcome.cached
                self.counters["tokens.prompt"] += outcome.prompt_tokens
                self.counters["tokens.completion"] += outcome.completion_tokens
                replies.append(Reply(request.key, tuple(c.text for c in outcome.choices),
                                     tuple(c.finish_reason for c in outcome.choices), outcome.model or self.spec.model,
                                     (outcome.prompt_tokens, outcome.completion_tokens), cached=outcome.cached))
            else:
                self.counters["failures"] += 1
                replies.append(Reply(request.key, model=self.spec.model, error=f"{outcome.kind}: {outcome.message}"))
        return replies

    def cost(self) -> dict[str, Any]:
        """Requests, tokens and (when the backend's prices are set) US dollars spent so far."""
        out: dict[str, Any] = {k: v for k, v in sorted(self.counters.items())}
        if self._generator is not None:
            out["cost_usd"] = float(self._generator.counters.get("cost_usd", 0.0))
        return out

    def close(self) -> None:
        if self._generator is not None:
            self._generator.close()
            self._generator = None


__all__ = ["CACHE_ENV", "JudgeClient", "Reply"]
