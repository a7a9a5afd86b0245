"""LLMBar's recorded judges, replayed through the pairwise verifier.

LLMBar (princeton-nlp/LLMBar, `Dataset/`) ships, per set, `dataset.json` (input, output_1, output_2,
gold label) and per evaluator `result.json` (each order's completion and parsed winner; for the Swap
strategy a second, synthesizing round where the orders disagreed) with the `statistics.json` the
authors computed. `replay_file` turns a result.json into a replay file keyed by the prompts our
templates render (the second round's by the prompt the authors recorded, so a template that renders
differently finds no completion); `replay_cell` runs the pairwise verifier on it and gives each
pair's outcome, from which `agreement.authors_statistics` must reproduce their statistics.json.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reasonledger.verifiers.judgment.agreement import PairOutcome
from reasonledger.verifiers.judgment.pairwise import PairwiseVerifier, PairResult
from reasonledger.verifiers.judgment.templates import load_template

STRATEGIES = {"Vanilla": ("llmbar_vanilla", None), "Swap": ("llmbar_cot", "llmbar_swap")}
MODELS = {"GPT-4": "gpt-4", "ChatGPT": "gpt-3.5-turbo"}
_ORDER = {"swap = False": "ab", "swap = True": "ba"}


@dataclass(frozen=True)
class Cell:
    """One recorded evaluator on one set: `set_dir/evaluators/<judge>/<strategy>/`."""

    set_dir: Path
    judge: str
    strategy: str

    @property
    def dir(self) -> Path:
        return self.set_dir / "evaluators" / self.judge / self.strategy

    def rows(self) -> list[dict[str, Any]]:
        return json.loads((self.dir / "result.json").read_text(encoding="utf-8"))

    def statistics(self) -> dict[str, Any]:
        return json.loads((self.dir / "statistics.json").read_text(encoding="utf-8"))


def cells(root: Path) -> list[Cell]:
    """Every recorded (set, judge, strategy) under an LLMBar `Dataset/`-style folder."""
    found = []
    for stats in sorted(root.rglob("evaluators/*/*/statistics.json")):
        strategy_dir = stats.parent
        if strategy_dir.name in STRATEGIES and (strategy_dir / "result.json").is_file():
            found.append(Cell(strategy_dir.parent.parent.parent, strategy_dir.parent.name, strategy_dir.name))
    return found


def _user_text(chatml: str) -> str:
    """The user message of a recorded ChatML prompt, as LLMBar's prompt_to_chatml reads it."""
    for part in chatml.strip().split("<|im_start|>")[1:]:
        role, _, rest = part.partition("\n")
        if role.strip() == "user":
            return rest.split("<|im_end|>", 1)[0].strip()
    raise ValueError("recorded prompt has no user message")


def _user(messages: list[dict[str, str]]) -> str:
    return next(m["content"] for m in messages if m["role"] == "user")


def replay_file(cell: Cell, out: Path) -> Path:
    """Write the cell's recorded completions as a replay file (one line per prompt asked)."""
    first = load_template(STRATEGIES[cell.strategy][0])
    model = MODELS.get(cell.judge, cell.judge)
    lines = []
    for number, row in enumerate(cell.rows(), 1):
        for key, order in _ORDER.items():
            a, b = (row["output_1"], row["output_2"]) if order == "ab" else (row["output_2"], row["output_1"])
            prompt = _user(first.render(input=row["input"], output_1=a, output_2=b))
            lines.append({"prompt": prompt, "model": model, "completions": [row["results"][0][key]["completion"][0]]})
            if len(row["results"]) > 1:
                recorded = row["results"][1][key]
                if "prompt" not in recorded:
                    raise ValueError(f"{cell.dir / 'result.json'}: row {number} has a second round without its prompt")
                lines.append({"prompt": _user_text(recorded["prompt"]), "model": model,
                              "completions": [recorded["completion"][0]]})
    out.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return out


def judge_config(cell: Cell, replay: Path) -> dict[str, Any]:
    """The pairwise verifier config that replays the cell (LLMBar's templates and decoding)."""
    first, second = STRATEGIES[cell.strategy]
    config: dict[str, Any] = {"template": first, "model": MODELS.get(cell.judge, cell.judge), "backend": "replay",
                              "backend_options": {"replay": [str(replay)]},
                              "decoding": {"temperature": 0.0, "max_tokens": 300 if second else 50, "seed": None}}
    if second:
        config.update(synthesize_template=second, synthesize_max_tokens=50)
    return config


def outcomes(cell: Cell, results: list[PairResult]) -> list[PairOutcome]:
    return [PairOutcome(str(row["label"]), r.orders["ab"], r.orders["ba"], (len(row["output_1"]), len(row["output_2"])))
            for row, r in zip(cell.rows(), results)]


def replay_cell(cell: Cell, workdir: Path) -> tuple[list[PairOutcome], dict[str, Any]]:
    """Replay the cell through a pairwise verifier: each pair's outcome and the client's cost counters."""
    path = replay_file(cell, workdir / f"{cell.set_dir.name}-{cell.judge}-{cell.strategy}.jsonl")
    verifier = PairwiseVerifier(**judge_config(cell, path))
    try:
        rows = cell.rows()
        results = verifier.compare_many([(r["input"], r["output_1"], r["output_2"]) for r in rows])
        return outcomes(cell, results), verifier.client.cost()
    finally:
        verifier.close()


__all__ = ["MODELS", "STRATEGIES", "Cell", "cells", "judge_config", "outcomes", "replay_cell", "replay_file"]
