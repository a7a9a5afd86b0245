"""Exports of agent data: tool-calling SFT for TRL and multi-turn tool RL for verl.

- `trl_tools`: TRL's conversational language-modeling format with tool calling (TRL docs, "Dataset
  formats", Tool Calling): one JSON line per episode, `{"messages": [...], "tools": [...]}`, where an
  assistant turn's `tool_calls` carry `{"type": "function", "function": {"name", "arguments": {...}}}`
  (arguments as an object, as chat templates render them) and a tool turn its `name` and
  `tool_call_id`; `tools` are the JSON schemas the model was shown. The conversation ends at its last
  assistant turn. By default only episodes judged successful and made of recorded calls are kept
  (a success with calls a converter made up is no evidence of what a model did; `select: all` keeps
  every episode); each row names its record, outcome, whether it passed and how many of its calls
  are synthetic, so failures are never confused with successes.
- `verl_tools`: verl's RL dataset for multi-turn tool rollouts (verl examples/data_preprocess,
  `gsm8k_multiturn_w_tool.py`): data_source, the opening prompt, ability, reward_model, and
  extra_info with `need_tools_kwargs`, `tools_kwargs` (every tool's `create_kwargs` naming the
  environment, its revision and task) and `interaction_kwargs` (the task, for a simulated user),
  plus the columns `reasonledger.rewards.compute_score` reads (verifier `environment`, its config and
  the environment spec); and beside it `verl_tools.yaml`, the tool config verl's
  `tools_config_file` reads (`tools: [{class_name, config, tool_schema}]`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field

from reasonledger.engine.outputs import Output
from reasonledger.formats.exporters.rl import PromptOptions, Split, _write_split_files, chat_prompt, data_source
from reasonledger.records.agent import EnvironmentSpec, environment_spec, replay_verdict
from reasonledger.records.io import iter_valid
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Kind, Message, Record, Verdict, canonical_json
from reasonledger.records.parquet import write_rows_atomic

AGENT_KINDS = (Kind.tool_trajectory, Kind.episode)


def episode_verdict(record: Record) -> Verdict | None:
    """The verdict on the whole episode: the environment's replay when it ran, else a label the
    dataset carried; None when nobody judged it."""
    replayed = replay_verdict(record)
    if replayed is not None:
        return replayed
    return next((v for v in reversed(record.verdicts) if v.target == "episode"), None)


def _outcome(verdict: Verdict | None) -> str:
    if verdict is None:
        return "unjudged"
    return str(verdict.evidence.get("outcome") or ("success" if verdict.passed else "failure"))


def _spec(record: Record) -> EnvironmentSpec | None:
    try:
        return environment_spec(record.task)
    except ValueError:
        return None


def _arguments(text: str) -> Any:
    """Arguments as an object for chat templates; text that is not a JSON object stays as written."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text


def trl_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        out["tool_calls"] = [{**({"id": c.id} if c.id else {}), "type": "function",
                              "function": {"name": c.function.name, "arguments": _arguments(c.function.arguments)}}
                             for c in message.tool_calls]
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        out["name"] = message.name
    return out


class TrlToolsOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    select: Literal["passed", "all"] = Field(
        "passed", description="passed: only episodes whose episode verdict passed and whose calls were all "
        "recorded; all: every episode, labelled")


def trl_tools_row(record: Record, options: TrlToolsOptions) -> dict[str, Any] | None:
    """The SFT row of one agent record, or None when it has no conversation or is not selected."""
    messages = record.behaviour.messages
    if record.kind not in AGENT_KINDS or not messages:
        return None
    verdict = episode_verdict(record)
    synthetic = sum(a.provenance == "synthetic" for a in record.behaviour.actions or [])
    if options.select == "passed" and not (verdict is not None and verdict.passed and not synthetic):
        return None
    last = max((i for i, m in enumerate(messages) if m.role == "assistant"), default=None)
    if last is None:
        return None
    spec = _spec(record)
    return {"messages": [trl_message(m) for m in messages[:last + 1]], "tools": spec.tools if spec else [],
            "record_id": record.id, "outcome": _outcome(verdict), "passed": bool(verdict and verdict.passed),
            "synthetic_actions": synthetic}


def export_trl_tools(data_dir: Path, out_dir: Path, options: TrlToolsOptions | None = None) -> Path:
    options = options or TrlToolsOptions()
    out = out_dir / "trl_tools.jsonl"
    rows = (row for record in iter_valid(data_dir) if (row := trl_tools_row(record, options)) is not None)
    write_jsonl(rows, out)
    return out


class VerlToolsOptions(PromptOptions):
    model_config = ConfigDict(extra="forbid")
    tool_class: str = Field(
        "", description="the verl BaseTool class (module path) that steps the environment, written into verl_tools.yaml")


def _tool_names(spec: EnvironmentSpec, record: Record) -> list[str]:
    """The tools of an episode: its schemas' names, else the names its calls and gold actions used."""
    names = [str((t.get("function") or t).get("name")) for t in spec.tools if (t.get("function") or t).get("name")]
    if not names:
        names = [a.name for a in record.behaviour.actions or [] if a.name] + [a.name for a in spec.gold_actions]
    return list(dict.fromkeys(names))


def _verl_records(data_dir: Path) -> Iterator[tuple[Record, EnvironmentSpec]]:
    for record in iter_valid(data_dir):
        spec = _spec(record) if record.kind in AGENT_KINDS else None
        if spec is not None and spec.env is not None:
            yield record, spec


def export_verl_tools(data_dir: Path, out_dir: Path, options: VerlToolsOptions | None = None) -> Path:
    options = options or VerlToolsOptions()
    names = sorted({n for record, spec in _verl_records(data_dir) for n in _tool_names(spec, record)})
    schemas = {str((t.get("function") or t).get("name")): t for _, spec in _verl_records(data_dir) for t in spec.tools}

    def write(records: Iterator[tuple[int, Record]], split: Split, path: Path) -> None:
        def rows() -> Iterator[dict[str, Any]]:
            for index, record in records:
                spec = _spec(record)
                if record.kind not in AGENT_KINDS or spec is None or spec.env is None:
                    continue
                handle = {"env": spec.env, "revision": spec.revision or "", "task_id": spec.task_id or "",
                          "record_id": record.id}
                verifier = record.task.verifier
                yield {
                    "data_source": data_source(record),
                    "prompt": [{"role": m["role"], "content": m["content"]} for m in chat_prompt(record, options)],
                    "ability": record.task.domain or "agent",
                    "agent_name": "tool_agent",
                    "reward_model": {"style": "rule", "ground_truth": canonical_json(spec.as_reference())},
                    "extra_info": {
                        "split": split, "index": index, "record_id": record.id,
                        "verifier": verifier.name if verifier else "environment",
                        "verifier_config_json": canonical_json(verifier.config if verifier else {}),
                        "reference_json": canonical_json(spec.as_reference()),
                        "need_tools_kwargs": bool(names),
                        **({"tools_kwargs": {name: {"create_kwargs": handle} for name in names}} if names else {}),
                        "interaction_kwargs": {"name": spec.env, "task_json": canonical_json(spec.task)},
                    },
                }
        write_rows_atomic(rows(), _verl_schema(names), path)

    train = _write_split_files(data_dir, out_dir, "verl_tools", ".parquet", options, write)
    config = {"tools": [{"class_name": options.tool_class, "config": {"type": "native"},
                         "tool_schema": schemas[name]} for name in names if name in schemas]}
    (out_dir / "verl_tools.yaml").write_text(yaml.safe_dump(config, sort_keys=True, allow_unicode=True),
                                             encoding="utf-8")
    return train


def _verl_schema(names: list[str]) -> pa.Schema:
    handle = pa.struct([("env", pa.string()), ("revision", pa.string()), ("task_id", pa.string()),
                        ("record_id", pa.string())])
    return pa.schema([
        ("data_source", pa.string()),
        ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
        ("ability", pa.string()), ("agent_name", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", pa.struct([
            ("split", pa.string()), ("index", pa.int64()), ("record_id", pa.string()), ("verifier", pa.string()),
            ("verifier_config_json", pa.string()), ("reference_json", pa.string()), ("need_tools_kwargs", pa.bool_()),
            # Parquet has no struct without fields: with no tool to name, no tools_kwargs
            *([("tools_kwargs", pa.struct([(name, pa.struct([("create_kwargs", handle)])) for name in names]))]
              if names else []),
            ("interaction_kwargs", pa.struct([("name", pa.string()), ("task_json", pa.string())])),
        ])),
    ])


# The outputs this module writes, each named in builtins.py as "module:attribute" (imported when named).
TRL_TOOLS = Output(export_trl_tools, TrlToolsOptions)  # agent data: SFT with tools
VERL_TOOLS = Output(export_verl_tools, VerlToolsOptions)  # agent data: multi-turn RL
