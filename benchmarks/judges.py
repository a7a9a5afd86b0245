"""Judges measured on recorded and scripted data: LLMBar's recorded judges replayed, the answer gate
on GSM8K, and a positional judge. No judge model runs here; every call is a replay or a script.

    .venv/bin/python benchmarks/judges.py [--data ../shared/data]

Prints the Markdown tables of benchmarks/judges.md.
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
from pathlib import Path

from reasonledger.generation.backends.scripted import SCRIPTS
from reasonledger.verifiers.judgment.agreement import authors_statistics, measure
from reasonledger.verifiers.judgment.gate import gate, reference_answer
from reasonledger.verifiers.judgment.llmbar import cells, replay_cell
from reasonledger.verifiers.judgment.pairwise import PairwiseVerifier
from reasonledger.verifiers.judgment.probes import MASTER_KEYS, first_sentence, gsm8k_probe_items


def llmbar_table(root: Path) -> list[str]:
    lines = ["| set | judge | strategy | n | statistics.json reproduced | mean accuracy | positional agreement | "
             "its Wilson 95% low | kappa vs gold (ab / ba) | P(prefer first) | P(prefer longer) | parse failures | calls |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        for cell in cells(root):
            outcomes, cost = replay_cell(cell, Path(tmp))
            got, want = authors_statistics(outcomes), cell.statistics()
            same = all(got[k] == v or (isinstance(v, float) and math.isclose(got[k], v, abs_tol=1e-12))
                       for k, v in want.items())
            m = measure(outcomes)
            lines.append(f"| {cell.set_dir.name} | {cell.judge} | {cell.strategy} | {m['n']} | "
                         f"{'all 9 fields' if same else 'NO'} | {m['accuracy_mean']:.1%} | {m['positional_agreement']:.1%} "
                         f"({m['positional_consistent']}) | {m['positional_wilson95'][0]:.1%} | "
                         f"{m['kappa_ab']:.3f} / {m['kappa_ba']:.3f} | {m['p_prefer_first']:.1%} | "
                         f"{m['p_prefer_longer']:.1%} | {m['parse_failure_rate']:.1%} | {cost['calls']} |")
    return lines


def gate_table(data: Path) -> list[str]:
    references = [reference_answer(json.loads(line)["answer"])
                  for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    lines = ["| probe | refused without a call (of 1,319) | reason |", "|---|---|---|"]
    for name, text in MASTER_KEYS.items():
        results = [gate(text, ref) for ref in references]
        reasons = sorted({r.reason or "passed" for r in results})
        lines.append(f"| {name} `{text.strip() or repr(text)}` | {sum(not r.passed for r in results):,} | {', '.join(reasons)} |")
    wrong = [(first_sentence(item.wrong_solution), item.answer)
             for item in gsm8k_probe_items(data / "gsm8k" / "example_model_solutions.jsonl") if item.wrong_solution]
    through = [gate(text, ref) for text, ref in wrong]
    same = sum(r.passed and r.answer.replace(",", "") == ref for r, (_, ref) in zip(through, wrong))
    lines.append(f"| first sentence of a real wrong solution | {sum(not r.passed for r in through):,} of {len(wrong):,} "
                 f"| {len(wrong) - sum(not r.passed for r in through):,} reach the judge; in {same} the extracted number "
                 f"already equals the reference (an intermediate value), so only the judge's INVALID class stops them |")
    return lines


def positional(data: Path) -> list[str]:
    rows = json.loads((data / "llmbar" / "LLMBar" / "Natural" / "dataset.json").read_text())
    SCRIPTS.add("bench-always-a", lambda request, sample: "Final Decision: Output (a)")
    judge = PairwiseVerifier(model="always-a", backend="scripted", backend_options={"script": "bench-always-a"})
    results = judge.compare_many([(r["input"], r["output_1"], r["output_2"]) for r in rows])
    share = sum(r["label"] == 1 for r in rows) / len(rows)
    one_order = sum(res.orders["ab"] == str(r["label"]) for res, r in zip(results, rows)) / len(rows)
    return [f"An always-\"Output (a)\" judge on LLMBar Natural: accuracy {one_order:.1%} in one order "
            f"(the share of (a) labels is {share:.1%}); consistent verdicts in both orders: "
            f"{sum(res.consistent for res in results)} of {len(rows)}."]


def probe_table(data: Path) -> list[str]:
    """The probe audit of a judge that decides by the math verifier (a scripted stand-in for a perfect
    value-comparing judge), on every GSM8K test problem with a real wrong solution where there is one."""
    import re

    from reasonledger.verifiers.judgment.card import card_markdown, judge_card
    from reasonledger.verifiers.judgment.judge import JudgeVerifier
    from reasonledger.verifiers.judgment.probes import run_probes
    from reasonledger.verifiers.math import MathVerifier

    math = MathVerifier()

    def part(prompt: str, title: str) -> str:
        return re.search(rf"^# {re.escape(title)}[^\n]*\n(.*?)(?=\n\n# |\n\nWrite at most)", prompt, re.S | re.M).group(1)

    def decide(request, sample):  # the scripted backend calls script(request, sample)
        prompt = request.payload["messages"][-1]["content"]
        same = math.verify(part(prompt, "Reference answer"), part(prompt, "Candidate response")).passed
        return "Final Decision: " + ("CORRECT" if same else "INCORRECT")

    SCRIPTS.add("bench-math-backed", decide)
    judge = JudgeVerifier(model="math-backed", backend="scripted", backend_options={"script": "bench-math-backed"})
    try:
        card = judge_card(judge, run_probes(judge, gsm8k_probe_items(data / "gsm8k" / "example_model_solutions.jsonl")))
    finally:
        math.close()
    return card_markdown(card).split("\n", 2)[2].strip().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared" / "data")
    args = parser.parse_args()
    print("\n".join(["## LLMBar recorded judges, replayed", "", *llmbar_table(args.data / "llmbar"), "",
                     "## The answer gate on GSM8K test", "", *gate_table(args.data), "",
                     "## A positional judge", "", *positional(args.data), "",
                     "## Probe audit of a value-comparing judge on GSM8K test", "", *probe_table(args.data)]))


if __name__ == "__main__":
    main()
