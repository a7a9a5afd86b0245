"""verl reward throughput: `compute_score_batch` (BatchRewardManager's one call) against a loop of
`compute_score` (NaiveRewardManager's call per completion), on the quickstart's exported rows.

Each row gets a GRPO-style group of completions: its gold answer written the five ways of
benchmarks/rewards_styles.py, a wrong answer (another row's gold) in two ways, and "I don't know."
Every form scores the same completions and must return the same scores (the batch over the
workers too); the batch is fed in chunks the size of a verl step (`--chunk`, default 4096 completions).
The first pass of each form is a warm-up (imports, scorer set-up) and is not timed.

A third row times the same loop with each (verifier, config) looked up once instead of through the
verifier pool on every call: the pool re-reads the operator's config file (a stat and path
handling, twice a call), which is about half of the loop's time; the row shows what the batch gains
on the scoring itself.

A fourth row is the batch over the reward worker processes (`--workers`, default one per core this
process may use): their start-up, once a process, and the first batch over them (each worker sets
its verifiers up) are printed apart; CPU there counts the workers' too. `--only FORM` times one form
from a cold start, for timing whole processes against each other; `--threshold [SIZE ...]` times one
batch of each size in this process against the warm workers (where `reward_workers.MIN_JOBS` comes from).

Run: .venv/bin/python benchmarks/rewards_throughput.py [--run DIR] [--repeat 3] [--workers N]
(without --run it builds examples/quickstart.yaml at its full default size into a temporary directory)
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
import time
from pathlib import Path

import reasonledger.rewards as rewards
from reasonledger import reward_workers
from reasonledger.rewards import compute_score, compute_score_batch

HERE = Path(__file__).resolve().parent
FORMS = ("loop", "looked-up", "batch", "workers")
LABELS = {"loop": "single-call loop", "looked-up": "loop, looked up", "batch": "batch, one process",
          "workers": "batch over workers"}


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


def batch(sources, completions, golds, infos, chunk: int, workers: int = 0) -> list[float]:
    out: list[float] = []
    for at in range(0, len(completions), chunk):
        part = slice(at, at + chunk)
        out += compute_score_batch(data_sources=sources[part], solution_strs=completions[part],
                                   ground_truths=golds[part], extra_infos=infos[part], reward_workers=workers)
    return out


def _worker_cpu() -> float:
    """CPU seconds the live reward workers have used (they are not reaped, so RUSAGE_CHILDREN misses them)."""
    total = 0.0
    for w in reward_workers._POOL.workers:
        try:
            fields = Path(f"/proc/{w.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _timed(fn) -> tuple[float, float]:
    """(wall, CPU of this process and the reward workers) of one call."""
    t0, c0, w0 = time.perf_counter(), time.process_time(), _worker_cpu()
    fn()
    return time.perf_counter() - t0, time.process_time() - c0 + _worker_cpu() - w0


def threshold(work, workers: int, sizes: list[int], repeat: int) -> None:
    """Median wall of one batch of each size in this process and over the (warm) workers."""
    jobs = [rewards._verl_job(*row) for row in zip(*work)]
    floor, reward_workers.MIN_JOBS = reward_workers.MIN_JOBS, 1  # every size to the workers
    try:
        rewards._judge_spread(jobs[:4096], True, workers)  # start and warm the workers
        print(f"one batch, median of {repeat}, {workers} workers warm, load {os.getloadavg()[0]:.1f}")
        for size in sizes:
            parts = [jobs[(rep * size) % len(jobs):][:size] for rep in range(repeat)]
            here = statistics.median(_timed(lambda p=p: rewards._judge_many(p, True))[0] for p in parts)
            spread = statistics.median(_timed(lambda p=p: rewards._judge_spread(p, True, workers))[0] for p in parts)
            print(f"  {size:6,d} completions: in this process {here * 1e3:7.1f} ms, over workers {spread * 1e3:7.1f} ms "
                  f"({here / spread:.2f}x)")
    finally:
        reward_workers.MIN_JOBS = floor


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="an existing quickstart run directory (default: build one)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes of each form; the best is kept")
    parser.add_argument("--chunk", type=int, default=4096, help="completions per compute_score_batch call")
    parser.add_argument("--workers", type=int, default=reward_workers.worker_count(),
                        help="reward worker processes for the last row (default: the cores this process may use)")
    parser.add_argument("--only", choices=FORMS, help="time this form alone, cold (for whole-process timing)")
    parser.add_argument("--threshold", type=int, nargs="*", metavar="SIZE",
                        help="instead: one batch of each SIZE in this process against the warm workers")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run = args.run or _styles().build_quickstart(Path(tmp) / "quickstart", [])
        work = workload(run / "exports")
        n = len(work[1])
        forms = {"loop": lambda: single(*work), "looked-up": lambda: single_resolved(*work),
                 "batch": lambda: batch(*work, args.chunk), "workers": lambda: batch(*work, args.chunk, args.workers)}
        if args.threshold is not None:
            threshold(work, args.workers, args.threshold or [128, 256, 512, 1024, 2048, 4096], max(args.repeat, 7))
            return 0
        if args.only:
            for _ in range(args.repeat):
                wall, cpu = _timed(forms[args.only])
                print(f"{args.only}: {n:,} completions {wall:.3f} s wall, CPU {cpu / n * 1e6:.1f} us a completion")
            return 0
        expected = single(*work)  # warm-up of the loop, and the scores every form must give
        assert batch(*work, args.chunk) == expected, "the batch form disagrees with the single form"
        assert single_resolved(*work) == expected, "the loop with verifiers looked up once disagrees"
        first, first_cpu = _timed(lambda: batch(*work, args.chunk, args.workers))  # starts the workers
        if args.workers > 1:
            assert reward_workers.stats.get("batches"), "the batch did not reach the workers"
        assert batch(*work, args.chunk, args.workers) == expected, "the batch over workers disagrees"
        timings, cpu = {}, {}
        for name, fn in forms.items():
            runs = [_timed(fn) for _ in range(args.repeat)]
            timings[name], cpu[name] = min(r[0] for r in runs), min(r[1] for r in runs)
        print(f"{n:,} completions ({n // 8:,} rows x 8), {len(os.sched_getaffinity(0))} cores, "
              f"load {os.getloadavg()[0]:.1f}, best of {args.repeat}, {run}")
        for name, seconds in timings.items():
            print(f"  {LABELS[name]:26s} {seconds:7.3f} s  {n / seconds:10,.0f} completions/s  "
                  f"CPU {cpu[name] / n * 1e6:6.1f} us a completion")
        for loop in ("loop", "looked-up"):
            for form in ("batch", "workers"):
                print(f"  {LABELS[form]} / {LABELS[loop]}: {timings[loop] / timings[form]:.1f}x wall clock, "
                      f"{cpu[loop] / cpu[form]:.1f}x CPU time")
        print(f"  worker start-up, once a process: {reward_workers.stats.get('startup_seconds', 0.0):.2f} s to "
              f"{reward_workers.stats.get('started', 0)} ready workers; the first batch over them {first:.3f} s "
              f"({first_cpu:.2f} s CPU: each worker sets its verifiers up)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
