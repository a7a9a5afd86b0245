"""Replay: serve recorded completions from files, to reproduce a run offline and to test.

A replay file is JSONL, one prompt per line:
    {"prompt": "...", "completions": ["...", {"text": "...", "finish_reason": "stop", "model": "...",
     "usage": [prompt_tokens, completion_tokens], "fingerprint": "...", "tool_calls": [...]}], "model": "..."}
keyed by the text the model was asked to continue (`protocol.lookup_text`), and answered in
recorded order: sample j of a prompt is its j-th completion. A line may instead name the request it
answered, `{"request": "<GenerationRequest.key>", "completions": [...]}`: it then answers that request
only (the same model, messages, decoding, seed and sample), so a judge replayed from such a file
gives the recorded verdicts exactly, and any change to the request is a `replay_missing` failure, never
another request's answer (`reasonledger construct replay-file RUN --by-request` writes these from a
request cache). A replay file written from a run
(`reasonledger construct replay-file RUN`) keeps usage and fingerprints, so replaying it with the
same model name rebuilds the same rollout sets, ids included. Any importer format that yields
rollout sets (gsm8k-solutions, rg-rollouts, records) can be replayed directly too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonledger.generation.backends import Backend, Done
from reasonledger.generation.protocol import (
    BadResponse, Choice, Failure, GenerationRequest, GeneratorSpec, Response, excerpt, lookup_text, tool_calls)
from reasonledger.records.jsonl import read_json_lines
from reasonledger.records.model import Kind, Record, prompt_text
from reasonledger.records.quarantine import DEFAULT_MAX_BAD_ROWS, BadRow, cap_bad_rows
from reasonledger.registry import registry

IMPORT_FORMATS = registry("import format")
_REQUEST_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Recorded:
    choice: Choice
    model: str | None = None
    usage: tuple[int, int] = (0, 0)
    fingerprint: str | None = None


class ReplayError(ValueError):
    """A replay file that cannot be served, said as `file:line: what is wrong`."""


def _recorded(item: Any, model: str | None, where: str) -> Recorded:
    if isinstance(item, str):
        return Recorded(Choice(item, "stop"), model)
    if isinstance(item, dict) and isinstance(item.get("text"), str):
        usage = item.get("usage") or (0, 0)
        try:
            calls = tool_calls(item.get("tool_calls"))
        except BadResponse as exc:
            raise ReplayError(f"{where}: {exc}") from None
        return Recorded(Choice(item["text"], item.get("finish_reason", "stop"), item.get("reasoning"), calls),
                        item.get("model", model), (int(usage[0]), int(usage[1])), item.get("fingerprint"))
    raise ReplayError(f"{where}: a completion is a string or {{\"text\": ...}}, got {excerpt(json.dumps(item), 80)}")


def read_replay_file(path: Path) -> Iterator[tuple[str | None, list[Recorded], str | None]]:
    """(prompt, recorded completions, request key) per line; a line keyed by its request may omit the prompt."""
    for row in read_json_lines(path):
        if isinstance(row, BadRow):
            raise ReplayError(row.message())
        number, value = row
        where = f"{path}:{number}"
        line = value if isinstance(value, dict) else {}
        prompt, request, completions = line.get("prompt"), line.get("request"), line.get("completions")
        if request is not None and not (isinstance(request, str) and _REQUEST_KEY.fullmatch(request)):
            raise ReplayError(f"{where}: `request` is a request key (64 hex digits), got {excerpt(json.dumps(request), 80)}")
        if not isinstance(completions, list) or not (isinstance(prompt, str) or (request is not None and prompt is None)):
            raise ReplayError(f"{where}: expected {{\"prompt\": str, \"completions\": [...]}} or "
                              f"{{\"request\": key, \"completions\": [...]}}")
        yield prompt, [_recorded(c, line.get("model"), where) for c in completions], request


def rollout_set_entry(record: Record) -> tuple[str, list[Recorded]]:
    """A rollout set as a replay entry, keyed by the prompt as it was sent when that is known."""
    generation = record.meta.get("generation")
    key = lookup_text(generation["api"], generation["payload"]) if generation else prompt_text(record.task)
    default = next((e.model for e in reversed(record.lineage.events) if e.model), None)
    recorded = [Recorded(Choice(r.response, r.meta.get("finish_reason", "stop"), r.meta.get("reasoning")),
                         r.meta.get("model", default), tuple(r.meta.get("request_usage") or (0, 0)),
                         r.meta.get("system_fingerprint")) for r in record.behaviour.rollouts or []]
    return key, recorded


def read_rollout_sets(path: Path, fmt: str) -> Iterator[tuple[str, list[Recorded], None]]:
    """Rollout sets read by the `fmt` importer, looked up by name in the registry (the importers live
    in a room above this one)."""
    if fmt not in IMPORT_FORMATS:
        raise ReplayError(f"replay_format: unknown format {fmt!r}; known: replay, {', '.join(IMPORT_FORMATS)}")
    for item in cap_bad_rows(IMPORT_FORMATS[fmt](path), DEFAULT_MAX_BAD_ROWS):
        if isinstance(item, BadRow):
            raise ReplayError(item.message())
        if item.kind == Kind.rollout_set:
            yield *rollout_set_entry(item), None


def replay_entries(path: Path | str, fmt: str = "replay") -> Iterator[tuple[str | None, list[Recorded], str | None]]:
    """(prompt, recorded completions, request key or None) from a replay file or from rollout sets in
    any importer format."""
    path = Path(path)
    if not path.is_file():
        raise ReplayError(f"{path}: no such replay file")
    return read_replay_file(path) if fmt == "replay" else read_rollout_sets(path, fmt)


def replay_line(prompt: str | None, recorded: list[Recorded], request: str | None = None) -> dict[str, Any]:
    """One line of a replay file (the inverse of `read_replay_file`): keyed by `prompt`, or by `request`."""
    completions = [{"text": r.choice.text, "finish_reason": r.choice.finish_reason,
                    **({"reasoning": r.choice.reasoning} if r.choice.reasoning else {}),
                    **({"tool_calls": list(r.choice.tool_calls)} if r.choice.tool_calls else {}),
                    **({"model": r.model} if r.model else {}),
                    **({"usage": list(r.usage)} if any(r.usage) else {}),
                    **({"fingerprint": r.fingerprint} if r.fingerprint else {})} for r in recorded]
    keyed = {"request": request} if request is not None else {}
    return {**keyed, **({"prompt": prompt} if prompt is not None else {}), "completions": completions}


def recorded_response(response: Response) -> list[Recorded]:
    """A request cache's answer as the completions of a request-keyed replay line."""
    usage = (response.prompt_tokens, response.completion_tokens)
    return [Recorded(choice, response.model, usage, response.fingerprint) for choice in response.choices]


class ReplayStore:
    """Recorded completions by prompt, several files (or lines) for one prompt appended in order; and
    by request key, for lines that name the one request they answer."""

    def __init__(self, paths: Sequence[Path | str], fmt: str = "replay") -> None:
        self.paths = [str(p) for p in paths]
        self.entries: dict[str, list[Recorded]] = {}
        self.by_request: dict[str, list[Recorded]] = {}
        for path in paths:
            for prompt, recorded, request in replay_entries(path, fmt):
                if request is not None:
                    self.by_request[request] = recorded
                else:
                    self.entries.setdefault(str(prompt), []).extend(recorded)

    def answer(self, request: GenerationRequest) -> list[Recorded]:
        """The completions recorded for `request`: by its key when a line names it, else by its prompt."""
        recorded = self.exact(request)
        return self.lookup(request.lookup, request.sample, request.n) if recorded is None else recorded

    def exact(self, request: GenerationRequest) -> list[Recorded] | None:
        """The first n completions of the line naming `request`, None when no line names it; a line
        with fewer is a LookupError, never a reason to answer from another request's prompt."""
        recorded = self.by_request.get(request.key)
        if recorded is not None and request.n > len(recorded):
            raise LookupError(f"n={request.n} asked, {len(recorded)} recorded for request {request.key[:16]}...")
        return None if recorded is None else recorded[:request.n]

    def lookup(self, prompt: str, first: int, n: int) -> list[Recorded]:
        """Completions first..first+n-1 of `prompt`; LookupError says what is missing."""
        recorded = self.entries.get(prompt)
        if recorded is None:
            keyed = f" (nor a line for this exact request among {len(self.by_request):,})" if self.by_request else ""
            raise LookupError(f"no recorded completion for this prompt in {', '.join(self.paths)}{keyed}: "
                              f"{excerpt(prompt, 120)}")
        if first + n > len(recorded):
            raise LookupError(f"{len(recorded)} recorded completion(s) for this prompt, samples {first}..{first + n - 1} "
                              f"asked: {excerpt(prompt, 80)}")
        return recorded[first:first + n]


def replay_answerer(store: ReplayStore) -> Any:
    """An OpenAIServer answer function: a request a line names by its key gets that line's completions;
    otherwise sample i of a request with seed s is completion (s + i) mod L of its prompt, so
    consecutive per-sample seeds (as the Rollouts step sends them) get distinct completions."""
    def answer(api: str, body: dict[str, Any]) -> list[Choice]:
        exact = store.exact(GenerationRequest(api, body))  # type: ignore[arg-type]
        if exact is not None:
            return [r.choice for r in exact]
        prompt = lookup_text(api, body)
        recorded = store.entries.get(prompt)
        if not recorded:
            raise LookupError(f"no recorded completion for this prompt: {excerpt(prompt, 120)}")
        n, start = int(body.get("n", 1)), int(body.get("seed") or 0)
        if n > len(recorded):
            raise LookupError(f"n={n} asked, {len(recorded)} recorded for this prompt")
        return [recorded[(start + i) % len(recorded)].choice for i in range(n)]

    return answer


class ReplayBackend(Backend):
    name = "replay"
    cacheable = False

    def __init__(self, spec: GeneratorSpec) -> None:
        super().__init__(spec)
        self.store = ReplayStore(spec.replay, spec.replay_format)

    @property
    def model(self) -> str:
        return self.spec.model or "replay:" + "+".join(Path(p).name for p in self.spec.replay)

    def describe(self) -> dict[str, str]:
        return {**super().describe(), "files": ", ".join(self.spec.replay), "format": self.spec.replay_format}

    def run(self, requests: Sequence[GenerationRequest], done: Done) -> None:
        for index, request in enumerate(requests):
            try:
                recorded = self.store.answer(request)
            except LookupError as exc:
                done(index, Failure("replay_missing", str(exc.args[0]), 1, extra={"retryable": False}))
                continue
            models = {r.model for r in recorded if r.model}
            model = models.pop() if len(models) == 1 else self.model
            # a request's usage is recorded on each of its completions: count it once
            first = recorded[0]
            done(index, Response([r.choice for r in recorded], model, *first.usage, first.fingerprint))
