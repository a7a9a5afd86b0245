"""A generator = a backend + the request cache + the failures file + usage and cost accounting.

Steps ask it for outcomes of a list of requests. Cached answers come back without touching the
backend; every fresh answer is committed to the cache the moment it arrives; every failure goes
to the failures file. The counters it keeps (requests sent, cached, failed, tokens, cost, retries
and what went wrong on the wire) are flushed into the step's counters, so they land in the run log.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reasonledger.generation.backends import Backend, make_backend
from reasonledger.generation.failures import FailureLog
from reasonledger.generation.protocol import Failure, GenerationRequest, GeneratorSpec, Outcome, Response, excerpt
from reasonledger.generation.request_cache import RequestCache
from reasonledger.engine.rundir import RunDir, as_run
from reasonledger.engine.step import StepContext, flat_counts


def cost_usd(spec: GeneratorSpec, prompt_tokens: int, completion_tokens: int) -> float:
    return (prompt_tokens * spec.prices.prompt + completion_tokens * spec.prices.completion) / 1e6


# What a generator adds to its step's stats: requests by how they were answered (sent, cached, replayed,
# failed), failed requests by kind and tokens by side, each a dimension of `StepStats.by`; and the cost.
TALLIES = ("requests", "requests.failed", "tokens")
COUNTS = ("cost_usd",)


class Generator:
    def __init__(self, spec: GeneratorSpec, run: RunDir | Path | str | None, step: str = "") -> None:
        self.spec, self.step = spec, step
        self.backend: Backend = make_backend(spec)
        run = as_run(run)
        use_cache = run is not None and spec.cache and self.backend.cacheable
        self.cache = RequestCache(run.request_cache) if use_cache and run else None
        self.failures = FailureLog(run.failures if run else None)
        self.counts: Counter[str] = Counter()
        self.by: dict[str, Counter[str]] = {dimension: Counter() for dimension in TALLIES}
        self._pending: list[tuple[str, Response]] = []
        self._flushed_events: Counter[str] = Counter()

    @property
    def counters(self) -> dict[str, float]:
        """What was gathered since the last `flush`, one name each (`requests.sent`, `tokens.prompt`)."""
        return flat_counts(self.counts, self.by)

    @property
    def model(self) -> str:
        return self.backend.model

    def describe(self) -> dict[str, str]:
        return self.backend.describe()

    def generate(self, requests: Sequence[GenerationRequest], owners: Sequence[str] | None = None) -> list[Outcome]:
        """One outcome per request, in order. `owners` (record ids) go into failure entries."""
        outcomes: list[Outcome | None] = [None] * len(requests)
        cached = self.cache.get_many(r.key for r in requests) if self.cache else {}
        by_key: dict[str, list[int]] = {}
        for index, request in enumerate(requests):
            if request.key in cached:
                outcomes[index] = cached[request.key]
                self.by["requests"]["cached"] += 1
            else:
                by_key.setdefault(request.key, []).append(index)
        todo = [requests[indices[0]] for indices in by_key.values()]

        def done(position: int, outcome: Outcome) -> None:
            request = todo[position]
            indices = by_key[request.key]
            if isinstance(outcome, Response):
                self._store(request.key, outcome)
                self._account(outcome)
            else:
                self._fail(request, outcome, owners[indices[0]] if owners else None)
            for index in indices:
                outcomes[index] = outcome

        if todo:
            self.backend.run(todo, done)
        self._commit()
        missing = [i for i, o in enumerate(outcomes) if o is None]
        if missing:
            raise RuntimeError(f"backend {self.backend.name} gave no outcome for {len(missing)} request(s)")
        return outcomes  # type: ignore[return-value]

    def _store(self, key: str, response: Response) -> None:
        """Queue an answer for the cache; the answers of one event-loop turn are committed together,
        right after that turn (at once when no loop runs, as with the replay and vLLM backends)."""
        if self.cache is None:
            return
        self._pending.append((key, response))
        if len(self._pending) == 1:
            try:
                asyncio.get_running_loop().call_soon(self._commit)
            except RuntimeError:
                self._commit()

    def _commit(self) -> None:
        if self.cache is not None and self._pending:
            self.cache.put_many(self._pending)
            self._pending = []

    def _account(self, response: Response) -> None:
        # a replay file answers without a request leaving the process: count it apart from paid ones
        self.by["requests"]["sent" if self.backend.cacheable else "replayed"] += 1
        self.by["tokens"]["prompt"] += response.prompt_tokens
        self.by["tokens"]["completion"] += response.completion_tokens
        cost = cost_usd(self.spec, response.prompt_tokens, response.completion_tokens)
        if cost:
            self.counts["cost_usd"] = round(self.counts["cost_usd"] + cost, 9)

    def _fail(self, request: GenerationRequest, failure: Failure, owner: str | None) -> None:
        self.by["requests"]["failed"] += 1
        self.by["requests.failed"][failure.kind] += 1
        entry: dict[str, Any] = {
            "step": self.step, "record": owner, "request": request.key, "api": request.api,
            "model": request.payload.get("model"), "sample": request.sample, "n": request.n,
            "prompt": excerpt(request.lookup, 200), "kind": failure.kind, "message": failure.message,
            "attempts": failure.attempts, "status": failure.status, "body": failure.body,
        }
        self.failures.add(entry)

    def flush(self, ctx: StepContext) -> None:
        """Move the counts gathered so far (and the backend's wire events) into the step's stats."""
        for name, value in self.counts.items():
            ctx.count(name, value)
        for dimension, counts in self.by.items():
            for key, value in counts.items():
                ctx.tally(dimension, key, value)
            counts.clear()
        self.counts.clear()
        events = self.backend.events - self._flushed_events
        for name, value in events.items():
            ctx.tally("wire", name, value)
        self._flushed_events = Counter(self.backend.events)

    def close(self) -> None:
        self.backend.close()
        if self.cache is not None:
            self.cache.close()

    def __enter__(self) -> "Generator":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
