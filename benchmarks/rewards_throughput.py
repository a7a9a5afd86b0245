"""verl reward throughput: `compute_score_batch` (BatchRewardManager's one call) against a loop of
`compute_score` (NaiveRewardManager's call per completion), on the quickstart's exported rows.

Each row gets a GRPO-style group of completions: its gold answer written the five ways of
benchmarks/rewards_styles.py, a wrong answer (another row's gold) in two ways, and "I don't know."
Both forms score the same completions in the same process and must return the same scores; the
batch is fed in chunks the size of a verl step (`--chunk`, default 4096 completions).
The first pass of each form is a warm-up (imports, scorer set-up) and is not timed.

A third row times the same loop with each (verifier, config) looked up once instead of through the
verifier pool on every call: the pool re-reads the operator's config file (a stat and path
handling, twice a call), which is about half of the loop's time; the row shows what the batch gains
on the scoring itself.

Run: .venv/bin/python benchmarks/rewards_throughput.py [--run DIR] [--repeat 3]
(without --run it builds examples/quickstart.yaml at its full default size into a temporary directory)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import tempfile
import time
from pathlib import Path

import reasonledger.rewards as rewards
from reasonledger.rewards import compute_score, compute_score_batch

HERE = Path(__file__).resolve().parent


def _styles():
    spec = importlib.util.spec_from_file_location("rewards_styles", HERE / "rewards_styles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def workload(exports: Path) -> tuple[list[str], list[str], list[str], list[dict]]:
    """(data_sources, completions, ground_truths, extra_infos), one entry per completion."""
    styles = _styles()
    rows = styles._parquet_rows(exports, "verl")
    golds = [r["reward_model"]["ground_truth"] for r in rows]
    wrong = styles.wrong_answers(golds, [r["data_source"] for r in rows])
    templates = list(styles.STYLES.values())
    out: tuple[list, list, list, list] = ([], [], [], [])
    for row, gold, other in zip(rows, golds, wrong):
        group = [t.format(gold) for t in templates] + [t.format(other or gold) for t in templates[1:3]] + [styles.IDK]
        for completion in group:
            out[0].append(row["data_source"])
            out[1].append(completion)
            out[2].append(gold)
            out[3].append(row["extra_info"])
    return out


def single(sources, completions, golds, infos) -> list[float]:
    return [compute_score(data_source=s, solution_str=c, ground_truth=g, extra_info=i)
            for s, c, g, i in zip(sources, completions, golds, infos)]


def single_resolved(sources, completions, golds, infos) -> list[float]:
    """`single` with each (verifier, config) looked up in the pool once (not on every call)."""
    looked_up: dict = {}
    pool_get, ran = rewards._verifier, rewards._ran
    rewards._verifier = lambda name, config: looked_up.get((name, config)) or looked_up.setdefault(
        (name, config), pool_get(name, config))
    rewards._ran = lambda verifier: None
    try:
        return single(sources, completions, golds, infos)
    finally:
        rewards._verifier, rewards._ran = pool_get, ran
        for verifier in looked_up.values():
            ran(verifier)


def batch(sources, completions, golds, infos, chunk: int) -> list[float]:
    out: list[float] = []
    for at in range(0, len(completions), chunk):
        part = slice(at, at + chunk)
        out += compute_score_batch(data_sources=sources[part], solution_strs=completions[part],
                                   ground_truths=golds[part], extra_infos=infos[part])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing quickstart run directory (default: build one)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes of each form; the best is kept")
    parser.add_argument("--chunk", type=int, default=4096, help="completions per compute_score_batch call")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or _styles().build_quickstart(Path(tmp) / "quickstart", [])
        work = workload(run / "exports")
        n = len(work[1])
        expected = single(*work)  # warm-up of both forms, and the scores they must agree on
        assert batch(*work, args.chunk) == expected, "the batch form disagrees with the single form"
        assert single_resolved(*work) == expected, "the loop with verifiers looked up once disagrees"
        timings, cpu = {}, {}
        for name, fn in (("single-call loop", lambda: single(*work)), ("loop, looked up", lambda: single_resolved(*work)),
                         ("batch", lambda: batch(*work, args.chunk))):
            best = best_cpu = float("inf")
            for _ in range(args.repeat):
                t0, c0 = time.perf_counter(), time.process_time()
                fn()
                best, best_cpu = min(best, time.perf_counter() - t0), min(best_cpu, time.process_time() - c0)
            timings[name], cpu[name] = best, best_cpu
        print(f"{n:,} completions ({n // 8:,} rows x 8), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
              f"best of {args.repeat}, {run}")
        for name, seconds in timings.items():
            print(f"  {name:17s} {seconds:7.3f} s  {n / seconds:10,.0f} completions/s  "
                  f"CPU {cpu[name] / n * 1e6:6.1f} us a completion")
        for loop in ("single-call loop", "loop, looked up"):
            print(f"  batch / {loop}: {timings[loop] / timings['batch']:.1f}x wall clock, "
                  f"{cpu[loop] / cpu['batch']:.1f}x CPU time")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
