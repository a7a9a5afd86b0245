"""Memory of the audits on hostile shapes: many identical prompts, and a huge benchmark.

Each case runs in a fresh child process, which prints its peak RSS (ru_maxrss) and its RSS once
the inputs exist, so the difference is what the audit itself cost.

- `dups`: the near- and exact-duplicate audits (`Auditor`, sections near_duplicates and
  exact_duplicates) over N records whose prompts are all the same text, and over N records whose
  prompts are all different (random words), for comparison.
- `against`: a benchmark of M synthetic word problems written to a JSONL file, then the
  contamination audit of 4 records against it (`--against jsonl:FILE?prompt_field=question`),
  with and without the semantic pass. One of the 4 records quotes a benchmark item. `--encode-batch N`
  makes the embedder gather N texts a batch instead of its default, to compare batch sizes.

Run: .venv/bin/python benchmarks/quality_bounded.py [--dups 50000] [--items 1000000] [--semantic off|on|both]
     [--encode-batch N]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROMPT = ("Natalia sold clips to 48 of her friends in April, and then she sold half as many clips in May. "
          "How many clips did Natalia sell altogether in April and May?")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def item(rng: random.Random) -> str:
    names = ["Ava", "Ben", "Chen", "Dara", "Eli", "Femi", "Gita", "Hugo", "Ines", "Jon"]
    things = ["apples", "stamps", "marbles", "tickets", "bricks", "coins", "books", "seeds", "shells", "cards"]
    verbs = ["buys", "finds", "gives away", "sells", "collects", "loses", "trades", "packs"]
    a, b = rng.sample(names, 2)
    return (f"{a} has {rng.randint(2, 999)} {rng.choice(things)} and {rng.choice(verbs)} {rng.randint(2, 99)} of them "
            f"every {rng.choice(['day', 'week', 'month'])}. {b} {rng.choice(verbs)} {rng.randint(2, 50)} times as many "
            f"{rng.choice(things)}. After {rng.randint(2, 30)} {rng.choice(['days', 'weeks'])}, how many "
            f"{rng.choice(things)} do they have together if {a} started with {rng.randint(1, 500)} more?")


def child_dups(kind: str, count: int) -> dict:
    from reasonledger.quality.audit import AuditConfig, Auditor
    from reasonledger.records.model import Kind, Record

    rng = random.Random(3)
    vocab = [f"word{i}" for i in range(20000)]

    def prompts():
        for _ in range(count):
            if kind == "identical":
                yield "".join((PROMPT[:40], PROMPT[40:]))  # a string object of its own, as a reader makes
            else:
                yield " ".join(rng.choice(vocab) for _ in range(30))

    auditor = Auditor(AuditConfig(sections=["near_duplicates", "exact_duplicates"], embedding_map=False))
    base = rss_mib()
    start = time.perf_counter()
    for number, prompt in enumerate(prompts()):
        auditor.add(Record(kind=Kind.prompt_answer, task={"prompt": prompt, "source": {"dataset": "bench", "row_id": str(number)}}))
    result = auditor.finish()
    near = result["near_duplicates"]
    return {"case": f"{count:,} {kind} prompts", "seconds": round(time.perf_counter() - start, 1), "rss_before_mib": round(base),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "flagged": near["flagged"], "largest_cluster": near["largest_cluster"],
            "exact_flagged": result["exact_duplicates"]["flagged"]}


def child_against(path: str, items: int, semantic: bool, encode_batch: int) -> dict:
    from reasonledger.quality.audit import AuditConfig, Auditor
    from reasonledger.quality.embed import StaticEmbedder
    from reasonledger.records.model import Kind, Record

    if encode_batch:  # the audit calls `encode` with its default batch: this child's default is the one asked for
        StaticEmbedder.encode.__defaults__ = (encode_batch,)

    quoted = json.loads(Path(path).open().readline())["question"]
    texts = ["What is the capital of France?", f"Solve this: {quoted} Think step by step.",
             "Write a function that reverses a list.", "A train leaves at 3pm and travels 60 miles per hour."]
    base = rss_mib()
    start = time.perf_counter()
    auditor = Auditor(AuditConfig(sections=["contamination"], against=[f"jsonl:{path}?prompt_field=question"],
                                  contamination={"semantic": semantic}))
    for number, text in enumerate(texts):
        auditor.add(Record(kind=Kind.prompt_answer, task={"prompt": text, "source": {"dataset": "bench", "row_id": str(number)}}))
    result = auditor.finish()["contamination"]
    batch = f", encode batch {encode_batch}" if encode_batch else ""
    return {"case": f"4 records against {items:,} items, semantic {'on' if semantic else 'off'}{batch}",
            "seconds": round(time.perf_counter() - start, 1), "rss_before_mib": round(base),
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "flagged": result["flagged"], "hits_by_method": result["hits_by_method"]}


def run_child(*args: str) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True)
    if done.returncode:
        return {"case": " ".join(args), "failed": done.stderr.strip().splitlines()[-1:]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dups", type=int, default=50000)
    parser.add_argument("--items", type=int, default=1000000)
    parser.add_argument("--skip", choices=["dups", "against"], action="append", default=[])
    parser.add_argument("--semantic", choices=["off", "on", "both"], default="both")
    parser.add_argument("--encode-batch", type=int, default=0)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        result = child_dups(rest[0], int(rest[1])) if what == "dups" else child_against(rest[0], int(rest[1]), rest[2] == "on", int(rest[3]))
        print(json.dumps(result))
        return
    if "dups" not in args.skip:
        for kind in ("identical", "distinct"):
            print(json.dumps(run_child("dups", kind, str(args.dups))), flush=True)
    if "against" not in args.skip:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.jsonl"
            rng = random.Random(5)
            with path.open("w") as handle:
                for number in range(args.items):
                    handle.write(json.dumps({"question": item(rng), "answer": "1", "id": number}) + "\n")
            for semantic in ("off", "on") if args.semantic == "both" else (args.semantic,):
                print(json.dumps(run_child("against", str(path), str(args.items), semantic, str(args.encode_batch))), flush=True)


if __name__ == "__main__":
    main()
