"""Calibrate the code verifier on real data: the datasets' own solutions must pass, and a
solution must fail another task's tests. Writes src/reasonledger/verifiers/code/calibration.json
(read by the verifier card) and prints a summary.

    .venv/bin/python benchmarks/code_calibration.py [--data ../shared/data] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from reasonledger.verifiers.code.datasets import humaneval_references, mbpp_references  # noqa: E402
from reasonledger.verifiers.code.verifier import CodeVerifier  # noqa: E402


def _fails(verdicts, rows) -> list[dict]:
    return [{"row_id": r["row_id"], "summary": v.evidence.get("summary"), "first_failure": v.evidence.get("first_failure")}
            for v, r in zip(verdicts, rows) if not v.passed]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    data = Path(a.data)
    out: dict = {"measured_at": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
                 "command": "benchmarks/code_calibration.py"}
    with CodeVerifier(time_limit=20.0, judge_time=120.0) as v:
        out["isolation"] = v.isolation["mode"]
        t0 = time.time()
        he = list(humaneval_references(data / "humaneval" / "HumanEval.jsonl.gz"))
        verd = v.verify_many([(r["reference"], r["canonical_solution"]) for r in he])
        out["humaneval_canonical"] = {"tasks": len(he), "passed": sum(x.passed for x in verd), "failures": _fails(verd, he),
                                      "tests": sum(x.evidence["n_tests"] for x in verd)}
        nxt = [(he[(i + 1) % len(he)]["reference"], he[i]["canonical_solution"]) for i in range(len(he))]
        verd2 = v.verify_many(nxt)
        out["humaneval_cross"] = {"pairs": len(nxt), "rejected": sum(not x.passed for x in verd2),
                                  "wrongly_passed": [he[i]["row_id"] for i, x in enumerate(verd2) if x.passed]}
        out["humaneval_seconds"] = round(time.time() - t0, 1)
        t0 = time.time()
        hp = list(humaneval_references(data / "humaneval" / "HumanEvalPlus-v0.1.10.jsonl.gz", verifier=v))
        verd3 = v.verify_many([(r["reference"], r["canonical_solution"]) for r in hp])
        out["humanevalplus_canonical"] = {
            "tasks": len(hp), "passed": sum(x.passed for x in verd3), "failures": _fails(verd3, hp),
            "tests": sum(x.evidence["n_tests"] for x in verd3),
            "inputs_where_canonical_fails": {r["row_id"]: r["reference"]["skipped_inputs"] for r in hp if r["reference"]["skipped_inputs"]},
        }
        # HumanEval (base) canonical solutions against HumanEval+ tests of the same task
        verd4 = v.verify_many([(hp[i]["reference"], he[i]["canonical_solution"]) for i in range(min(len(he), len(hp)))])
        out["humaneval_solutions_on_plus_tests"] = {"tasks": len(verd4), "passed": sum(x.passed for x in verd4),
                                                   "failed": [hp[i]["row_id"] for i, x in enumerate(verd4) if not x.passed]}
        out["humanevalplus_seconds"] = round(time.time() - t0, 1)
        t0 = time.time()
        mb = list(mbpp_references(data / "mbpp" / "sanitized-mbpp.json"))
        verd5 = v.verify_many([(r["reference"], r["canonical_solution"]) for r in mb])
        out["mbpp_sanitized_canonical"] = {"tasks": len(mb), "passed": sum(x.passed for x in verd5), "broken": _fails(verd5, mb),
                                           "tests": sum(x.evidence["n_tests"] for x in verd5)}
        out["mbpp_seconds"] = round(time.time() - t0, 1)
    summary = {k: {kk: vv for kk, vv in val.items() if kk not in ("failures", "broken")} if isinstance(val, dict) else val
               for k, val in out.items()}
    print(json.dumps(summary, indent=1, default=str))
    for k in ("humaneval_canonical", "humanevalplus_canonical", "mbpp_sanitized_canonical"):
        for f in out[k].get("failures", out[k].get("broken", [])):
            print(k, f["row_id"], json.dumps(f["first_failure"], default=str)[:300])
    if not a.no_write:
        (ROOT / "src" / "reasonledger" / "verifiers" / "code" / "calibration.json").write_text(json.dumps(out, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
