"""What a generator is asked and what it answers, independent of the backend that answers.

A request is the exact OpenAI-protocol body that would be sent, plus the index of the first
sample it stands for; its key (the hash of both) names it in the request cache, so the same
request is never paid for twice. A response keeps only what the records need: the choices'
text, finish reasons and reasoning, the usage and the served model.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import Annotated, Any, Literal
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from reasonledger.records.model import canonical_json
from reasonledger.registry import registry
from reasonledger.userconfig import load_user_config

ENDPOINT_ENV = "REASONLEDGER_ENDPOINT"
# The variable `build --api-key-env NAME` sets: the user's own choice of where the endpoint key is.
KEY_ENV_CHOICE = "REASONLEDGER_API_KEY_ENV"
DEFAULT_KEY_ENVS = ("REASONLEDGER_API_KEY", "OPENAI_API_KEY")


def allowed_key_envs() -> list[str]:
    """The variables an endpoint key may be read from: the defaults, the one named on the command
    line, and those the user's config file lists. A recipe may pick among them, never add one: a
    shared recipe naming `AWS_SECRET_ACCESS_KEY` would otherwise send that secret to its endpoint."""
    chosen = [os.environ[KEY_ENV_CHOICE]] if os.environ.get(KEY_ENV_CHOICE) else []
    return list(dict.fromkeys([*DEFAULT_KEY_ENVS, *chosen, *load_user_config().api_key_env]))


def url_secrets(url: str) -> list[str]:
    """The parts of a URL that are credentials: user and password, and every query value."""
    parts = urlsplit(url)
    found = [parts.username or "", parts.password or ""]
    found += [value for _, value in parse_qsl(parts.query, keep_blank_values=True)]
    return sorted({f for f in found if f}, key=len, reverse=True)


def redact_url(url: str) -> str:
    """`url` fit to print: user, password and query values replaced by `***`."""
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    netloc = f"{'***:***' if ':' in userinfo else '***'}@{host}" if at else host
    query = "&".join(f"{name}=***" for name, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def scrub(text: str, secrets: list[str]) -> str:
    """`text` with every secret (and its URL-quoted form) replaced by `***`."""
    for secret in secrets:
        text = text.replace(secret, "***").replace(quote(secret, safe=""), "***")
    return text


class Sampling(BaseModel):
    """Sampling settings sent with every request; extra keys (top_k, min_p, ...) are passed through."""

    model_config = ConfigDict(extra="allow")
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_tokens: int = Field(1024, gt=0)
    stop: list[str] | None = None

    def body(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)


class Prices(BaseModel):
    """US dollars per million tokens, as providers quote them."""

    model_config = ConfigDict(extra="forbid")
    prompt: float = Field(0.0, ge=0)
    completion: float = Field(0.0, ge=0)


# Generation backends by name: reasonledger's own (openai, replay, vllm, scripted) and any a plugin adds;
# the factory is generation/backends/make_backend.
BACKENDS = registry("generation backend")


def _known_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"unknown generation backend {name!r}; known: {', '.join(BACKENDS.names())}")
    return name


BackendName = Annotated[str, AfterValidator(_known_backend)]


class GeneratorSpec(BaseModel):
    """Which backend generates, for which model, and how hard it may push the server.

    `concurrency` holds per worker process; the rate limits are the whole build's, and each of the
    executor's N worker processes takes 1/N of them (one process drives thousands of requests per
    second, see benchmarks/construct.md).
    """

    model_config = ConfigDict(extra="forbid")
    backend: BackendName = "openai"
    model: str | None = Field(None, description="openai: unset means the server's only model (GET /models)")
    revision: str | None = None
    api: Literal["chat", "completions"] = "chat"
    endpoint: str | None = Field(None, description=f"openai: base URL ending in /v1; ${ENDPOINT_ENV} (build --endpoint) "
                                 "overrides it")
    api_key_env: str | None = Field(None, description="the environment variable holding the key: one of "
                                    f"{', '.join(DEFAULT_KEY_ENVS)} (default, first set), the one named by "
                                    "`build --api-key-env`, or one listed under `api_key_env` in the user's config")
    client: Literal["aiohttp", "openai"] = "aiohttp"
    concurrency: int = Field(64, gt=0)
    max_requests_per_minute: float | None = Field(None, gt=0, description="for the whole build, shared by its workers")
    max_tokens_per_minute: float | None = Field(None, gt=0, description="for the whole build, shared by its workers")
    retries: int = Field(6, ge=0)
    backoff: float = Field(1.0, ge=0, description="first retry delay in seconds; doubles, with jitter")
    max_backoff: float = Field(60.0, ge=0)
    timeout: float = Field(600.0, gt=0)
    prices: Prices = Field(default_factory=Prices)
    extra_body: dict[str, Any] = Field(default_factory=dict)
    replay: list[str] = Field(default_factory=list, description="replay: files of recorded completions")
    replay_format: str = "replay"
    script: str | None = Field(None, description="scripted: the name of a function in the `generation script` "
                               "registry, script(request, sample) -> text, Choice or Failure")
    script_table: dict[str, list[str | dict[str, Any]]] = Field(
        default_factory=dict, description="scripted: lookup text (or request key) -> completions; sample j gets "
                                          "completion j mod their number")
    vllm: dict[str, Any] = Field(default_factory=dict, description="vllm: keyword arguments for vllm.LLM")
    cache: bool = True

    @model_validator(mode="after")
    def _check(self) -> "GeneratorSpec":
        if self.backend == "openai" and not self.resolved_endpoint():
            raise ValueError(f"endpoint: no endpoint for the openai backend; set `endpoint`, the {ENDPOINT_ENV} "
                             "environment variable, or `reasonledger build --endpoint URL`")
        if self.endpoint and url_secrets(self.endpoint):
            raise ValueError(f"endpoint: {redact_url(self.endpoint)} carries credentials (user, password or query "
                             f"values); a recipe is shared, so keep them out of it: give the URL with "
                             f"`reasonledger build --endpoint URL` (or {ENDPOINT_ENV}) and the key with --api-key-env")
        if self.vllm.get("trust_remote_code") and not load_user_config().trust_remote_code:
            raise ValueError("vllm.trust_remote_code: a recipe may not by itself run code from a model's repository "
                             "in this process; if you trust it, set `trust_remote_code: true` in your reasonledger "
                             "config file")
        if self.api_key_env is not None and self.api_key_env not in allowed_key_envs():
            raise ValueError(f"api_key_env: the recipe asks for the key in ${self.api_key_env}, which you have not "
                             f"named; an endpoint key is read only from {', '.join(allowed_key_envs())}. If that "
                             f"variable really holds this endpoint's key, run `reasonledger build --api-key-env "
                             f"{self.api_key_env}` or list it under `api_key_env:` in your reasonledger config file")
        if self.backend == "replay" and not self.replay:
            raise ValueError("replay: the replay backend needs `replay: [files of recorded completions]`")
        if self.backend == "scripted" and not (self.script or self.script_table):
            raise ValueError("script: the scripted backend needs `script` (a registered function) or `script_table`")
        if self.backend == "vllm" and not self.model:
            raise ValueError("model: the vllm backend needs the model to load")
        return self

    def resolved_endpoint(self) -> str | None:
        """The user's endpoint (`build --endpoint`, REASONLEDGER_ENDPOINT) if set, else the recipe's."""
        endpoint = os.environ.get(ENDPOINT_ENV) or self.endpoint
        return endpoint.rstrip("/") if endpoint else None

    def resolved_api_key(self) -> str | None:
        """The endpoint key: from the variable named on the command line, else the recipe's (checked
        to be one the user allows), else the first default that is set; None when it is withheld."""
        if self.key_withheld():
            return None
        named = os.environ.get(KEY_ENV_CHOICE) or self.api_key_env
        return next((os.environ[n] for n in ([named] if named else DEFAULT_KEY_ENVS) if os.environ.get(n)), None)

    def key_withheld(self) -> str | None:
        """Why no key is sent, if none is: a recipe that picks its own endpoint gets a key only from a
        variable the user named (command line or config file), never one of the defaults, or a shared
        recipe could send the user's OPENAI_API_KEY to any host it likes."""
        if not self.endpoint or os.environ.get(ENDPOINT_ENV):  # the user's endpoint is the one used
            return None
        if os.environ.get(KEY_ENV_CHOICE) or (self.api_key_env and self.api_key_env in load_user_config().api_key_env):
            return None
        return (f"no key was sent to the recipe's own endpoint {redact_url(self.endpoint)}: give the endpoint with "
                f"`build --endpoint URL`, or name the key's variable with `build --api-key-env NAME`")


@dataclass(eq=False)
class GenerationRequest:
    """One request: `payload` is the OpenAI body (model, messages or prompt, sampling, n, seed).
    `replay_key`, when the caller sets it, is what replay files and scripted tables find the request
    by instead of `lookup_text` (an agent's turn: its whole conversation, which the last user
    message alone does not tell apart); it is not part of the request's cache key."""

    api: Literal["chat", "completions"]
    payload: dict[str, Any]
    sample: int = 0
    replay_key: str | None = None

    @property
    def n(self) -> int:
        return int(self.payload.get("n", 1))

    @cached_property
    def key(self) -> str:
        material = canonical_json({"api": self.api, "payload": self.payload, "sample": self.sample})
        return hashlib.sha256(material.encode()).hexdigest()

    @property
    def lookup(self) -> str:
        return self.replay_key if self.replay_key is not None else lookup_text(self.api, self.payload)

    def estimated_tokens(self) -> int:
        """What a token-rate limit charges before the answer is known: prompt chars / 4 + n * max_tokens."""
        return len(self.lookup) // 4 + self.n * int(self.payload.get("max_tokens", 0))


def lookup_text(api: str, payload: dict[str, Any]) -> str:
    """The text a model is asked to continue: the prompt (completions), or the last user message
    followed by an assistant prefix when the request continues one (chat), or, when tool turns
    follow the last user message (an agent's episode), that message followed by each later turn as
    canonical JSON, so every turn of an episode is its own prompt. Replay keys on it."""
    if api == "completions":
        prompt = payload.get("prompt", "")
        return prompt if isinstance(prompt, str) else canonical_json(prompt)
    messages = payload.get("messages") or []
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        return str(messages[-1].get("content", "")) if messages else ""
    last = users[-1]
    text = str(messages[last].get("content", ""))
    tail = messages[last + 1:]
    if any(m.get("role") != "assistant" or m.get("tool_calls") for m in tail):
        return text + "".join(canonical_json(m) for m in tail)
    if tail and tail[-1].get("role") == "assistant":
        text += str(tail[-1].get("content", ""))
    return text


@dataclass(frozen=True)
class Choice:
    """One answer: its text, why it stopped (`length` at max_tokens is an answer, not an error), any
    separate reasoning, and the tool calls it asked for (OpenAI `tool_calls` entries, arguments a JSON
    string, as sent on the wire: parsed only by the caller that dispatches them)."""

    text: str
    finish_reason: str | None = None
    reasoning: str | None = None
    tool_calls: tuple[dict[str, Any], ...] | None = None

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "finish_reason": self.finish_reason, "reasoning": self.reasoning,
                **({"tool_calls": list(self.tool_calls)} if self.tool_calls else {})}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Choice":
        calls = data.get("tool_calls")
        return cls(data["text"], data.get("finish_reason"), data.get("reasoning"), tuple(calls) if calls else None)


@dataclass
class Response:
    choices: list[Choice]
    model: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    fingerprint: str | None = None
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"choices": [c.to_json() for c in self.choices],
                "model": self.model, "usage": [self.prompt_tokens, self.completion_tokens],
                "fingerprint": self.fingerprint}

    @classmethod
    def from_json(cls, data: dict[str, Any], cached: bool = False) -> "Response":
        prompt, completion = data["usage"]
        return cls([Choice.from_json(c) for c in data["choices"]], data["model"], prompt, completion,
                   data.get("fingerprint"), cached)


@dataclass
class Failure:
    """A request that got no usable answer after its retries: why, in words a person can act on."""

    kind: str
    message: str
    attempts: int = 1
    status: int | None = None
    body: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


Outcome = Response | Failure


class BadResponse(ValueError):
    """The server answered 200 with a body that is not a usable completion."""


def excerpt(raw: bytes | str, limit: int = 300) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text if len(text) <= limit else text[:limit] + f"... ({len(text):,} chars)"


def parse_completion(api: str, data: Any, n: int) -> Response:
    """The usable part of an OpenAI completion body, or BadResponse naming what is missing."""
    if not isinstance(data, dict):
        raise BadResponse(f"expected a JSON object, got {type(data).__name__}")
    if "error" in data and "choices" not in data:
        raise BadResponse(f"the server answered 200 with an error: {excerpt(canonical_json(data['error']))}")
    raw_choices = data.get("choices")
    if not isinstance(raw_choices, list):
        raise BadResponse("no `choices` list in the response")
    if len(raw_choices) != n:
        raise BadResponse(f"asked for n={n} choices, got {len(raw_choices)}")
    choices = []
    for position, choice in enumerate(sorted(raw_choices, key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0)):
        if not isinstance(choice, dict):
            raise BadResponse(f"choice {position} is not an object")
        if api == "chat":
            message = choice.get("message")
            if not isinstance(message, dict):
                raise BadResponse(f"choice {position} has no `message`")
            text, reasoning = message.get("content"), message.get("reasoning_content") or message.get("reasoning")
            calls = tool_calls(message.get("tool_calls"), position)
        else:
            text, reasoning, calls = choice.get("text"), None, None
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise BadResponse(f"choice {position}: the text is {type(text).__name__}, not a string")
        choices.append(Choice(text, choice.get("finish_reason"), reasoning if isinstance(reasoning, str) else None, calls))
    usage = data.get("usage") if isinstance(data.get("usage"), dict) else {}
    return Response(choices, str(data.get("model") or ""), int(usage.get("prompt_tokens") or 0),
                    int(usage.get("completion_tokens") or 0), data.get("system_fingerprint"))


def tool_calls(raw: Any, position: int = 0) -> tuple[dict[str, Any], ...] | None:
    """A message's `tool_calls` in the wire shape {id, type: "function", function: {name, arguments: str}};
    arguments sent as an object are serialised (some servers do so). BadResponse names what is wrong."""
    if raw is None or raw == []:
        return None
    if not isinstance(raw, list):
        raise BadResponse(f"choice {position}: `tool_calls` is {type(raw).__name__}, not a list")
    calls = []
    for number, call in enumerate(raw):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise BadResponse(f"choice {position}: tool call {number} has no function name")
        arguments = function.get("arguments")
        if not isinstance(arguments, str):
            arguments = canonical_json(arguments if arguments is not None else {})
        calls.append({"id": str(call.get("id") or f"call_{number}"), "type": "function",
                      "function": {"name": function["name"], "arguments": arguments}})
    return tuple(calls)
