"""A third-party plugin: the `qa_lines` import format, the `prompt_length` step, the `parity` verifier,
the `prompt_lengths` output and the `prompt-lengths` command."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.formats.exporters import register_exporter
from reasonledger.formats.importers import register_importer
from reasonledger.records.io import iter_valid
from reasonledger.records.quarantine import BadRow
from reasonledger.records.model import Record, Verdict
from reasonledger.registry import registry
from reasonledger.verifiers import Verifier
from reasonledger.verifiers import register as register_verifier


class PromptLengthParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_chars: int = 10_000


class PromptLength(Step):
    """Record each prompt's length in `meta.prompt_chars`; drop prompts longer than `max_chars`."""

    name = "prompt_length"
    Params = PromptLengthParams

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        for record in records:
            chars = len(str(record.task.prompt))
            if chars > self.params.max_chars:
                ctx.drop(record, "too_long", f"{chars} characters")
                continue
            ctx.count("measured")
            yield record.model_copy(update={"meta": {**record.meta, "prompt_chars": chars}})


class ParityVerifier(Verifier):
    """Passes when the response is an integer of the reference answer's parity."""

    id = "parity"
    version = "0.1.0"
    family = "programmatic"

    def verify(self, reference: Any, response: str) -> Verdict:
        answer = reference.get("answer") if isinstance(reference, dict) else reference
        try:
            passed = int(str(response).strip()) % 2 == int(str(answer).strip()) % 2
        except ValueError:
            return self.verdict(False, 0.0, reason="not an integer")
        return self.verdict(passed, float(passed))


def read_qa_lines(path: Path) -> Iterator[Record | BadRow]:
    """`question | answer` per line, judged by the parity verifier; a line without ` | ` is a bad row."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        question, sep, answer = line.partition(" | ")
        if not sep:
            yield BadRow(file=str(path), line=number, reason="no ' | ' between question and answer", raw=line.encode())
            continue
        yield Record(kind="prompt_answer", task={"prompt": question, "reference": answer.strip(),
                                                 "source": {"dataset": "demo/qa_lines", "row_id": str(number)},
                                                 "verifier": {"name": "parity"}})


def export_prompt_lengths(data_dir: Path, out_dir: Path) -> Path:
    """One JSON line per record: its id and prompt length."""
    out = out_dir / "prompt_lengths.jsonl"
    out.write_text("".join(json.dumps({"id": r.id, "prompt_chars": r.meta.get("prompt_chars")}) + "\n"
                           for r in iter_valid(data_dir)))
    return out


def register_commands(app: Any) -> None:
    """The `prompt-lengths DATA` command: each record's id and prompt length, one per line."""

    @app.command("prompt-lengths")
    def prompt_lengths(data: Path) -> None:
        """Print each record's id and prompt length."""
        for record in iter_valid(data):
            print(record.id, len(str(record.task.prompt)))


def register() -> None:
    registry("command").add("prompt_lengths", register_commands)
    register_importer("qa_lines", read_qa_lines)
    register_step(PromptLength)
    register_verifier(ParityVerifier)
    register_exporter("prompt_lengths", export_prompt_lengths)
