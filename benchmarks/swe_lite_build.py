"""Build the whole SWE-lite instance set from HumanEval+ and MBPP, every program run in the code sandbox.

Prints the counts (valid instances, equivalent mutants, tasks whose gold fails, the other drop reasons),
per dataset, and the wall time; checks on the written records that each kept instance's bug fails at
least one test and that its test sets are disjoint. Writes the records and the drops under --out.
With --recheck, every written record is judged again through the swe_lite environment in the sandbox:
the buggy file as given must fail fail_to_pass and pass pass_to_pass, the gold action must pass both.

    nice -n 10 .venv/bin/python benchmarks/swe_lite_build.py --out /tmp/swe_lite [--recheck]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from reasonledger.records.jsonl import read_jsonl_records
from reasonledger.records.model import Record
from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.swe.build import build_swe_lite, code_tasks
from reasonledger.verifiers.environments.swe.swe_lite import SweLite

DATA = Path(os.environ.get("REASONLEDGER_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--humanevalplus", default=str(DATA / "humaneval" / "HumanEvalPlus-v0.1.10.jsonl.gz"))
    ap.add_argument("--mbpp", default=str(DATA / "mbpp" / "mbpp.jsonl"))
    ap.add_argument("--out", default="/tmp/swe_lite", help="directory for instances.jsonl.gz and drops.jsonl")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--per-task", type=int, default=3, help="mutants drawn and run per task")
    ap.add_argument("--limit", type=int, default=None, help="only the first N tasks of each dataset")
    ap.add_argument("--slots", type=int, default=None)
    ap.add_argument("--recheck", action="store_true", help="judge every written record again through the environment")
    args = ap.parse_args()
    for path in (args.humanevalplus, args.mbpp):
        if not Path(path).exists():
            print(f"missing data file {path}: set REASONLEDGER_SHARED_DATA or pass --humanevalplus/--mbpp", file=sys.stderr)
            return 2
    out = Path(args.out)
    verifier = CodeVerifier(slots=args.slots)
    try:
        result = build_swe_lite(code_tasks(args.humanevalplus, args.mbpp, verifier, limit=args.limit), verifier,
                                out / "instances.jsonl.gz", out / "drops.jsonl", seed=args.seed, per_task=args.per_task)
        bad = 0
        for record in read_jsonl_records(out / "instances.jsonl.gz"):
            task = record.task.reference["task"]
            if not task["fail_to_pass"] or set(task["fail_to_pass"]) & set(task["pass_to_pass"]):
                bad += 1
        result["records_breaking_the_invariants"] = bad
        if args.recheck:
            t0 = time.monotonic()
            records = list(read_jsonl_records(out / "instances.jsonl.gz"))
            with ThreadPoolExecutor(max_workers=len(verifier.pool().slots)) as ex:
                failures = [f for f in ex.map(lambda r: recheck(r, verifier), records) if f]
            bad += len(failures)
            result["recheck"] = {"records": len(records), "failing": len(failures), "first_failures": failures[:5],
                                 "seconds": round(time.monotonic() - t0, 1)}
    finally:
        verifier.close()
    print(json.dumps(result, indent=1))
    return 0 if bad == 0 else 1


def recheck(record: Record, verifier: CodeVerifier) -> dict | None:
    """None when the record's bug fails fail_to_pass and keeps pass_to_pass and its gold action passes both."""
    spec = record.task.reference
    env = SweLite(verifier=verifier)
    env.reset(spec["task"])
    bug = {c.name: c.passed for c in env.check(spec["task"], [], [])}
    gold = spec["gold_actions"][0]
    env.step(ToolCall(gold["name"], gold["arguments"]))
    fixed = {c.name: c.passed for c in env.check(spec["task"], [], [])}
    if bug == {"fail_to_pass": False, "pass_to_pass": True} and fixed == {"fail_to_pass": True, "pass_to_pass": True}:
        return None
    return {"task_id": spec["task_id"], "bug": bug, "gold": fixed}


if __name__ == "__main__":
    sys.exit(main())
