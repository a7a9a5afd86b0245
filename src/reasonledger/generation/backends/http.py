"""OpenAI-compatible HTTP backend (vLLM, SGLang, llama.cpp server, hosted APIs).

Many requests in flight on one asyncio loop, retried with exponential backoff and jitter on 429,
5xx, timeouts, dropped connections and unparseable bodies (a Retry-After header is honoured),
and held to request- and token-per-minute limits, which are the whole build's: each of the
executor's N worker processes takes 1/N of them. The wire client is aiohttp by default: the
`openai` client reaches ~270 requests/s per core here against ~2,700 through aiohttp (see
benchmarks/construct.md), and the client must never be what limits a GPU server; `client: openai`
selects the official client instead, with the same retries and accounting.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Sequence
from typing import Any

from aiolimiter import AsyncLimiter

from reasonledger.generation.backends import Backend, Done
from reasonledger.generation.protocol import (
    BadResponse, Failure, GenerationRequest, GeneratorSpec, Outcome, Response, excerpt, parse_completion, redact_url,
    scrub, url_secrets)
from reasonledger.engine.executors.base import worker_share

PATHS = {"chat": "/chat/completions", "completions": "/completions"}
RETRYABLE = {408, 409, 425, 429}


class TransportError(Exception):
    """No HTTP answer at all: refused, reset, dropped or timed out."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


class AiohttpTransport:
    def __init__(self, spec: GeneratorSpec, endpoint: str, headers: dict[str, str]) -> None:
        import aiohttp

        self._aiohttp = aiohttp
        self.endpoint, self.timeout = endpoint, spec.timeout
        connector = aiohttp.TCPConnector(limit=spec.concurrency, limit_per_host=spec.concurrency)
        # headers fixed on the session: merging per-request headers costs more than the rest of a request
        self.session = aiohttp.ClientSession(connector=connector, headers={**headers, "Content-Type": "application/json"},
                                             timeout=aiohttp.ClientTimeout(total=spec.timeout))

    async def request(self, method: str, path: str, payload: Any = None) -> tuple[int, dict[str, str], bytes]:
        data = None if payload is None else json.dumps(payload, ensure_ascii=False).encode()
        try:
            async with self.session.request(method, with_path(self.endpoint, path), data=data) as resp:
                body = await resp.read()
                # only a refusal's headers matter (Retry-After); copying them costs on every answer
                return resp.status, {} if resp.status == 200 else dict(resp.headers), body
        except asyncio.TimeoutError:
            raise TransportError("timeout", f"no complete answer within {self.timeout:g}s") from None
        except self._aiohttp.ClientError as exc:
            raise TransportError("connection", f"{type(exc).__name__}: {exc}") from None

    async def close(self) -> None:
        await self.session.close()


class OpenAIClientTransport:
    """The same calls through the official `openai` client (its own retries off: ours apply)."""

    def __init__(self, spec: GeneratorSpec, endpoint: str, api_key: str | None) -> None:
        import openai

        self._openai = openai
        self.timeout = spec.timeout
        self.client = openai.AsyncOpenAI(base_url=endpoint, api_key=api_key or "unset", max_retries=0,
                                         timeout=spec.timeout)

    async def request(self, method: str, path: str, payload: Any = None) -> tuple[int, dict[str, str], bytes]:
        openai = self._openai
        try:
            if method == "GET":
                raw = await self.client.models.with_raw_response.list()
            else:
                api = self.client.chat.completions if path == PATHS["chat"] else self.client.completions
                fixed = {k: payload[k] for k in ("model", "messages", "prompt") if k in payload}
                extra = {k: v for k, v in payload.items() if k not in fixed}
                raw = await api.with_raw_response.create(**fixed, extra_body=extra)
            return raw.status_code, dict(raw.headers), raw.content
        except openai.APIStatusError as exc:
            return exc.status_code, dict(exc.response.headers), exc.response.content
        except openai.APITimeoutError:
            raise TransportError("timeout", f"no complete answer within {self.timeout:g}s") from None
        except openai.APIConnectionError as exc:
            raise TransportError("connection", f"{type(exc).__name__}: {exc}") from None

    async def close(self) -> None:
        await self.client.close()


def with_path(endpoint: str, path: str) -> str:
    """`endpoint` + `path`, the path going before any query (`.../v1?key=...` is a common form)."""
    base, sep, query = endpoint.partition("?")
    return f"{base}{path}{sep}{query}"


def request_limiter(per_minute: float) -> AsyncLimiter:
    """`per_minute` requests, in bursts of at most one second's worth (or one request)."""
    per_second = per_minute / 60
    return AsyncLimiter(per_second, 1) if per_second >= 1 else AsyncLimiter(1, 60 / per_minute)


def json_failure(raw: bytes, exc: json.JSONDecodeError, attempts: int) -> Failure:
    """A clear error for a 200 whose body is not JSON, saying whether it looks cut short."""
    size = len(raw)
    cut = exc.pos >= size - 2 or exc.msg.startswith("Unterminated")
    why = (f"the body looks truncated: JSON ends early ({exc.msg} at char {exc.pos} of {size})" if cut
           else f"the body is not JSON ({exc.msg} at char {exc.pos} of {size})")
    return Failure("bad_json", f"server answered 200 but {why}", attempts, 200, excerpt(raw))


class OpenAIBackend(Backend):
    name = "openai"

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        endpoint = spec.resolved_endpoint()
        assert endpoint is not None  # GeneratorSpec checks it
        self.endpoint = endpoint
        self._secrets = url_secrets(endpoint)  # an endpoint from the user may carry credentials: never printed
        self._runner = asyncio.Runner()
        self._runner.run(self._open(spec.resolved_api_key()))
        self._model = spec.model
        # the recipe's limits are the build's: each worker process of the executor takes its share
        self.limit_share = worker_share()
        rpm, tpm = (limit / self.limit_share if limit else None
                    for limit in (spec.max_requests_per_minute, spec.max_tokens_per_minute))
        self._request_limit = request_limiter(rpm) if rpm else None
        # a token bucket holds a minute's worth, so one long request always fits in it
        self._token_limit = AsyncLimiter(tpm, 60) if tpm else None
        # set once the server has refused `n` > 1 (llama.cpp's server answers HTTP 400) and then answered
        # the same samples one request each: later requests are split before they are sent
        self.one_choice_per_request = False

    async def _open(self, api_key: str | None) -> None:
        if self.spec.client == "openai":
            self.transport: Any = OpenAIClientTransport(self.spec, self.endpoint, api_key)
        else:
            headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
            self.transport = AiohttpTransport(self.spec, self.endpoint, headers)

    @property
    def model(self) -> str:
        if self._model is None:
            self._model = self._runner.run(self._served_model())
        return self._model

    async def _served_model(self) -> str:
        where = redact_url(with_path(self.endpoint, "/models"))
        try:
            status, _, raw = await self.transport.request("GET", "/models")
            models = [m["id"] for m in json.loads(raw)["data"]] if status == 200 else None
        except (TransportError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"model: not set, and {where} could not be read to find it "
                             f"({scrub(str(exc), self._secrets)})") from None
        if models is None:
            raise ValueError(f"model: not set, and {where} answered HTTP {status}: {excerpt(raw)}")
        if len(models) != 1:
            raise ValueError(f"model: not set, and {where} serves {len(models)} models ({', '.join(models)}): name one")
        return models[0]

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "endpoint": redact_url(self.endpoint), "client": self.spec.client}

    def run(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        self._runner.run(self._run_all(requests, done))

    async def _run_all(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        slots = asyncio.Semaphore(self.spec.concurrency)

        async def one(index: int, request: GenerationRequest) -> None:
            async with slots:
                outcome = await self._answer(request)
            done(index, outcome)

        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))

    async def _answer(self, request: GenerationRequest) -> Outcome:
        """The request's outcome; a server that refuses `n` > 1 with HTTP 400 gets the samples one
        request each (counted as `n_unsupported` and `n_split_requests` in the run log)."""
        if request.n > 1 and self.one_choice_per_request:
            return await self._one_by_one(request)
        outcome = await self._with_retries(request)
        if request.n > 1 and isinstance(outcome, Failure) and outcome.status == 400:
            self.events["n_unsupported"] += 1
            split = await self._one_by_one(request)
            if isinstance(split, Response):
                self.one_choice_per_request = True
            return split
        return outcome

    async def _one_by_one(self, request: GenerationRequest) -> Outcome:
        """The n samples of `request` as n requests without `n`, sample j seeded seed + j (as a step
        sending one sample per request seeds them), joined into one response."""
        parts = []
        for offset in range(request.n):
            payload = {k: v for k, v in request.payload.items() if k != "n"}
            if "seed" in payload:
                payload["seed"] = int(payload["seed"]) + offset
            parts.append(GenerationRequest(request.api, payload, request.sample + offset))
        self.events["n_split_requests"] += len(parts)
        outcomes = await asyncio.gather(*(self._with_retries(part) for part in parts))
        failure = next((o for o in outcomes if isinstance(o, Failure)), None)
        if failure is not None:
            return failure
        answers = [o for o in outcomes if isinstance(o, Response)]
        return Response([c for a in answers for c in a.choices], answers[0].model,
                        sum(a.prompt_tokens for a in answers), sum(a.completion_tokens for a in answers),
                        answers[0].fingerprint)

    async def _limit(self, request: GenerationRequest) -> None:
        if self._request_limit is not None:
            await self._request_limit.acquire()
        if self._token_limit is not None:
            await self._token_limit.acquire(min(request.estimated_tokens(), self._token_limit.max_rate))

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, self.spec.max_backoff)
        return min(self.spec.backoff * 2 ** (attempt - 1), self.spec.max_backoff) * random.uniform(0.5, 1.0)

    async def _with_retries(self, request: GenerationRequest) -> Outcome:
        failure = Failure("none", "no attempt was made", 0)
        retry_after: float | None = None
        for attempt in range(self.spec.retries + 1):
            if attempt:
                self.events["retries"] += 1
                await asyncio.sleep(self._delay(attempt, retry_after))
            await self._limit(request)
            outcome, retry_after = await self._attempt(request, attempt + 1)
            if isinstance(outcome, Failure):
                self.events[outcome.kind] += 1
                failure = outcome
                if not outcome.extra.get("retryable", True):
                    return outcome
                continue
            return outcome
        return failure

    async def _attempt(self, request: GenerationRequest, attempts: int) -> tuple[Outcome, float | None]:
        """One try: the parsed response, or a Failure (with whether to retry) and any Retry-After."""
        try:
            status, headers, raw = await self.transport.request("POST", PATHS[request.api], request.payload)
        except TransportError as exc:
            return Failure(exc.kind, scrub(str(exc), self._secrets), attempts), None
        if status == 200:
            try:
                data = json.loads(raw)
            except json.JSONDecodeError as exc:
                return json_failure(raw, exc, attempts), None
            except UnicodeDecodeError as exc:
                return Failure("bad_json", f"server answered 200 with a body that is not UTF-8 ({exc})",
                               attempts, 200, excerpt(raw)), None
            try:
                return parse_completion(request.api, data, request.n), None
            except BadResponse as exc:
                return Failure("bad_response", f"server answered 200 but {exc}", attempts, 200, excerpt(raw)), None
        retryable = status in RETRYABLE or status >= 500
        message = f"HTTP {status}: {_server_message(raw)}"
        if status in (401, 403) and self.spec.key_withheld():
            message += f" ({self.spec.key_withheld()})"
        failure = Failure(f"http_{status}", message, attempts, status, excerpt(raw), {"retryable": retryable})
        return failure, _retry_after(headers)

    def close(self) -> None:
        self._runner.run(self.transport.close())
        self._runner.close()


def _server_message(raw: bytes) -> str:
    try:
        error = json.loads(raw).get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
    except (ValueError, AttributeError):
        pass
    return excerpt(raw, 200) or "(empty body)"


def _retry_after(headers: dict[str, str]) -> float | None:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None
