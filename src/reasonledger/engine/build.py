"""Run a recipe into a run directory, resumably and deterministically, up to a `BuildResult`.

Every shard of every stage is written atomically with a done marker, so a killed build resumes
at the first unfinished shard; `data/`, `rejected/` and `exports/` are then rewritten from the
stage outputs in shard order, which makes them byte-identical whatever was killed and when.
What is made of a finished build (the release card) is the caller's `finish`, run under the
run directory's lock before the run log's `run_end`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from reasonledger.engine.accounting import Ledger, SourceReads
from reasonledger.engine.accounting import check as check_losses
from reasonledger.engine.executors import Executor, make_executor
from reasonledger.engine.outputs import export
from reasonledger.engine.pipeline import run_steps, stages, step_label
from reasonledger.engine.recipe import Recipe, RecipeError, instantiate, load_recipe
from reasonledger.engine.rundir import RunDir, check_apart, claim_run_dir, clear_run_dir, hold_lock
from reasonledger.engine.runlog import RunLog
from reasonledger.engine.source import pin_verifier_version
from reasonledger.engine.step import Rejection, Step, StepContext, StepStats
from reasonledger.engine.worker import close_worker, load, ready_steps
from reasonledger.records.arrow import records_to_table
from reasonledger.records.model import Record
from reasonledger.records.parquet import read_parquet_records, write_json_atomic, write_parquet_shards, write_table_atomic
from reasonledger.records.quarantine import BadRow, Quarantine

@dataclass(frozen=True)
class ShardTask:
    stage: int
    shard: int
    source: int
    start: int
    stop: int


@dataclass
class BuildResult:
    run_dir: Path
    recipe: Recipe
    records: int
    rejected: int
    quarantined: int
    outputs: dict[str, str] = field(default_factory=dict)
    # The ledger's summary: reads, releases and losses per source, and the failures it found.
    accounting: dict[str, Any] = field(default_factory=dict)


Finish = Callable[[BuildResult], None]


def _rejected_records(rejections: list[Rejection], stage: int) -> list[Record]:
    return [r.record.model_copy(update={"meta": {**r.record.meta, "rejection": {
        "stage": stage, "step": r.step, "reason": r.reason, "detail": r.detail}}}) for r in rejections]


def _write_shard(out: Path, stage: int, shard: int, kept: list[Record], rejections: list[Rejection],
                 reads: SourceReads, stats: dict[str, StepStats], bad: list[BadRow],
                 records_in: int) -> dict[str, Any]:
    """Write one shard's outputs, then its marker last: the marker's presence means the shard is done.
    The marker holds what the shard read from each source (for the ledger) and each step's stats."""
    write_table_atomic(records_to_table(kept), out / f"shard-{shard:05d}.parquet")
    write_table_atomic(records_to_table(_rejected_records(rejections, stage)), out / f"shard-{shard:05d}.rejected.parquet")
    shutil.rmtree(out / f"shard-{shard:05d}.quarantine", ignore_errors=True)  # a killed attempt's rows, not twice
    if bad:
        with Quarantine(out / f"shard-{shard:05d}.quarantine") as quarantine:
            for row in bad:
                quarantine.add(row)
    marker = {"shard": shard, "in": records_in, "out": len(kept), "quarantined": len(bad),
              "sources": reads.to_json(),
              "steps": {label: s.to_json() for label, s in sorted(stats.items())}}
    write_json_atomic(marker, out / f"shard-{shard:05d}.json")
    return marker


def run_record_shard(payload: tuple[dict[str, Any], str, str, list[int], ShardTask]) -> dict[str, Any]:
    """Worker entry point: read one shard (from its source or the previous stage), run the steps."""
    recipe_json, base_dir, run_dir, step_indices, task = payload
    loaded = load(recipe_json, base_dir, run_dir)
    sources = loaded.sources
    run = RunDir(Path(run_dir))
    ctx = StepContext(stage=f"stage-{task.stage:02d}", seed=recipe_json["seed"], run=run)
    bad: list[BadRow] = []
    reads = SourceReads()  # per-source accounting
    if task.stage == 0:
        def inputs() -> Iterator[Record]:
            for item in sources[task.source].read(task.start, task.stop):
                if isinstance(item, BadRow):
                    bad.append(item)
                    reads.add_quarantined(task.source, item)
                else:
                    record = pin_verifier_version(item)
                    reads.add_read(task.source, record)
                    yield record
    else:
        previous = run.stage(task.stage - 1) / f"shard-{task.shard:05d}.parquet"

        def inputs() -> Iterator[Record]:
            yield from read_parquet_records(previous)
    counted = Counter[str]()

    def tally(records: Iterator[Record]) -> Iterator[Record]:
        for record in records:
            counted["in"] += 1
            yield record
    chosen = ready_steps(loaded, step_indices, ctx)
    kept = list(run_steps(tally(inputs()), chosen, ctx, task.shard))
    return _write_shard(run.stage(task.stage), task.stage, task.shard, kept, ctx.rejected,
                        reads, ctx.stats, bad, counted["in"])


class Build:
    def __init__(self, recipe: Recipe, base_dir: Path, run_dir: Path, executor: Executor,
                 show_progress: bool = True) -> None:
        self.recipe, self.base_dir, self.run_dir, self.executor = recipe, base_dir, run_dir, executor
        self.paths = RunDir(run_dir)
        self.sources, self.steps = instantiate(recipe, base_dir)
        self.runlog = RunLog(run_dir)
        self.show_progress = show_progress

    @cached_property
    def described(self) -> list[dict[str, Any]]:
        """The sources' provenance, once a build: a file source's describe hashes every file it reads."""
        return [s.describe() for s in self.sources]

    def _prepare(self, force: bool) -> None:
        resolved = self.paths.recipe
        if force:
            clear_run_dir(self.run_dir)
        if resolved.exists():
            previous = json.loads(resolved.read_text())
            if previous["digest"] != self.recipe.digest:
                raise RecipeError(f"{self.run_dir} holds a run of a different recipe (digest {previous['digest']}, "
                                  f"now {self.recipe.digest}); use --force to start over or choose another --out")
            self.runlog.append("resume", recipe_digest=self.recipe.digest)
            return
        self.run_dir.mkdir(parents=True, exist_ok=True)
        write_json_atomic({"digest": self.recipe.digest, "base_dir": str(self.base_dir),
                           "recipe": self.recipe.model_dump(mode="json")}, resolved)
        self.runlog.append("run_start", recipe=self.recipe.name, recipe_digest=self.recipe.digest,
                           seed=self.recipe.seed, executor=self.executor.name,
                           sources=self.described)

    def _tasks(self) -> list[ShardTask]:
        tasks = []
        for source_index, source in enumerate(self.sources):
            for start, stop in source.shards(self.recipe.shard_rows):
                tasks.append(ShardTask(0, len(tasks), source_index, start, stop))
        return tasks

    def _inputs(self) -> list[Path]:
        """What the build reads and the run directory must never hold: the recipe's folder, the sources' files."""
        return [self.base_dir, *(f for source in self.sources for f in getattr(source, "files", []))]

    def run(self, force: bool = False, finish: Finish | None = None) -> BuildResult:
        """Build while holding the run directory's lock: one build per run directory at a time.
        `finish` sees the result before the losses are checked (it may raise with a better pointer)."""
        check_apart(self.run_dir, self._inputs(), inside_ok=True)
        claim_run_dir(self.run_dir, force=force)
        with hold_lock(self.run_dir):
            try:
                return self._run(force, finish)
            finally:
                close_worker()  # the steps set up for shards run inline, in this process

    def _run(self, force: bool, finish: Finish | None) -> BuildResult:
        self._prepare(force)
        tasks = self._tasks()
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      disable=not self.show_progress, transient=False) as progress:
            for stage, (scope, stage_steps) in enumerate(stages(self.steps)):
                if (self.paths.stage(stage) / "done.json").exists():
                    continue
                names = ", ".join(step.name for _, step in stage_steps) or "read sources"
                bar = progress.add_task(f"stage {stage}: {names}", total=len(tasks))
                started = time.perf_counter()
                if scope == "record":
                    markers = self._run_record_stage(stage, stage_steps, tasks, lambda bar=bar: progress.advance(bar))
                else:
                    markers = self._run_global_stage(stage, stage_steps, tasks, lambda bar=bar: progress.advance(bar))
                self._log_stage(stage, stage_steps, markers, time.perf_counter() - started)
        result = self._finalize(tasks)
        if finish is not None:
            finish(result)
        check_losses(result.accounting)
        self.runlog.append("run_end", records=result.records)
        return result

    def _run_record_stage(self, stage: int, stage_steps: list[tuple[int, Step]], tasks: list[ShardTask],
                          advance: Any) -> list[dict[str, Any]]:
        out = self.paths.stage(stage)
        out.mkdir(parents=True, exist_ok=True)
        markers: dict[int, dict[str, Any]] = {}
        recipe_json, step_indices = self.recipe.model_dump(mode="json"), [i for i, _ in stage_steps]
        todo = []
        for task in tasks:
            marker = out / f"shard-{task.shard:05d}.json"
            if marker.exists():
                markers[task.shard] = json.loads(marker.read_text())
                advance()
            else:
                todo.append((recipe_json, str(self.base_dir), str(self.run_dir), step_indices,
                             replace(task, stage=stage)))
        for marker in self.executor.map_unordered(run_record_shard, todo):
            markers[marker["shard"]] = marker
            advance()
        return [markers[t.shard] for t in tasks]

    def _run_global_stage(self, stage: int, stage_steps: list[tuple[int, Step]], tasks: list[ShardTask],
                          advance: Any) -> list[dict[str, Any]]:
        """One process sees every record in shard order; outputs keep the shard they arrived in."""
        out = self.paths.stage(stage)
        if out.exists():
            shutil.rmtree(out)  # a global stage is redone whole: its state spans every shard
        out.mkdir(parents=True)
        ctx = StepContext(stage=f"stage-{stage:02d}", seed=self.recipe.seed, run=self.paths)
        for index, step in stage_steps:
            step.setup(ctx.for_step(step_label(index, step), ctx.seed))
        try:
            return self._global_pass(stage, stage_steps, tasks, advance, ctx)
        finally:
            for _, step in stage_steps:
                step.close()

    def _global_pass(self, stage: int, stage_steps: list[tuple[int, Step]], tasks: list[ShardTask],
                     advance: Any, ctx: StepContext) -> list[dict[str, Any]]:
        out, previous = self.paths.stage(stage), self.paths.stage(stage - 1)
        kept: dict[int, list[Record]] = {t.shard: [] for t in tasks}
        rejected: dict[int, list[Rejection]] = {t.shard: [] for t in tasks}
        records_in: Counter[int] = Counter()
        state = {"shard": tasks[0].shard}
        markers: list[dict[str, Any]] = []

        def claim_rejections() -> None:
            """Drops made since the last input was pulled belong to the shard of that input."""
            rejected[state["shard"]].extend(ctx.rejected)
            ctx.rejected.clear()

        def flush(until: int) -> None:
            """Write the shards before position `until` and free them: outputs go to the shard of the
            latest input and inputs come in shard order, so nothing can reach those shards any more."""
            for task in tasks[len(markers):until]:
                markers.append(_write_shard(out, stage, task.shard, kept.pop(task.shard), rejected.pop(task.shard),
                                            SourceReads(), {}, [], records_in[task.shard]))
                advance()

        def inputs() -> Iterator[Record]:
            for position, task in enumerate(tasks):
                for record in read_parquet_records(previous / f"shard-{task.shard:05d}.parquet"):
                    claim_rejections()
                    if state["shard"] != task.shard:
                        flush(position)
                        state["shard"] = task.shard
                    records_in[task.shard] += 1
                    yield record

        for record in run_steps(inputs(), stage_steps, ctx, "all"):
            kept[state["shard"]].append(record)
        claim_rejections()
        flush(len(tasks))
        # a global stage's stats span all shards: the first shard's marker holds them
        markers[0]["steps"] = {label: s.to_json() for label, s in sorted(ctx.stats.items())}
        write_json_atomic(markers[0], out / f"shard-{tasks[0].shard:05d}.json")
        return markers

    def _log_stage(self, stage: int, stage_steps: list[tuple[int, Step]], markers: list[dict[str, Any]],
                   seconds: float) -> None:
        totals: dict[str, StepStats] = {}
        for marker in markers:
            for label, value in marker.get("steps", {}).items():
                totals.setdefault(label, StepStats()).add(StepStats.from_json(value))
        funnel = []
        for index, step in stage_steps:
            label = step_label(index, step)
            stats = totals.get(label, StepStats()).to_json()
            funnel.append({
                "step": step.name, "label": label, "params": step.params.model_dump(mode="json"),
                "params_hash": step.params_hash, "versions": step.versions(),
                "in": stats["in"], "out": stats["out"], "dropped": stats["dropped"], "counters": stats["counts"],
                "by": stats["by"], "set_up": stats["set_up"],
            })
        self.runlog.append(
            "stage", stage=f"stage-{stage:02d}", seed=self.recipe.seed, seconds=round(seconds, 3),
            records_in=sum(m["in"] for m in markers), records_out=sum(m["out"] for m in markers),
            quarantined=sum(m.get("quarantined", 0) for m in markers), steps=funnel,
            sources=self.described if stage == 0 else None,
        )
        write_json_atomic({"stage": stage, "shards": len(markers)}, self.paths.stage(stage) / "done.json")

    def _finalize(self, tasks: list[ShardTask]) -> BuildResult:
        n_stages = len(stages(self.steps))
        last = self.paths.stage(n_stages - 1)

        def final_records() -> Iterator[Record]:
            for task in tasks:
                yield from read_parquet_records(last / f"shard-{task.shard:05d}.parquet")

        def rejected_records() -> Iterator[Record]:
            for stage in range(n_stages):
                for task in tasks:
                    yield from read_parquet_records(self.paths.stage(stage) / f"shard-{task.shard:05d}.rejected.parquet")

        ledger = Ledger.from_markers(self.paths.stage(0) / f"shard-{t.shard:05d}.json" for t in tasks)
        manifest = write_parquet_shards(ledger.count_released(final_records()), self.paths.data, self.recipe.shard_rows)
        rejected = write_parquet_shards(ledger.count_rejected(rejected_records()), self.paths.rejected,
                                        self.recipe.shard_rows)
        quarantined = self._merge_quarantine(tasks)
        accounting = ledger.summary(self.described, self.recipe.max_loss, self.recipe.allow_loss)
        self.runlog.append("accounting", **accounting)
        outputs = {} if accounting["failures"] else {  # a failed build exports nothing (no empty, unreadable file)
            spec.name: str(export(spec.name, self.paths.data, self.paths.exports, spec.options))
            for spec in self.recipe.outputs}
        self.runlog.append("outputs", records=manifest["rows"], rejected=rejected["rows"], quarantined=quarantined,
                           exports=sorted(outputs),
                           prompt_format={s.name: s.prompt_format() for s in self.recipe.outputs if s.prompt_format()})
        return BuildResult(self.run_dir, self.recipe, manifest["rows"], rejected["rows"], quarantined, outputs,
                           accounting)

    def _merge_quarantine(self, tasks: list[ShardTask]) -> int:
        """The shards' quarantine entries in shard order, and the blobs holding their large raw rows
        (entries name them relative to the quarantine file, so they move with it)."""
        target = self.paths.quarantine
        blobs = target.parent / "blobs"
        lines = []
        for task in tasks:
            part = self.paths.stage(0) / f"shard-{task.shard:05d}.quarantine"
            if (part / "quarantine.jsonl").exists():
                lines.extend((part / "quarantine.jsonl").read_text(encoding="utf-8").splitlines())
            for blob in sorted((part / "blobs").glob("*.bin")):
                blobs.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(blob, blobs / blob.name)
        if lines:
            target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        elif target.exists():
            target.unlink()
        return len(lines)


def build(recipe_path: Path | str, out: Path | str, overrides: list[str] | tuple[str, ...] = (),
          force: bool = False, executor: str = "local", workers: int | None = None,
          show_progress: bool = True, finish: Finish | None = None, **executor_options: Any) -> BuildResult:
    recipe_path = Path(recipe_path)
    recipe = load_recipe(recipe_path, overrides)
    runner = make_executor(executor, workers or recipe.workers, **executor_options)
    try:
        return Build(recipe, recipe_path.resolve().parent, Path(out), runner, show_progress).run(force, finish)
    finally:
        runner.close()


__all__ = ["Build", "BuildResult", "Finish", "build", "run_record_shard"]
