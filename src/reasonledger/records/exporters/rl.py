"""RLVR prompt sets for verl, TRL (GRPO) and OpenRLHF. Every row carries what the reward function
needs to call the record's own verifier: its name, config and the full reference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa

from reasonledger.records.io import iter_valid
from reasonledger.records.jsonl import write_jsonl
from reasonledger.records.model import Record, canonical_json
from reasonledger.records.parquet import write_rows_atomic

_MESSAGES = pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))


def chat_prompt(record: Record) -> list[dict[str, str]]:
    prompt = record.task.prompt
    return [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [m.model_dump() for m in prompt]


def gold_text(reference: Any) -> str:
    """The reference as a trainer shows it: the answer string, or canonical JSON for structured ones."""
    if isinstance(reference, dict) and "answer" in reference and not isinstance(reference["answer"], (dict, list)):
        return str(reference["answer"])
    return reference if isinstance(reference, str) else canonical_json(reference)


def data_source(record: Record) -> str:
    return record.task.source.dataset


def _verifier(record: Record) -> tuple[str, str]:
    spec = record.task.verifier
    return (spec.name, canonical_json(spec.config)) if spec else ("", "{}")


def export_verl(data_dir: Path, out_dir: Path) -> Path:
    """verl's RL dataset: data_source, prompt (chat), ability, reward_model, extra_info."""
    def rows() -> Iterator[dict[str, Any]]:
        for index, record in enumerate(iter_valid(data_dir)):
            verifier, config = _verifier(record)
            yield {
                "data_source": data_source(record),
                "prompt": chat_prompt(record),
                "ability": record.task.domain or "reasoning",
                "reward_model": {"style": "rule", "ground_truth": gold_text(record.task.reference)},
                "extra_info": {"split": "train", "index": index, "record_id": record.id, "verifier": verifier,
                               "verifier_config_json": config, "reference_json": canonical_json(record.task.reference)},
            }
    schema = pa.schema([
        ("data_source", pa.string()), ("prompt", _MESSAGES), ("ability", pa.string()),
        ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
        ("extra_info", pa.struct([("split", pa.string()), ("index", pa.int64()), ("record_id", pa.string()),
                                  ("verifier", pa.string()), ("verifier_config_json", pa.string()),
                                  ("reference_json", pa.string())])),
    ])
    path = out_dir / "verl.parquet"
    write_rows_atomic(rows(), schema, path)
    return path


def export_trl_grpo(data_dir: Path, out_dir: Path) -> Path:
    """TRL GRPOTrainer: `prompt` (chat) plus the columns `reasonledger.rewards.trl_reward_funcs` reads."""
    def rows() -> Iterator[dict[str, Any]]:
        for record in iter_valid(data_dir):
            verifier, config = _verifier(record)
            yield {"prompt": chat_prompt(record), "answer": gold_text(record.task.reference),
                   "reference": canonical_json(record.task.reference), "verifier": verifier,
                   "verifier_config": config, "data_source": data_source(record), "record_id": record.id}
    schema = pa.schema([("prompt", _MESSAGES), ("answer", pa.string()), ("reference", pa.string()),
                        ("verifier", pa.string()), ("verifier_config", pa.string()),
                        ("data_source", pa.string()), ("record_id", pa.string())])
    path = out_dir / "trl_grpo.parquet"
    write_rows_atomic(rows(), schema, path)
    return path


def export_openrlhf(data_dir: Path, out_dir: Path) -> Path:
    """OpenRLHF prompt data (`--input_key input --label_key label`), one JSON object per line."""
    def rows() -> Iterator[dict[str, Any]]:
        for record in iter_valid(data_dir):
            verifier, config = _verifier(record)
            yield {"input": chat_prompt(record), "label": gold_text(record.task.reference),
                   "reference": canonical_json(record.task.reference), "verifier": verifier,
                   "verifier_config": config, "datasource": data_source(record), "record_id": record.id}
    path = out_dir / "openrlhf.jsonl"
    write_jsonl(rows(), path)
    return path
