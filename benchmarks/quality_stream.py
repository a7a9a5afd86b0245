"""1M training records against 10k benchmark items, streamed: time, recall of planted copies and
memory (RSS after the index is built, while streaming, and the peak).

Benchmark items: GSM8K test, MBPP, HumanEval and ProcessBench problems (real), topped up to
`--items` with seeded synthetic word problems. Training records are generated on the fly, never
held: a prompt and a response of sentences drawn from real solutions; every 1,000th record has a
benchmark item pasted into the middle of its response, and all of those must be flagged. The
exact pass runs over all records; the semantic pass (`--semantic-records`) over a prefix, since
it embeds every prompt and is reported as its own rate.

Run: .venv/bin/python benchmarks/quality_stream.py [--data ../shared/data] [--records 1000000]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import time
from collections.abc import Iterator
from pathlib import Path

from reasonledger.quality.contamination import (
    Benchmark,
    ContaminationConfig,
    ContaminationScan,
)
from reasonledger.records.model import Kind, Record

ROOT = Path(__file__).resolve().parents[1]
PLANT_EVERY = 1000


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def benchmark_items(data: Path, count: int, seed: int = 1) -> list[str]:
    items = [json.loads(line)["question"] for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    items += [json.loads(line)["text"] for line in (data / "mbpp" / "mbpp.jsonl").read_text().splitlines()]
    with gzip.open(data / "humaneval" / "HumanEval.jsonl.gz", "rt") as handle:
        items += [json.loads(line)["prompt"] for line in handle]
    items += [r["problem"] for r in json.loads((data / "processbench" / "math.json").read_text())]
    rng = random.Random(seed)
    names = ["Ava", "Ben", "Chen", "Dara", "Eli", "Femi", "Gita", "Hugo", "Ines", "Jon"]
    things = ["apples", "stamps", "marbles", "tickets", "bricks", "coins", "books", "seeds", "shells", "cards"]
    verbs = ["buys", "finds", "gives away", "sells", "collects", "loses", "trades", "packs"]
    while len(items) < count:
        a, b = rng.sample(names, 2)
        items.append(f"{a} has {rng.randint(2, 999)} {rng.choice(things)} and {rng.choice(verbs)} {rng.randint(2, 99)} of them "
                     f"every {rng.choice(['day', 'week', 'month'])}. {b} {rng.choice(verbs)} {rng.randint(2, 50)} times as many "
                     f"{rng.choice(things)}. After {rng.randint(2, 30)} {rng.choice(['days', 'weeks'])}, how many "
                     f"{rng.choice(things)} do they have together if {a} started with {rng.randint(1, 500)} more?")
    return items[:count]


def sentences(data: Path) -> list[str]:
    pool = []
    for subset in ("math", "gsm8k"):
        for row in json.loads((data / "processbench" / f"{subset}.json").read_text()):
            pool += row["steps"]
    return pool


def records(count: int, pool: list[str], items: list[str], seed: int = 2) -> Iterator[Record]:
    """Records made by copying one validated template (validation is the reader's cost, not the scan's)."""
    rng = random.Random(seed)
    template = Record(kind=Kind.prompt_answer, task={"prompt": "p", "source": {"dataset": "synthetic-train"}},
                      behaviour={"response": "r"})
    for index in range(count):
        response = [rng.choice(pool) for _ in range(rng.randint(2, 6))]
        if index % PLANT_EVERY == PLANT_EVERY - 1:
            response.insert(1, items[(index // PLANT_EVERY) % len(items)])
        yield template.model_copy(update={
            "id": f"r{index}", "task": template.task.model_copy(update={"prompt": rng.choice(pool)}),
            "behaviour": template.behaviour.model_copy(update={"response": "\n".join(response)})})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--semantic-records", type=int, default=50_000)
    args = parser.parse_args()
    items, pool = benchmark_items(args.data, args.items), sentences(args.data)
    started, sample = time.perf_counter(), min(args.records, 100_000)
    for _ in records(sample, pool, items):
        pass
    making = (time.perf_counter() - started) / sample
    bench = Benchmark("bench", "generated", None, [str(i) for i in range(len(items))], items)
    print(f"start: RSS {rss_mib():.0f} MiB; {len(items):,} benchmark items, {args.records:,} training records")

    started = time.perf_counter()
    scan = ContaminationScan([bench], ContaminationConfig(semantic=False))
    print(f"n-gram index built in {time.perf_counter() - started:.1f} s; RSS {rss_mib():.0f} MiB")
    started, words, planted, seen = time.perf_counter(), 0, 0, 0
    for batch, flagged in scan.scan_all(records(args.records, pool, items)):
        for record in batch:
            words += len(record.behaviour.response.split()) + len(record.task.prompt.split())
        planted += sum(1 for r in batch if int(r.id[1:]) % PLANT_EVERY == PLANT_EVERY - 1 and r.id in flagged)
        seen += len(batch)
        if seen % 200_000 < len(batch):
            print(f"  {seen:>9,} records  RSS {rss_mib():.0f} MiB")
    seconds = time.perf_counter() - started
    result = scan.result()
    print(f"exact pass: {args.records:,} records ({words / 1e6:.0f}M words) in {seconds:.1f} s = "
          f"{args.records / seconds:,.0f} records/s, {words / seconds / 1e6:.1f}M words/s; "
          f"planted copies flagged {planted:,} of {args.records // PLANT_EVERY:,}; all flagged {result['flagged']:,}")
    scanning = seconds - making * args.records
    print(f"  of which making the records here: {making * args.records:.1f} s; the scan alone: "
          f"{args.records / scanning:,.0f} records/s, {words / scanning / 1e6:.1f}M words/s")
    print(f"peak RSS {peak_mib():.0f} MiB")

    if args.semantic_records:
        started = time.perf_counter()
        semantic = ContaminationScan([bench], ContaminationConfig(semantic=True))
        built = time.perf_counter() - started
        started = time.perf_counter()
        for _ in semantic.scan_all(records(args.semantic_records, pool, items, seed=3)):
            pass
        seconds = time.perf_counter() - started
        print(f"exact + semantic pass: index and {len(items):,} item embeddings in {built:.1f} s; "
              f"{args.semantic_records:,} records in {seconds:.1f} s = {args.semantic_records / seconds:,.0f} records/s; "
              f"peak RSS {peak_mib():.0f} MiB")


if __name__ == "__main__":
    main()
