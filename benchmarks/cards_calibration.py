"""Calibrate the `reasoning_gym` and `exact` verifiers on constructed positives and negatives, and
write the results where their verifier cards read them (src/reasonledger/cards/calibration/).

The set is generated offline from reasoning-gym: for each task, the gold answer (and, for `exact`,
forms a grader must accept: case, spacing, a final period, `6.0` for `6`) are positives; another
item's gold answer of the same family, the gold with a trailing token, and a sign-flipped number
are negatives. Cases are written in <answer> tags; the gold and the other item's answer are also
written the other ways a model states an answer (bare, "the answer is", \\boxed{}, ####), which the
verifiers read through `verifiers.answers` (case kinds `gold_<style>`, `other_item_answer_<style>`). The false-positive rate is negatives passed / negatives; the false-negative rate
is positives failed / positives. The peer is reasoning-gym's own scorer, unguarded, on the same set.

Run: .venv/bin/python benchmarks/cards_calibration.py [--per-task 30]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import reasoning_gym

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.reasoning_gym import RG_VERSION

OUT = Path(__file__).resolve().parents[1] / "src" / "reasonledger" / "cards" / "calibration"
TASKS = ("basic_arithmetic", "chain_sum", "gsm_symbolic", "leg_counting", "simple_equations", "polynomial_equations",
         "complex_arithmetic", "knights_knaves", "syllogism", "propositional_logic", "word_sorting", "spell_backward",
         "number_sorting", "countdown", "game_of_life_halting", "fraction_simplification", "time_intervals")
NUMERIC = ("basic_arithmetic", "chain_sum", "leg_counting", "gsm_symbolic")
STYLES = {"bare": "{}", "answer_is": "Checked step by step.\nSo the answer is {}.",
          "boxed": "Checked step by step.\nThe final answer is \\boxed{{{}}}", "hashes": "Checked step by step.\n#### {}"}
_INT = re.compile(r"^-?\d+$")


def cases(per_task: int, seed: int) -> list[tuple[str, dict[str, Any], str, bool, str]]:
    """(task, reference, response, should_pass, case kind) for every task."""
    out = []
    for task in TASKS:
        items = list(reasoning_gym.create_dataset(task, size=per_task, seed=seed))
        for i, item in enumerate(items):
            gold = str(item["answer"])
            ref = {"dataset": task, "answer": item["answer"], "metadata": json.loads(json.dumps(item["metadata"], default=str)),
                   "question": item["question"]}
            out.append((task, ref, f"<answer>{gold}</answer>", True, "gold"))
            out += [(task, ref, template.format(gold), True, f"gold_{style}") for style, template in STYLES.items()]
            other = str(items[(i + 1) % len(items)]["answer"])
            if other.strip() != gold.strip():
                out.append((task, ref, f"<answer>{other}</answer>", False, "other_item_answer"))
                out += [(task, ref, template.format(other), False, f"other_item_answer_{style}")
                        for style, template in STYLES.items()]
            out.append((task, ref, f"<answer>{gold} extra</answer>", False, "trailing_token"))
            if _INT.match(gold) and gold not in ("0", "-0"):
                flipped = gold[1:] if gold.startswith("-") else f"-{gold}"
                out.append((task, ref, f"<answer>{flipped}</answer>", False, "sign_flip"))
    return out


def exact_cases(rg_cases: list[tuple[str, dict[str, Any], str, bool, str]]) -> list[tuple[str, Any, str, bool, str]]:
    """Numeric tasks only, with the reference as its plain gold string: the forms a grader must accept are positives."""
    out = []
    for task, ref, response, label, kind in rg_cases:
        if task not in NUMERIC:
            continue
        gold = str(ref["answer"])
        out.append((task, gold, response, label, kind))
        if kind == "gold":
            out += [(task, gold, f"<answer> {gold}. </answer>", True, "spacing_and_period")]
            if _INT.match(gold):
                out += [(task, gold, f"<answer>{gold}.0</answer>", True, "decimal_form")]
    return out


def rates(results: list[tuple[bool, bool, str, str]]) -> dict[str, Any]:
    pos = [(p, kind) for label, p, kind, _ in results if label]
    neg = [(p, kind) for label, p, kind, _ in results if not label]
    fn = sum(1 for p, _ in pos if not p)
    fp = sum(1 for p, _ in neg if p)
    by_kind: dict[str, list[int]] = {}
    wrong_by_task: Counter[str] = Counter()
    for label, p, kind, task in results:
        tally = by_kind.setdefault(kind, [0, 0])
        tally[0] += 1
        tally[1] += int(p != label)
        if p != label:
            wrong_by_task[f"{task}: {'accepted' if p else 'rejected'} {kind}"] += 1
    return {"n": len(results), "positives": len(pos), "negatives": len(neg),
            "false_positive_rate": round(fp / len(neg), 4) if neg else None,
            "false_negative_rate": round(fn / len(pos), 4) if pos else None,
            "errors_by_case": {k: {"cases": n, "wrong": w} for k, (n, w) in sorted(by_kind.items())},
            "errors_by_task": dict(sorted(wrong_by_task.items()))}


@lru_cache(maxsize=None)
def _scorer(task: str) -> Any:
    return reasoning_gym.get_score_answer_fn(task)


def peer_scorer(ref: dict[str, Any], response: str) -> bool:
    """reasoning-gym's own scorer on its own extraction, with no guard: what a bare RLVR loop uses."""
    from reasoning_gym.utils import extract_answer

    answer = extract_answer(response) or ""
    score = _scorer(ref["dataset"])(answer, {"question": ref["question"], "answer": ref["answer"],
                                                                       "metadata": ref["metadata"]})
    return float(score) >= 1.0


def write(verifier_id: str, run: dict[str, Any]) -> Path:
    path = OUT / f"{verifier_id}.json"
    OUT.mkdir(parents=True, exist_ok=True)
    old = json.loads(path.read_text())["runs"] if path.exists() else []
    runs = [r for r in old if (r["version"], r["set"]) != (run["version"], run["set"])] + [run]
    path.write_text(json.dumps({"runs": runs}, indent=2, sort_keys=True) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-task", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    command = f"python benchmarks/cards_calibration.py --per-task {args.per_task} --seed {args.seed}"
    rg_cases = cases(args.per_task, args.seed)

    rg = get_verifier("reasoning_gym")
    started = time.perf_counter()
    ours = [(label, rg.verify(ref, resp).passed, kind, task) for task, ref, resp, label, kind in rg_cases]
    ours_s = time.perf_counter() - started
    started = time.perf_counter()
    peer = [(label, peer_scorer(ref, resp), kind, task) for task, ref, resp, label, kind in rg_cases]
    peer_s = time.perf_counter() - started
    rg_run = {"version": rg.version, "set": f"reasoning-gym {RG_VERSION} constructed cases, {len(TASKS)} tasks x "
                                             f"{args.per_task}, seed {args.seed}",
              **rates(ours), "peer": {"name": f"reasoning_gym {RG_VERSION} scorer, unguarded", **rates(peer)},
              "seconds": round(ours_s, 3), "peer_seconds": round(peer_s, 3), "command": command,
              "measured": time.strftime("%Y-%m-%d")}
    write(rg.id, rg_run)

    exact = get_verifier("exact")
    ex_cases = exact_cases(rg_cases)
    ex = [(label, exact.verify(ref, resp).passed, kind, task) for task, ref, resp, label, kind in ex_cases]
    ex_run = {"version": exact.version, "set": f"numeric reasoning-gym {RG_VERSION} answers as plain strings "
                                               f"({', '.join(NUMERIC)}) x {args.per_task}, seed {args.seed}",
              **rates(ex), "command": command, "measured": time.strftime("%Y-%m-%d")}
    write(exact.id, ex_run)

    for name, run in (("reasoning_gym (guarded)", rg_run), ("reasoning_gym scorer (peer)", rg_run["peer"]),
                      ("exact", ex_run)):
        print(f"{name:30s} n={run['n']:5d}  false-positive rate {run['false_positive_rate']:.4f}  "
              f"false-negative rate {run['false_negative_rate']:.4f}")
    peer_fp, ours_fp = rg_run["peer"]["false_positive_rate"], rg_run["false_positive_rate"]
    print(f"false positives, peer / guarded: {peer_fp:.4f} / {ours_fp:.4f}"
          + (f" = {peer_fp / ours_fp:.1f}x" if ours_fp else " (guarded: none)"))
    print(f"time: guarded {ours_s:.2f} s, peer {peer_s:.2f} s for {len(rg_cases)} checks; written to {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
