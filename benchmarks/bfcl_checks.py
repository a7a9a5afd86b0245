"""BFCL: what the function_call and bfcl_multiturn environments catch, on BFCL's shipped data.

Single turn: every gold answer (each parameter's first allowed value) must pass, and every simple
mutant of it (function renamed, a required argument dropped, a value outside its allowed list, an
argument the gold does not expect) must be rejected. Multi turn: every gold call sequence is replayed
twice (results and state hash after every call must be identical) and must pass; then every drop-one
mutant (one gold call removed) is checked, counting what the state predicate alone, state plus the
gold calls' results, and the empty-turn rule catch.

Run: .venv/bin/python benchmarks/bfcl_checks.py [--data ../shared/data/bfcl]
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

from reasonledger.verifiers.environments.bfcl.ast_check import check_calls, gold_answer
from reasonledger.verifiers.environments.bfcl.data import MULTI_TURN, SINGLE_TURN, load_category
from reasonledger.verifiers.environments.bfcl.multiturn import MultiTurnEnvironment, gold_turns, result_key
from reasonledger.verifiers.environments.bfcl.mutants import drop_one_mutants, single_turn_mutants

ROOT = Path(__file__).resolve().parents[1]


def single_turn(data: Path) -> None:
    started = time.perf_counter()
    entries = [entry for category in SINGLE_TURN for entry in load_category(data, category)]
    passed = sum(check_calls(e["function"], gold_answer(e["function"], e["ground_truth"]), e["ground_truth"]).valid
                 for e in entries)
    made, rejected = Counter(), Counter()
    for entry in entries:
        for mutant in single_turn_mutants(entry):
            made[mutant.kind] += 1
            rejected[mutant.kind] += not check_calls(entry["function"], mutant.calls, entry["ground_truth"]).valid
    calls = sum(len(e["ground_truth"]) for e in entries)
    print(f"single turn: {passed}/{len(entries)} gold answers pass ({calls} gold calls, "
          f"{', '.join(SINGLE_TURN)})")
    for kind in made:
        print(f"  {kind}: {rejected[kind]}/{made[kind]} rejected")
    print(f"  {time.perf_counter() - started:.1f} s")


def _trace(task) -> list[tuple[str, str]]:
    env = MultiTurnEnvironment()
    env.reset(task)
    return [(result_key(env.step(call)), env.state_hash()) for turn in gold_turns(task) for call in turn]


def multi_turn(data: Path) -> None:
    started = time.perf_counter()
    tasks = [task for category in MULTI_TURN for task in load_category(data, category)]
    deterministic = sum(_trace(task) == _trace(task) for task in tasks)
    env = MultiTurnEnvironment()
    counts = Counter()
    for task in tasks:
        gold = gold_turns(task)
        counts["gold pass"] += all(c.passed for c in env.check_turns(task, gold))
        for mutant in drop_one_mutants(gold):
            failed = {c.name for c in env.check_turns(task, mutant.calls) if not c.passed}
            counts["mutants"] += 1
            counts["state"] += "state" in failed
            counts["results"] += "results" in failed
            counts["state or results"] += bool(failed & {"state", "results"})
            counts["any"] += bool(failed)
    total = counts["mutants"]
    missed = total - counts["state"]
    print(f"multi turn: {deterministic}/{len(tasks)} gold sequences replay identically; "
          f"{counts['gold pass']}/{len(tasks)} pass all predicates")
    print(f"  drop-one mutants: {total}; caught by state {counts['state']}, by results {counts['results']}, "
          f"by state or results {counts['state or results']}, with the empty-turn rule {counts['any']}")
    print(f"  state alone misses {missed}/{total} ({missed / total:.1%})")
    print(f"  {time.perf_counter() - started:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl")
    args = parser.parse_args()
    single_turn(args.data)
    multi_turn(args.data)


if __name__ == "__main__":
    main()
