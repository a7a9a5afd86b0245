"""Does a correct answer earn full reward however it is written, through each trainer's own call?

On a quickstart build, every exported row gets its gold answer written five ways (bare, in
<answer> tags, after "the answer is", in \\boxed{}, after ####), "I don't know", and a wrong answer
(the gold answer of the next row of the same task whose gold differs; not for tasks with many right
answers and no single gold, where another row's answer can be right too). Each completion is scored
the way each trainer calls the reward:
- verl: `compute_score(data_source=, solution_str=, ground_truth=, extra_info=)` row by row, as
  NaiveRewardManager does, and `compute_score_batch(data_sources=, solution_strs=, ground_truths=,
  extra_infos=)` once, as BatchRewardManager does (the two must agree);
- TRL: `reward_func(prompts=, completions=, completion_ids=, **columns)`, chat completions;
- OpenRLHF: `reward_func(queries, prompts, labels)`, the query being the chat-templated prompt
  (ChatML, as `--data.apply_chat_template` renders for a Qwen model) + completion + `<|im_end|>`.

Prints, per trainer and style: mean reward of the correct answer, share of rows where the wrong
answer passes (reward 1.0), and the mean reward of "I don't know".

Run: .venv/bin/python benchmarks/rewards_styles.py [--run DIR] [--set sources.0.size=300]
(without --run it builds examples/quickstart.yaml, at its full default size, into a temporary directory)
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from reasonledger.rewards import compute_score, compute_score_batch, reward_func, trl_reward_funcs

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
PREAMBLE = "I worked through the problem step by step and checked the result.\n"
STYLES = {
    "bare": "{}",
    "answer_tag": PREAMBLE + "<answer>{}</answer>",
    "answer_is": PREAMBLE + "So the answer is {}.",
    "boxed": PREAMBLE + "The final answer is \\boxed{{{}}}",
    "hashes": PREAMBLE + "#### {}",
}
IDK = "I don't know."
TRAINERS = ("verl", "verl_batch", "trl", "openrlhf")


def build_quickstart(out: Path, overrides: list[str]) -> Path:
    from reasonledger.product import build

    build(QUICKSTART, out, overrides, show_progress=False)
    return out


def _parquet_rows(exports: Path, name: str) -> list[dict[str, Any]]:
    return [row for path in (exports / f"{name}.parquet", exports / f"{name}.val.parquet") if path.exists()
            for row in pq.read_table(path).to_pylist()]


def _jsonl_rows(exports: Path, name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for path in (exports / f"{name}.jsonl", exports / f"{name}.val.jsonl") if path.exists()
            for line in path.read_text(encoding="utf-8").splitlines()]


def single_gold(reference_json: str) -> bool:
    """False for a task with many right answers and no single gold (reasoning-gym's propositional_logic:
    any conclusion that follows from the premises is right, so another row's answer may be right too)."""
    reference = json.loads(reference_json)
    return not (isinstance(reference, dict) and "answer" in reference and reference["answer"] is None)


def wrong_answers(golds: list[str], tasks: list[str], single: list[bool] | None = None) -> list[str | None]:
    """For each row, the gold of the next row of the same task whose gold differs (None if there is
    none, or if the row's task has no single gold)."""
    by_task: dict[str, list[int]] = defaultdict(list)
    for i, task in enumerate(tasks):
        by_task[task].append(i)
    out: list[str | None] = [None] * len(golds)
    for rows in by_task.values():
        for k, i in enumerate(rows):
            if single is None or single[i]:
                out[i] = next((golds[j] for j in rows[k + 1:] + rows[:k] if golds[j].strip() != golds[i].strip()), None)
    return out


def _chatml(messages: list[dict[str, str]]) -> str:
    return "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages) + "<|im_start|>assistant\n"


def _scores(trainer: str, rows: list[dict[str, Any]], completions: list[str]) -> list[float]:
    if trainer == "verl":
        return [float(compute_score(data_source=r["data_source"], solution_str=c, ground_truth=r["reward_model"]["ground_truth"],
                                    extra_info=r["extra_info"])) for r, c in zip(rows, completions)]
    if trainer == "verl_batch":
        return [float(s) for s in compute_score_batch(
            data_sources=[r["data_source"] for r in rows], solution_strs=completions,
            ground_truths=[r["reward_model"]["ground_truth"] for r in rows], extra_infos=[r["extra_info"] for r in rows])]
    if trainer == "trl":
        (reward,) = trl_reward_funcs()
        columns = {key: [r[key] for r in rows] for key in rows[0] if key != "prompt"}
        return reward(prompts=[r["prompt"] for r in rows], completions=[[{"role": "assistant", "content": c}] for c in completions],
                      completion_ids=[[] for _ in rows], **columns)
    prompts = [_chatml(r["input"]) for r in rows]
    out = reward_func([p + c + "<|im_end|>" for p, c in zip(prompts, completions)], prompts, [r["label"] for r in rows])
    return [float(x) for x in out["rewards"]]


def style_table(exports: Path) -> dict[str, dict[str, dict[str, float]]]:
    """{trainer: {style: {"correct": mean reward, "wrong_pass": share, "idk": mean reward, "rows": n}}}."""
    exports = Path(exports)
    verl, trl, openrlhf = _parquet_rows(exports, "verl"), _parquet_rows(exports, "trl_grpo"), _jsonl_rows(exports, "openrlhf")
    sets = {"verl": (verl, [r["reward_model"]["ground_truth"] for r in verl], [r["data_source"] for r in verl],
                     [single_gold(r["extra_info"]["reference_json"]) for r in verl]),
            "trl": (trl, [r["solution"] for r in trl], [r["data_source"] for r in trl],
                    [single_gold(r["reference"]) for r in trl]),
            "openrlhf": (openrlhf, [r["answer"] for r in openrlhf], [r["datasource"] for r in openrlhf],
                         [single_gold(json.dumps(json.loads(r["label"])["reference"])) for r in openrlhf])}
    sets["verl_batch"] = sets["verl"]
    table: dict[str, dict[str, dict[str, float]]] = {}
    for trainer in TRAINERS:
        rows, golds, tasks, single = sets[trainer]
        wrong = wrong_answers(golds, tasks, single)
        idk = _scores(trainer, rows, [IDK] * len(rows))
        table[trainer] = {}
        for style, template in STYLES.items():
            correct = _scores(trainer, rows, [template.format(g) for g in golds])
            have_wrong = [i for i, w in enumerate(wrong) if w is not None]
            wrong_scores = _scores(trainer, [rows[i] for i in have_wrong], [template.format(wrong[i]) for i in have_wrong])
            table[trainer][style] = {"rows": len(rows), "correct": sum(correct) / len(rows),
                                     "wrong_rows": len(wrong_scores),
                                     "wrong_pass": sum(s >= 1.0 for s in wrong_scores) / max(1, len(wrong_scores)),
                                     "idk": sum(idk) / len(rows)}
    return table


def failures(exports: Path, trainer: str = "verl", style: str = "answer_is", limit: int = 10) -> list[tuple[str, str, float]]:
    """(data_source, completion, reward) of correct answers that did not earn full reward: for looking at."""
    rows = _parquet_rows(Path(exports), "verl")
    completions = [STYLES[style].format(r["reward_model"]["ground_truth"]) for r in rows]
    scores = _scores(trainer, rows, completions)
    return [(r["data_source"], c, s) for r, c, s in zip(rows, completions, scores) if s < 1.0][:limit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing quickstart run directory (default: build one)")
    parser.add_argument("--set", action="append", default=[], help="recipe override for the build, e.g. sources.0.size=300")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or build_quickstart(Path(tmp) / "quickstart", args.set)
        table = style_table(run / "exports")
        n = table["verl"]["bare"]["rows"]
        print(f"{n:,} exported rows (train + validation), {run}; the wrong answer is tried on the "
              f"{table['verl']['bare']['wrong_rows']:,} rows whose task has a single gold")
        print(f"| trainer call | style | mean reward, correct | wrong answer passes | mean reward, \"{IDK}\" |")
        print("|---|---|---|---|---|")
        for trainer, styles in table.items():
            for style, cell in styles.items():
                print(f"| {trainer} | {style} | {cell['correct']:.4f} | {cell['wrong_pass']:.2%} | {cell['idk']:.4f} |")
        for source, completion, reward in failures(run / "exports"):
            print(f"  not full credit ({reward}): {source}: {completion[-120:]!r}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
