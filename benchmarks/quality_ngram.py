"""Exact n-gram decontamination: reasonledger's containment index against the open-r1 approach,
side by side on the same texts in one process (one core each).

The peer is open-r1's scripts/decontaminate.py method as the issue describes it: lowercased,
whitespace-split 8-grams of every benchmark prompt in a Python set of tuples; a training text is
contaminated when any of its 8-grams is in the set. reasonledger does more per word (punctuation
and digit normalisation, a containment score per benchmark item) and is timed end to end.

Training texts: every ProcessBench solution (math + gsm8k subsets, steps joined) and every GSM8K
example model solution, repeated `--repeat` times. Benchmarks: GSM8K test, MBPP, HumanEval prompts.

Each tool is timed `--runs` times and the fastest run is kept (the machine is shared).

Run: .venv/bin/python benchmarks/quality_ngram.py [--data ../shared/data] [--repeat 8] [--runs 5]
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from pathlib import Path

from reasonledger.quality.ngrams import NgramIndex
from reasonledger.quality.text import Normalisation

ROOT = Path(__file__).resolve().parents[1]


def load(data: Path, repeat: int) -> tuple[list[str], list[str]]:
    train = []
    for subset in ("math", "gsm8k"):
        train += ["\n".join(r["steps"]) for r in json.loads((data / "processbench" / f"{subset}.json").read_text())]
    for line in (data / "gsm8k" / "example_model_solutions.jsonl").read_text().splitlines():
        row = json.loads(line)
        train += [v["solution"] for v in row.values() if isinstance(v, dict) and "solution" in v]
    bench = [json.loads(line)["question"] for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines()]
    bench += [json.loads(line)["text"] for line in (data / "mbpp" / "mbpp.jsonl").read_text().splitlines()]
    with gzip.open(data / "humaneval" / "HumanEval.jsonl.gz", "rt") as handle:
        bench += [json.loads(line)["prompt"] for line in handle]
    return train * repeat, bench


def open_r1(train: list[str], bench: list[str], n: int = 8) -> tuple[float, int]:
    started = time.perf_counter()
    lookup: set[tuple[str, ...]] = set()
    for text in bench:
        words = text.lower().split()
        lookup.update(tuple(words[i:i + n]) for i in range(len(words) - n + 1))
    flagged = 0
    for text in train:
        words = text.lower().split()
        grams = {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}
        flagged += any(gram in lookup for gram in grams)
    return time.perf_counter() - started, flagged


def any_shared(train: list[str], bench: list[str], n: int = 8, batch: int = 2048) -> tuple[float, int]:
    """The peer's question (any shared n-gram after lowercasing and whitespace splitting), our index."""
    started = time.perf_counter()
    index = NgramIndex(bench, n, Normalisation(punctuation=False, digits_to_zero=False))
    flagged = sum(int(index.contains_any(train[first:first + batch]).sum()) for first in range(0, len(train), batch))
    return time.perf_counter() - started, flagged


def containment(train: list[str], bench: list[str], n: int = 8, batch: int = 2048) -> tuple[float, int]:
    """What `reasonledger audit` does: punctuation and digits normalised, per-item containment >= 0.5."""
    started = time.perf_counter()
    index = NgramIndex(bench, n)
    flagged = set()
    for first in range(0, len(train), batch):
        flagged.update(first + m.text_index for m in index.match(train[first:first + batch], min_score=0.5))
    return time.perf_counter() - started, len(flagged)


def best_of(runs: int, function, *args):
    """The fastest of `runs` runs (the machine is shared: the minimum is the least disturbed)."""
    results = [function(*args) for _ in range(runs)]
    return min(results, key=lambda result: result[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=8)
    parser.add_argument("--runs", type=int, default=5, help="time each tool this many times, keep the fastest")
    args = parser.parse_args()
    train, bench = load(args.data, args.repeat)
    words = sum(len(t.split()) for t in train)
    print(f"{len(train):,} training texts ({words:,} words) against {len(bench):,} benchmark items, 8-grams")
    peer_seconds, peer_flagged = best_of(args.runs, open_r1, train, bench)
    same_seconds, same_flagged = best_of(args.runs, any_shared, train, bench)
    full_seconds, full_flagged = best_of(args.runs, containment, train, bench)
    print(f"open-r1 set of tuples, any shared 8-gram     : {peer_seconds:6.2f} s {words / peer_seconds / 1e6:6.2f} M words/s  flagged {peer_flagged:,}")
    print(f"reasonledger index, same question            : {same_seconds:6.2f} s {words / same_seconds / 1e6:6.2f} M words/s  flagged {same_flagged:,}"
          f"  -> {peer_seconds / same_seconds:.1f}x")
    print(f"reasonledger audit default, containment>=0.5 : {full_seconds:6.2f} s {words / full_seconds / 1e6:6.2f} M words/s  flagged {full_flagged:,}"
          f"  -> {peer_seconds / full_seconds:.1f}x")


if __name__ == "__main__":
    main()
