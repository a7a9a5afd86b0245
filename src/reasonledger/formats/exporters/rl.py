"""RLVR prompt sets for verl, TRL (GRPO) and OpenRLHF. Every row carries what the reward function
needs to call the record's own verifier: its name, config and the full reference.

Options (the recipe's `{verl: {...}}`): `system_prompt` and `instruction` say what the model should
write (the instruction is appended to the last user message of every prompt), and `val_fraction`
holds out that share of records, chosen by a hash of the record id (so the same records are held
out in every export and every rebuild), into a second file beside the training one:
`verl.val.parquet` for verl's `data.val_files`, `trl_grpo.val.parquet`, `openrlhf.val.jsonl`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field

from reasonledger.engine.outputs import Output
from reasonledger.records.io import iter_valid
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Record, canonical_json
from reasonledger.records.parquet import write_rows_atomic

_MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))

Split = Literal["train", "val"]


class PromptOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    system_prompt: str | None = Field(None, description="a system message put before every prompt")
    instruction: str | None = Field(None, description="appended to the last user message of every prompt")
    val_fraction: float = Field(0.0, ge=0.0, lt=1.0, description="share of records (by id hash) in the validation file")

    def prompt_format(self) -> dict[str, str | None]:
        """What every exported prompt carries, for the run log and the card."""
        return {"system_prompt": self.system_prompt, "instruction": self.instruction}


def chat_prompt(record: Record, options: PromptOptions | None = None) -> list[dict[str, str]]:
    """The task's prompt as chat messages, with the export's system prompt and instruction added.
    A record that has its own system message keeps it, after the export's system prompt."""
    prompt = record.task.prompt
    messages = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [m.model_dump() for m in prompt]
    if options is None:
        return messages
    if options.instruction:
        last = max((i for i, m in enumerate(messages) if m["role"] == "user"), default=None)
        if last is None:
            messages.append({"role": "user", "content": options.instruction})
        else:
            messages[last] = {**messages[last], "content": f"{messages[last]['content'].rstrip()}\n\n{options.instruction}"}
    if options.system_prompt:
        if messages and messages[0]["role"] == "system":
            messages[0] = {**messages[0], "content": f"{options.system_prompt}\n\n{messages[0]['content']}"}
        else:
            messages.insert(0, {"role": "system", "content": options.system_prompt})
    return messages


def gold_text(reference: Any) -> str:
    """The reference as a trainer shows it: the answer string; for a task with many right answers and
    no single gold (reasoning-gym's propositional_logic) the generator's `example_answer`; else
    canonical JSON for structured references."""
    if isinstance(reference, dict):
        answer = reference.get("answer")
        if answer is None and isinstance(reference.get("metadata"), dict):
            answer = reference["metadata"].get("example_answer")
        if answer is not None and not isinstance(answer, (dict, list)):
            return str(answer)
    return reference if isinstance(reference, str) else canonical_json(reference)


def data_source(record: Record) -> str:
    return record.task.source.dataset


def split_of(record_id: str, val_fraction: float) -> Split:
    """`val` for the records whose id hashes below `val_fraction` of the range: stable per record."""
    position = int.from_bytes(hashlib.sha256(record_id.encode()).digest()[:8], "big") / 2**64
    return "val" if position < val_fraction else "train"


def _verifier(record: Record) -> tuple[str, str]:
    spec = record.task.verifier
    return (spec.name, canonical_json(spec.config)) if spec else ("", "{}")


def openrlhf_label(record: Record) -> str:
    """OpenRLHF hands `reward_func` only the `--data.label_key` column, so the label is one JSON string
    with everything the verifier needs: {"verifier", "config", "reference"}."""
    spec = record.task.verifier
    return canonical_json({"verifier": spec.name if spec else "", "config": spec.config if spec else {},
                           "reference": record.task.reference})


def _splits(data_dir: Path, options: PromptOptions, split: Split) -> Iterator[tuple[int, Record]]:
    """(index within the split, record) for the records of one split, in the run's record order."""
    index = 0
    for record in iter_valid(data_dir):
        if split_of(record.id, options.val_fraction) == split:
            yield index, record
            index += 1


def _write_split_files(data_dir: Path, out_dir: Path, name: str, suffix: str, options: PromptOptions,
                       write: Callable[[Iterator[tuple[int, Record]], Split, Path], None]) -> Path:
    """The training file, and the validation file when `val_fraction` > 0; returns the training file."""
    train = out_dir / f"{name}{suffix}"
    write(_splits(data_dir, options, "train"), "train", train)
    if options.val_fraction > 0:
        write(_splits(data_dir, options, "val"), "val", out_dir / f"{name}.val{suffix}")
    return train


_VERL_SCHEMA = pa.schema([
    ("data_source", pa.string()), ("prompt", _MESSAGES), ("ability", pa.string()),
    ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
    ("extra_info", pa.struct([("split", pa.string()), ("index", pa.int64()), ("record_id", pa.string()),
                              ("verifier", pa.string()), ("verifier_config_json", pa.string()),
                              ("reference_json", pa.string())])),
])


def export_verl(data_dir: Path, out_dir: Path, options: PromptOptions | None = None) -> Path:
    """verl's RL dataset (`data.train_files`, `data.val_files`): data_source, prompt (chat), ability,
    reward_model, extra_info; `reasonledger.rewards.compute_score` reads extra_info."""
    options = options or PromptOptions()

    def write(records: Iterator[tuple[int, Record]], split: Split, path: Path) -> None:
        def rows() -> Iterator[dict[str, Any]]:
            for index, record in records:
                verifier, config = _verifier(record)
                yield {
                    "data_source": data_source(record),
                    "prompt": chat_prompt(record, options),
                    "ability": record.task.domain or "reasoning",
                    "reward_model": {"style": "rule", "ground_truth": gold_text(record.task.reference)},
                    "extra_info": {"split": split, "index": index, "record_id": record.id, "verifier": verifier,
                                   "verifier_config_json": config, "reference_json": canonical_json(record.task.reference)},
                }
        write_rows_atomic(rows(), _VERL_SCHEMA, path)

    return _write_split_files(data_dir, out_dir, "verl", ".parquet", options, write)


_TRL_SCHEMA = pa.schema([("prompt", _MESSAGES), ("answer", pa.string()), ("solution", pa.string()),
                         ("reference", pa.string()), ("verifier", pa.string()), ("verifier_config", pa.string()),
                         ("data_source", pa.string()), ("record_id", pa.string())])


def export_trl_grpo(data_dir: Path, out_dir: Path, options: PromptOptions | None = None) -> Path:
    """TRL GRPOTrainer: `prompt` (chat), the gold as `answer` and as `solution` (the column TRL's own
    `trl.rewards.accuracy_reward` reads), and the columns `reasonledger.rewards.trl_reward_funcs` reads."""
    options = options or PromptOptions()

    def write(records: Iterator[tuple[int, Record]], split: Split, path: Path) -> None:
        def rows() -> Iterator[dict[str, Any]]:
            for _, record in records:
                verifier, config = _verifier(record)
                gold = gold_text(record.task.reference)
                yield {"prompt": chat_prompt(record, options), "answer": gold, "solution": gold,
                       "reference": canonical_json(record.task.reference), "verifier": verifier,
                       "verifier_config": config, "data_source": data_source(record), "record_id": record.id}
        write_rows_atomic(rows(), _TRL_SCHEMA, path)

    return _write_split_files(data_dir, out_dir, "trl_grpo", ".parquet", options, write)


def export_openrlhf(data_dir: Path, out_dir: Path, options: PromptOptions | None = None) -> Path:
    """OpenRLHF prompt data, one JSON object per line: `input` (chat messages: train with
    `--data.input_key input --data.label_key label --data.apply_chat_template`) and `label`
    (`openrlhf_label`: what `reasonledger.rewards.reward_func` needs), plus the gold as `answer`."""
    options = options or PromptOptions()

    def write(records: Iterator[tuple[int, Record]], split: Split, path: Path) -> None:
        write_jsonl(({"input": chat_prompt(record, options), "label": openrlhf_label(record),
                      "answer": gold_text(record.task.reference), "datasource": data_source(record),
                      "record_id": record.id} for _, record in records), path)

    return _write_split_files(data_dir, out_dir, "openrlhf", ".jsonl", options, write)


def parse_openrlhf_label(label: str) -> dict[str, Any]:
    """The {"verifier", "config", "reference"} an `openrlhf_label` carries; ValueError for anything else."""
    try:
        value = json.loads(label)
    except (TypeError, json.JSONDecodeError):
        value = None
    if not isinstance(value, dict) or not isinstance(value.get("verifier"), str) or "reference" not in value:
        raise ValueError(f"not a reasonledger OpenRLHF label (a JSON object with verifier, config, reference): {str(label)[:80]!r}")
    return value


# The outputs this module writes, each named in builtins.py as "module:attribute" (imported when named).
VERL = Output(export_verl, PromptOptions)
TRL_GRPO = Output(export_trl_grpo, PromptOptions)
OPENRLHF = Output(export_openrlhf, PromptOptions)
