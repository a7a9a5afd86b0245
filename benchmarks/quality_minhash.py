"""Near-duplicates from raw text to verified clusters: reasonledger against datasketch (end to end)
and rensa (signatures only), side by side on the same documents in one run.

Documents: real texts (GSM8K test questions and solutions, ProcessBench solutions, MBPP prompts)
plus mutated copies of a third of them (each word replaced with a random rate of 0-20%), so there
are true near-duplicates at every Jaccard level. Every tool uses word 3-gram shingles after the
same normalisation, 128 permutations and threshold 0.8; datasketch and reasonledger verify every
candidate pair by exact Jaccard. reasonledger runs in one process; `--workers 2` also times a
two-process split of the signature work for the 2-core figure.

Needs the peers: pip install datasketch rensa
Each tool is timed `--runs` times and the fastest run is kept (the machine is shared).

Run: .venv/bin/python benchmarks/quality_minhash.py [--data ../shared/data] [--docs 30000] [--runs 2]
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from reasonledger.quality.minhash import NearDupConfig, near_duplicates

ROOT = Path(__file__).resolve().parents[1]


def corpus(data: Path, size: int, seed: int = 0) -> list[str]:
    texts = []
    for line in (data / "gsm8k" / "test.jsonl").read_text().splitlines():
        row = json.loads(line)
        texts += [row["question"], row["answer"]]
    for line in (data / "gsm8k" / "example_model_solutions.jsonl").read_text().splitlines():
        texts += [v["solution"] for v in json.loads(line).values() if isinstance(v, dict) and "solution" in v]
    for subset in ("math", "gsm8k"):
        texts += ["\n".join(r["steps"]) for r in json.loads((data / "processbench" / f"{subset}.json").read_text())]
    texts += [json.loads(line)["text"] for line in (data / "mbpp" / "mbpp.jsonl").read_text().splitlines()]
    rng = random.Random(seed)
    originals = [texts[i % len(texts)] for i in range(size * 2 // 3)]
    vocabulary = " ".join(texts[:2000]).split()
    copies = []
    for _ in range(size - len(originals)):
        words = rng.choice(originals).split()
        rate = rng.uniform(0, 0.2)
        copies.append(" ".join(rng.choice(vocabulary) if rng.random() < rate else w for w in words))
    docs = originals + copies
    rng.shuffle(docs)
    return docs


def shingle_sets(docs: list[str], config: NearDupConfig) -> list[set[bytes]]:
    """The same shingles for the peers: normalised words, 3-grams joined by a space."""
    out = []
    for doc in docs:
        words = config.normalisation.words(doc)
        grams = {b" ".join(words[i:i + config.shingle]) for i in range(len(words) - config.shingle + 1)}
        out.append(grams or {b" ".join(words)})
    return out


def datasketch_end_to_end(docs: list[str], config: NearDupConfig) -> tuple[float, int]:
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    sets = shingle_sets(docs, config)
    lsh = MinHashLSH(threshold=config.threshold, num_perm=config.num_perm)
    pairs = set()
    for index, grams in enumerate(sets):
        signature = MinHash(num_perm=config.num_perm)
        signature.update_batch(list(grams))
        for other in lsh.query(signature):
            a, b = sets[other], grams
            if len(a & b) / len(a | b) >= config.threshold:
                pairs.add((other, index))
        lsh.insert(index, signature)
    return time.perf_counter() - started, len(pairs)


def rensa_signatures(docs: list[str], config: NearDupConfig) -> float:
    from rensa import RMinHash

    started = time.perf_counter()
    for grams in shingle_sets(docs, config):
        signature = RMinHash(num_perm=config.num_perm, seed=42)
        signature.update([g.decode("utf-8", "replace") for g in grams])
        signature.digest()
    return time.perf_counter() - started


def ours(docs: list[str], config: NearDupConfig) -> tuple[float, int, int]:
    started = time.perf_counter()
    found = near_duplicates(docs, config)
    return time.perf_counter() - started, len(found.pairs), len(found.clusters)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--docs", type=int, default=30000)
    parser.add_argument("--peer-docs", type=int, default=10000, help="datasketch is timed on the first N docs")
    parser.add_argument("--runs", type=int, default=2, help="time each tool this many times, keep the fastest")
    args = parser.parse_args()
    config = NearDupConfig(threshold=0.8, num_perm=128, shingle=3, by_line=False, templates=False)  # the peers shingle whole texts
    docs = corpus(args.data, args.docs)
    words = sum(len(d.split()) for d in docs)
    print(f"{len(docs):,} documents ({words / len(docs):.0f} words each on average), threshold {config.threshold}, "
          f"{config.num_perm} permutations, word {config.shingle}-grams")
    seconds, pairs, clusters = min(ours(docs, config) for _ in range(args.runs))
    print(f"reasonledger, raw text -> verified clusters : {len(docs) / seconds:9,.0f} docs/s  "
          f"({pairs:,} verified pairs, {clusters:,} clusters)")
    subset = docs[: args.peer_docs]
    seconds, pairs_ours, _ = min(ours(subset, config) for _ in range(args.runs))
    ours_rate = len(subset) / seconds
    try:
        peer_seconds, peer_pairs = min(datasketch_end_to_end(subset, config) for _ in range(args.runs))
        print(f"on the first {len(subset):,}: reasonledger {ours_rate:,.0f} docs/s ({pairs_ours:,} pairs); datasketch end to end "
              f"{len(subset) / peer_seconds:,.0f} docs/s ({peer_pairs:,} pairs) -> {ours_rate * peer_seconds / len(subset):.1f}x")
    except ImportError:
        print("datasketch not installed (pip install datasketch): peer skipped")
    try:
        rensa_seconds = min(rensa_signatures(subset, config) for _ in range(args.runs))
        print(f"rensa signatures alone (no LSH, no verification; shingling in Python included): "
              f"{len(subset) / rensa_seconds:,.0f} docs/s")
    except ImportError:
        print("rensa not installed (pip install rensa): peer skipped")


if __name__ == "__main__":
    main()
