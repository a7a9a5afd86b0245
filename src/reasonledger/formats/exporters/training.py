"""Training exports of constructed data, one JSON object per line, in the run's record order:

- `sft`: chat JSONL, {"messages": [..., {"role": "assistant", ...}]}, from `trace` records, from
  `prompt_answer` records whose response a verifier passed (or, with `judged_only: false`, that none
  failed), and from each rollout of a `rollout_set` that every verdict on it passed (unless traces
  were sampled from that set: they stand for it);
- `dpo`: TRL's conversational preference format {"prompt", "chosen", "rejected"}, from `preference_pair`s;
- `trl_stepwise`: TRL's stepwise supervision {"prompt", "completions", "labels"}, from labelled `step_trace`s.

Prompts are the messages the model was actually sent (`meta.generation`), not the bare task. Every
row names its record, the rollout set behind it and the rollout indices, so a trainer's example
can be traced back to the rollouts and verdicts it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.engine.outputs import NoOptions, Output
from reasonledger.formats.exporters.rl import chat_prompt
from reasonledger.records.io import iter_valid
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Kind, Record
from reasonledger.records.targets import is_part, rollout_index


def prompt_messages(record: Record) -> list[dict[str, str]]:
    """The chat the model saw: the rendered generation prompt when recorded, else the task's prompt."""
    generation = record.meta.get("generation") or {}
    body = generation.get("payload") or {}
    if "messages" in body:
        return [{"role": m["role"], "content": m["content"]} for m in body["messages"]]
    if "prompt" in body:
        return [{"role": "user", "content": body["prompt"]}]
    return chat_prompt(record)


def _links(record: Record, **more: Any) -> dict[str, Any]:
    return {"record_id": record.id, "rollout_set": record.meta.get("rollout_set"), **more}


def assistant_text(record: Record) -> str:
    """The response, preceded by the separate reasoning in <think> tags when the server returned one
    (`reasoning_content`, as DeepSeek-R1-style models served by vLLM or SGLang do)."""
    b = record.behaviour
    response = b.response if b.response is not None else b.trace or ""
    if b.trace and b.trace != response:
        return f"<think>\n{b.trace}\n</think>\n\n{response}"
    return response


def _judged(record: Record) -> bool | None:
    """True when every verdict on a whole response of the record passed, False when any failed, None when
    none judged it (a rubric's items are weighed in its verdict on the whole: an unmet item is no failure)."""
    wholes = [v.passed for v in record.verdicts if not is_part(v.target)]
    return all(wholes) if wholes else None


class SftOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    judged_only: bool = Field(True, description="prompt_answer responses only when a verifier passed them; false "
                                                "also takes responses nothing judged (a file of demonstrations)")


def sft_row(record: Record, judged_only: bool = True) -> dict[str, Any] | None:
    """A demonstration: a trace, or a prompt_answer's response that a verifier passed (with
    `judged_only`, an imported answer is no demonstration until something checked it); never a
    response any verdict failed."""
    judged = _judged(record)
    if record.kind not in (Kind.trace, Kind.prompt_answer) or judged is False or \
            (record.kind == Kind.prompt_answer and judged_only and not judged):
        return None
    if record.behaviour.response is None and record.behaviour.trace is None:
        return None
    return {"messages": [*prompt_messages(record), {"role": "assistant", "content": assistant_text(record)}],
            **_links(record, rollout_index=record.meta.get("rollout_index"))}


def rollout_sft_rows(record: Record) -> list[dict[str, Any]]:
    """One demonstration per rollout of a rollout set that every verdict on it passed (stored labels,
    such as OpenR1's correctness_math_verify, or this tool's verifiers)."""
    if record.kind != Kind.rollout_set:
        return []
    verdicts: dict[int, list[bool]] = {}
    for verdict in record.verdicts:
        j = rollout_index(verdict.target)
        if j is not None:
            verdicts.setdefault(j, []).append(verdict.passed)
    return [{"messages": [*prompt_messages(record), {"role": "assistant", "content": rollout.response}],
             "record_id": record.id, "rollout_set": record.id, "rollout_index": j}
            for j, rollout in enumerate(record.behaviour.rollouts or []) if verdicts.get(j) and all(verdicts[j])]


def dpo_row(record: Record) -> dict[str, Any] | None:
    if record.kind != Kind.preference_pair:
        return None
    return {"prompt": prompt_messages(record),
            "chosen": [{"role": "assistant", "content": record.behaviour.chosen}],
            "rejected": [{"role": "assistant", "content": record.behaviour.rejected}],
            **_links(record, chosen_rollout=record.meta.get("chosen_rollout"),
                     rejected_rollout=record.meta.get("rejected_rollout"))}


def stepwise_row(record: Record) -> dict[str, Any] | None:
    """Steps up to the first unlabelled one; labels as booleans (a soft label counts when >= 0.5)."""
    if record.kind != Kind.step_trace:
        return None
    completions, labels, sources = [], [], []
    for step in record.behaviour.steps or []:
        if step.label is None:
            break
        completions.append(step.text)
        labels.append(step.label >= 0.5)
        sources.append(step.label_source)
    if not completions:
        return None
    messages = prompt_messages(record)
    prompt = next((m["content"] for m in reversed(messages) if m["role"] == "user"), messages[-1]["content"])
    return {"prompt": prompt, "completions": completions, "labels": labels, "label_sources": sources,
            **_links(record, rollout_index=record.meta.get("rollout_index"))}


def _write(data_dir: Path, out: Path, row: Callable[[Record], dict[str, Any] | None]) -> Path:
    write_jsonl((item for record in iter_valid(data_dir) if (item := row(record)) is not None), out)
    return out


def sft_rows(record: Record, options: SftOptions, sampled: set[str]) -> Iterable[dict[str, Any]]:
    """The demonstrations of one record; a rollout set in `sampled` (the released traces were chosen
    from it, by rejection sampling) is represented by those traces alone."""
    row = sft_row(record, options.judged_only)
    if row is not None:
        return [row]
    return [] if record.id in sampled else rollout_sft_rows(record)


def export_sft(data_dir: Path, out_dir: Path, options: SftOptions | None = None) -> Path:
    options = options or SftOptions()
    sampled = {r.meta["rollout_set"] for r in iter_valid(data_dir) if r.kind == Kind.trace and r.meta.get("rollout_set")}
    out = out_dir / "sft.jsonl"
    write_jsonl((row for record in iter_valid(data_dir) for row in sft_rows(record, options, sampled)), out)
    return out


def export_dpo(data_dir: Path, out_dir: Path) -> Path:
    return _write(data_dir, out_dir / "dpo.jsonl", dpo_row)


def export_trl_stepwise(data_dir: Path, out_dir: Path) -> Path:
    return _write(data_dir, out_dir / "trl_stepwise.jsonl", stepwise_row)


# The outputs this module writes, each named in builtins.py as "module:attribute" (imported when named).
SFT = Output(export_sft, SftOptions)
DPO = Output(export_dpo, NoOptions)
TRL_STEPWISE = Output(export_trl_stepwise, NoOptions)
