"""A small OpenAI-protocol HTTP server on loopback that answers from a function of the request.

It serves recorded rollouts (`reasonledger construct serve`) so a recipe can be dry-run against an
endpoint, and it is the server the tests and the client benchmark talk to. A `faults` hook can
answer any attempt with a 429, a 5xx, a delay, truncated or garbage JSON, or a dropped connection;
the server counts every request by its body, so a test can prove what the client sent twice.

Stdlib asyncio only, HTTP/1.1 with keep-alive: fast enough that the client, not the server, is
what a throughput test measures.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reasonledger.generation.protocol import Choice

ROUTES = {"/v1/chat/completions": "chat", "/v1/completions": "completions"}


@dataclass(frozen=True)
class Fault:
    """How to spoil one answer: `status` (e.g. 429, 500) with an optional Retry-After, `delay`
    seconds before answering, `body` "truncated" or "garbage", or `drop` the connection."""

    status: int | None = None
    retry_after: float | None = None
    delay: float = 0.0
    body: str | None = None
    drop: bool = False


# answer(api, body) -> the choices for that request; LookupError becomes a 404 with its message.
Answerer = Callable[[str, dict[str, Any]], list[Choice]]
# faults(api, body, attempt) -> a Fault or None; attempt counts this exact body, from 1.
Faults = Callable[[str, dict[str, Any], int], Fault | None]


def body_key(raw: bytes) -> str:
    """The server's name for a request: the hash of its canonical JSON body."""
    try:
        value = json.loads(raw)
    except ValueError:
        return hashlib.sha256(raw).hexdigest()[:24]
    return hashlib.sha256(json.dumps(value, sort_keys=True, separators=(",", ":")).encode()).hexdigest()[:24]


@dataclass
class ServerStats:
    """Requests seen per body key, and 200 answers written per body key."""

    received: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)

    @property
    def requests(self) -> int:
        return sum(self.received.values())


def _usage_tokens(text: str) -> int:
    """Whitespace tokens: a replay server has no tokenizer, and says so in its usage numbers."""
    return len(text.split())


def _prompt_of(api: str, body: dict[str, Any]) -> str:
    if api == "chat":
        return "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
    prompt = body.get("prompt", "")
    return prompt if isinstance(prompt, str) else json.dumps(prompt)


def completion_body(api: str, body: dict[str, Any], choices: list[Choice], key: str) -> dict[str, Any]:
    """An OpenAI-shaped response for `choices` (chat.completion or text_completion)."""
    if api == "chat":
        rendered = [{"index": i, "finish_reason": c.finish_reason or ("tool_calls" if c.tool_calls else "stop"),
                     "message": {"role": "assistant", "content": c.text,
                                 **({"reasoning_content": c.reasoning} if c.reasoning else {}),
                                 **({"tool_calls": list(c.tool_calls)} if c.tool_calls else {})}}
                    for i, c in enumerate(choices)]
        kind = "chat.completion"
    else:
        rendered = [{"index": i, "text": c.text, "finish_reason": c.finish_reason or "stop", "logprobs": None}
                    for i, c in enumerate(choices)]
        kind = "text_completion"
    completion = sum(_usage_tokens(c.text) for c in choices)
    prompt = _usage_tokens(_prompt_of(api, body))
    return {"id": f"cmpl-{key}", "object": kind, "created": 0, "model": body.get("model", ""),
            "system_fingerprint": "reasonledger-replay", "choices": rendered,
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}}


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 405: "Method Not Allowed", 411: "Length Required",
            429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def _response(status: int, payload: bytes, extra: dict[str, str] | None = None) -> bytes:
    headers = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}", "Content-Type: application/json",
               f"Content-Length: {len(payload)}"]
    headers += [f"{k}: {v}" for k, v in (extra or {}).items()]
    return ("\r\n".join(headers) + "\r\n\r\n").encode() + payload


def _error(status: int, message: str, kind: str = "invalid_request_error") -> bytes:
    return _response(status, json.dumps({"error": {"message": message, "type": kind, "code": status}}).encode())


class OpenAIServer:
    """`async with OpenAIServer(answer) as server:` serves on 127.0.0.1 (a free port by default)."""

    def __init__(self, answer: Answerer, faults: Faults | None = None, models: list[str] | None = None,
                 host: str = "127.0.0.1", port: int = 0, max_requests: int | None = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"host {host!r}: this server only listens on loopback")
        self.answer, self.faults, self.models = answer, faults, models or ["replay"]
        self.host, self.port, self.max_requests = host, port, max_requests
        self.stats = ServerStats()
        self._server: asyncio.base_events.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    async def start(self) -> "OpenAIServer":
        self._server = await asyncio.start_server(self._connection, self.host, self.port, backlog=1024)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Stop listening and end every open connection (slow answers in progress included)."""
        if self._server is not None:
            self._server.close()
        for task in list(self._connections):
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> "OpenAIServer":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                method, path, _ = request_line.split(" ", 2)
                headers = {k.strip().lower(): v.strip() for k, _, v in
                           (line.partition(":") for line in header_lines if line)}
                length = headers.get("content-length")
                if method == "POST" and length is None:
                    writer.write(_error(411, "Content-Length required"))
                    break
                raw = await reader.readexactly(int(length or 0))
                keep_open = await self._handle(method, path.split("?", 1)[0], raw, writer)
                await writer.drain()
                if not keep_open or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, ValueError,
                asyncio.CancelledError):
            pass
        finally:
            writer.close()
            self._connections.discard(task)

    async def _handle(self, method: str, path: str, raw: bytes, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False means close the connection afterwards."""
        if method == "GET" and path == "/v1/models":
            data = [{"id": m, "object": "model", "owned_by": "reasonledger"} for m in self.models]
            writer.write(_response(200, json.dumps({"object": "list", "data": data}).encode()))
            return True
        api = ROUTES.get(path)
        if api is None or method != "POST":
            writer.write(_error(404 if api is None else 405, f"no route {method} {path}"))
            return True
        key = body_key(raw)
        self.stats.received[key] += 1
        if self.max_requests is not None and self.stats.requests > self.max_requests:
            writer.write(_error(503, f"request budget of {self.max_requests} spent", "server_error"))
            return False
        try:
            body = json.loads(raw)
        except ValueError:
            writer.write(_error(400, "request body is not JSON"))
            return True
        fault = self.faults(api, body, self.stats.received[key]) if self.faults else None
        if fault is not None:
            return await self._fault(fault, api, body, key, writer)
        return self._answer(api, body, key, writer)

    def _answer(self, api: str, body: dict[str, Any], key: str, writer: asyncio.StreamWriter) -> bool:
        try:
            choices = self.answer(api, body)
        except LookupError as exc:
            writer.write(_error(404, str(exc.args[0] if exc.args else exc)))
            return True
        self.stats.answered[key] += 1  # counted before the bytes leave, so a client never sees an uncounted answer
        writer.write(_response(200, json.dumps(completion_body(api, body, choices, key)).encode()))
        return True

    async def _fault(self, fault: Fault, api: str, body: dict[str, Any], key: str,
                     writer: asyncio.StreamWriter) -> bool:
        if fault.delay:
            self.stats.faults["slow"] += 1
            await asyncio.sleep(fault.delay)
        if fault.drop:
            self.stats.faults["drop"] += 1
            return False
        if fault.status is not None:
            self.stats.faults[str(fault.status)] += 1
            extra = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
            payload = json.dumps({"error": {"message": f"injected {fault.status}", "code": fault.status}}).encode()
            writer.write(_response(fault.status, payload, extra))
            return True
        if fault.body is not None:
            self.stats.faults[fault.body] += 1
            good = json.dumps(completion_body(api, body, self.answer(api, body), key)).encode()
            payload = good[: len(good) // 2] if fault.body == "truncated" else b"<html>upstream error</html>"
            writer.write(_response(200, payload))
            return True
        return self._answer(api, body, key, writer)


class ServerThread:
    """An OpenAIServer on its own event loop in a background thread, for synchronous callers."""

    def __init__(self, server: OpenAIServer) -> None:
        self.server = server
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="openai-server")

    def __enter__(self) -> OpenAIServer:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout=10)
        return self.server

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(timeout=10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
