"""MathVerifier.verify_many against a plain `verify` loop, each in a fresh interpreter (issue 12).

    .venv/bin/python benchmarks/verify_many_bench.py            # prints the ratios, updates benchmarks/math.md
    .venv/bin/python benchmarks/verify_many_bench.py --no-write

Pairs are real and mixed, read from ../shared/data: GSM8K rollouts with their ground truth,
Math-Verify's suite (gold, prediction), and GSM8K references against a stated final answer,
cycled to the size asked. Each measurement runs in its own new interpreter and times one call
(the worker pool's start-up included, since a fresh interpreter has none): a 1,200-pair batch
must be at least as fast as the loop, a 20,000-pair batch at least 1.6x the loop on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("REASONLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))
COMMAND = ".venv/bin/python benchmarks/verify_many_bench.py"
MARK = "<!-- verify_many_bench -->"

_CHILD = textwrap.dedent("""
    import json, sys, time
    sys.path.insert(0, {src!r})
    from reasonledger.verifiers.math import MathVerifier
    pairs = [tuple(p) for p in json.load(open({pairs!r}))]
    v = MathVerifier()
    t = time.perf_counter()
    verdicts = v.verify_many(pairs) if {many!r} else [v.verify(r, p) for r, p in pairs]
    seconds = time.perf_counter() - t
    print(json.dumps({{"seconds": seconds, "passed": sum(x.passed for x in verdicts)}}))
""")


def mixed_pairs() -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    for line in (DATA / "gsm8k" / "example_model_solutions.jsonl").open():
        r = json.loads(line)
        for model in ("6b_finetuning", "175b_verification"):
            pairs.append((r["ground_truth"], r[model]["solution"]))
    for line in (DATA / "mathverify_suite" / "cases.jsonl").open():
        p = json.loads(line)["params"]
        if "gold" in p and "pred" in p:
            pairs.append((str(p["gold"]), str(p["pred"])))
    for line in (DATA / "gsm8k" / "test.jsonl").open():
        r = json.loads(line)
        final = r["answer"].split("####")[-1].strip()
        pairs.append((r["answer"], f"So the answer is ${final}$."))
    # interleave the sources so that every prefix is mixed
    return [pairs[(i * 7919) % len(pairs)] for i in range(len(pairs))]


def measure(pairs: list[tuple[str, str]], many: bool, tmp: Path) -> dict:
    file = tmp / "pairs.json"
    file.write_text(json.dumps(pairs))
    code = _CHILD.format(src=str(ROOT / "src"), pairs=str(file), many=many)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["stderr"] = out.stderr.strip()
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--no-write", action="store_true", help="print only")
    args = ap.parse_args()
    import tempfile

    base = mixed_pairs()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n, need in ((1_200, 1.0), (20_000, 1.6)):
            pairs = [base[i % len(base)] for i in range(n)]
            loop = measure(pairs, False, Path(tmp))
            many = measure(pairs, True, Path(tmp))
            if loop["passed"] != many["passed"]:
                raise SystemExit(f"verdicts differ on {n} pairs: loop passed {loop['passed']}, verify_many {many['passed']}")
            if many["stderr"]:
                raise SystemExit(f"verify_many printed to stderr: {many['stderr']}")
            ratio = loop["seconds"] / many["seconds"]
            rows.append((n, loop["seconds"], many["seconds"], ratio, need))
            print(f"{n:>6,} pairs: loop {loop['seconds']:.2f} s, verify_many {many['seconds']:.2f} s, "
                  f"ratio {ratio:.2f}x (need >= {need}x) {'ok' if ratio >= need else 'BELOW'}", flush=True)
    load = os.getloadavg()[0]
    section = "\n".join([
        MARK, "## verify_many against a loop (issue 12)", "",
        f"Command: `{COMMAND}`. Each figure is one call in a fresh interpreter (the worker processes' start-up "
        f"included), {os.cpu_count()} cores, load average {load:.1f} at the end; mixed real pairs (GSM8K rollouts, "
        "the Math-Verify suite, GSM8K references against a stated answer). Batches under "
        "4,000 pairs run in the calling thread unless warm workers are idle.", "",
        "| pairs | plain `verify` loop | `verify_many` | ratio | required |", "|---|---|---|---|---|",
        *[f"| {n:,} | {a:.2f} s | {b:.2f} s | {r:.2f}x | >= {need}x |" for n, a, b, r, need in rows], "",
    ])
    if args.no_write:
        return
    md = ROOT / "benchmarks" / "math.md"
    text = md.read_text(encoding="utf-8") if md.exists() else ""
    text = re.split(re.escape(MARK), text)[0].rstrip("\n")
    md.write_text(text + "\n\n" + section, encoding="utf-8")
    print(f"wrote {md.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
