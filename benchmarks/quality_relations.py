"""Contamination relations on real rewrites and on a set full of shared templates.

1. GSM-Plus testmini (300 GSM8K test problems rewritten 8 ways) against GSM8K test: per
   perturbation type, the strongest relation found between each rewrite and its own seed row.
2. ProcessBench math against itself: every pair of different rows reported stronger than
   template, split into true duplicates (same text up to formatting) and different problems
   (with their final answers, read from a solution marked correct, where one exists).
3. GSM8K test against itself: every pair of different rows reported stronger than template (GSM8K
   holds near-templates of its own; a pair named reworded or renumbered here is a false copy).

    .venv/bin/python benchmarks/quality_relations.py [--data ../shared/data] [--shortlist 0.80]
                                                     [--no-quantity-shortlist]
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import Counter, defaultdict
from pathlib import Path

from reasonledger.quality.contamination import ContaminationConfig, ContaminationScan, load_benchmark
from reasonledger.quality.relations import RELATIONS
from reasonledger.quality.text import Normalisation
from reasonledger.records.model import Kind, Record

KEEPS = ("problem understanding", "numerical substitution", "digit expansion",
         "integer-decimal-fraction conversion", "distraction insertion")
CHANGES = ("adding operation", "reversing operation", "critical thinking")
_FORMAT = Normalisation(lowercase=True, punctuation=True, digits_to_zero=False)


def prompt_record(text: str, row: str) -> Record:
    return Record(kind=Kind.prompt_answer, task={"prompt": text, "source": {"dataset": "bench", "row_id": row}})


def strongest(hits: list[dict], keep=lambda hit: True) -> dict[str, str]:
    found: dict[str, str] = {}
    for hit in hits:
        if keep(hit):
            old = found.get(hit["record_id"])
            if old is None or RELATIONS.index(hit["relation"]) < RELATIONS.index(old):
                found[hit["record_id"]] = hit["relation"]
    return found


def gsmplus(data: Path, config: dict) -> None:
    bench = load_benchmark(f"gsm8k:{data}/gsm8k/test.jsonl")
    row_of = {text.strip(): row for row, text in zip(bench.rows, bench.texts)}
    rows = [json.loads(line) for line in (data / "gsmplus/testmini.jsonl").read_text().splitlines()]
    records = [prompt_record(r["question"], str(i)) for i, r in enumerate(rows)]
    seed = {rec.id: row_of[r["seed_question"].strip()] for rec, r in zip(records, rows)}
    scan = ContaminationScan([bench], ContaminationConfig(**config))
    start = time.perf_counter()
    scan.scan(records)
    seconds = time.perf_counter() - start
    hits = scan.result()["hits"]
    methods = Counter(h["method"] for h in hits if h["benchmark_row"] == seed[h["record_id"]])
    own = strongest(hits, lambda h: h["benchmark_row"] == seed[h["record_id"]])
    other = strongest(hits, lambda h: h["benchmark_row"] != seed[h["record_id"]])
    table: dict[str, Counter] = defaultdict(Counter)
    for rec, r in zip(records, rows):
        table[r["perturbation_type"]][own.get(rec.id, "none")] += 1
    columns = [*RELATIONS, "none"]
    print(f"GSM-Plus testmini ({len(records)}) vs GSM8K test ({len(bench.texts)}): {seconds:.1f} s; "
          f"hits to the seed row by method: {dict(sorted(methods.items()))}\n")
    print("| perturbation | " + " | ".join(columns) + " | criterion | met |")
    print("|---|" + "---|" * (len(columns) + 2))
    for kind in (*KEEPS, *CHANGES):
        counts, total = table[kind], sum(table[kind].values())
        good = ("verbatim", "reworded", "renumbered") if kind in KEEPS else ("verbatim", "reworded", "renumbered", "derived")
        share = sum(counts[g] for g in good) / total
        need = 0.97 if kind in KEEPS else 0.90
        label = "renumbered or stronger" if kind in KEEPS else "derived or stronger"
        print(f"| {kind} | " + " | ".join(str(counts[c]) for c in columns)
              + f" | {label} >= {need:.0%}: {share:.1%} | {'yes' if share >= need else 'NO'} |")
    wrong = Counter(v for v in other.values() if RELATIONS.index(v) < RELATIONS.index("template"))
    print(f"\nrewrites with a relation stronger than template to another GSM8K row: {sum(wrong.values())} {dict(wrong)}\n")


def boxed(step: str) -> str | None:
    start = step.rfind("\\boxed{")
    if start < 0:
        return None
    depth, i = 0, start + 7
    for j in range(i, len(step)):
        depth += {"{": 1, "}": -1}.get(step[j], 0)
        if depth < 0:
            return re.sub(r"\s+", "", step[i:j])
    return None


def processbench(data: Path, config: dict) -> None:
    rows = json.loads((data / "processbench/math.json").read_text())
    spec = f"processbench:{data}/processbench/math.json"
    bench = load_benchmark(spec)
    records = [prompt_record(r["problem"], str(i)) for i, r in enumerate(rows)]
    answers: dict[int, set[str]] = defaultdict(set)
    for i, r in enumerate(rows):
        if r["final_answer_correct"] and (found := boxed(r["steps"][-1])):
            answers[i].add(found)
    index_of = {rec.id: i for i, rec in enumerate(records)}
    item_of = {row: j for j, row in enumerate(bench.rows)}
    scan = ContaminationScan([bench], ContaminationConfig(**config))
    scan.scan(records)
    pairs = defaultdict(str)
    for hit in scan.result()["hits"]:
        i, j = index_of[hit["record_id"]], item_of[hit["benchmark_row"]]
        if i != j and RELATIONS.index(hit["relation"]) < RELATIONS.index("template"):
            key = (min(i, j), max(i, j))
            pairs[key] = min(pairs[key] or hit["relation"], hit["relation"], key=RELATIONS.index)
    duplicates, different = [], []
    for (i, j), relation in sorted(pairs.items()):
        same = _FORMAT.words(rows[i]["problem"]) == _FORMAT.words(rows[j]["problem"])
        (duplicates if same else different).append((i, j, relation))
    relations = Counter(r for *_, r in different)
    print(f"ProcessBench math ({len(rows)}) against itself: pairs of different rows stronger than template: "
          f"{len(pairs)}; true duplicates (same text up to formatting): {len(duplicates)}; different problems: "
          f"{len(different)} {dict(relations)}")
    for i, j, relation in different:
        a, b = answers.get(i), answers.get(j)
        verdict = "answers differ" if a and b and not (a & b) else "same answer" if a and b else "answer unknown"
        print(f"  {relation}: rows {i} / {j} ({verdict}: {sorted(a or [])} / {sorted(b or [])})\n"
              f"    {rows[i]['problem'][:110]!r}\n    {rows[j]['problem'][:110]!r}")
    print("true duplicates: " + ", ".join(f"{i}/{j} ({r})" for i, j, r in duplicates))


def gsm8k_itself(data: Path, config: dict) -> None:
    bench = load_benchmark(f"gsm8k:{data}/gsm8k/test.jsonl")
    records = [prompt_record(text, str(i)) for i, text in enumerate(bench.texts)]
    index_of, item_of = {rec.id: i for i, rec in enumerate(records)}, {row: j for j, row in enumerate(bench.rows)}
    scan = ContaminationScan([bench], ContaminationConfig(**config))
    scan.scan(records)
    pairs: dict[tuple[int, int], tuple[str, str]] = {}
    for hit in scan.result()["hits"]:
        i, j = index_of[hit["record_id"]], item_of[hit["benchmark_row"]]
        if i != j and RELATIONS.index(hit["relation"]) < RELATIONS.index("template"):
            old = pairs.get((min(i, j), max(i, j)))
            if old is None or RELATIONS.index(hit["relation"]) < RELATIONS.index(old[0]):
                pairs[(min(i, j), max(i, j))] = (hit["relation"], hit["method"])
    print(f"\nGSM8K test ({len(records)}) against itself: pairs of different rows stronger than template: {len(pairs)} "
          f"{dict(Counter(r for r, _ in pairs.values()))}")
    for (i, j), (relation, method) in sorted(pairs.items()):
        print(f"  {relation} ({method}): rows {i} / {j}\n    {bench.texts[i][:110]!r}\n    {bench.texts[j][:110]!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/data")
    parser.add_argument("--shortlist", type=float, help="cosine floor of the semantic shortlist (default: the audit's)")
    parser.add_argument("--no-quantity-shortlist", action="store_true",
                        help="without the second shortlist on the problem's quantities (as before it)")
    args = parser.parse_args()
    config = {} if args.shortlist is None else {"shortlist": args.shortlist}
    if args.no_quantity_shortlist:
        config["quantity_shortlist"] = False
    gsmplus(args.data, config)
    processbench(args.data, config)
    gsm8k_itself(args.data, config)


if __name__ == "__main__":
    main()
