"""A step maps an iterator of records to an iterator of records, counting and explaining every drop."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from reasonledger.engine.recipe_paths import check_inside
from reasonledger.engine.rundir import RunDir, as_run
from reasonledger.records.model import Record, json_digest
from reasonledger.registry import Registry, registry


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass
class Rejection:
    record: Record
    step: str
    reason: str
    detail: str | None = None


@dataclass
class StepStats:
    """What one step did: records in and out, drops by reason, the step's own counts, those counts it
    breaks down along a named dimension (`by["relation"]["same_problem"]`, `by["tokens"]["prompt"]`), and
    what its setup built in the worker processes (`set_up`: that depends on where it ran, not on the
    data, so it is kept apart from the counts the card reads)."""

    records_in: int = 0
    records_out: int = 0
    dropped: Counter[str] = field(default_factory=Counter)
    counts: Counter[str] = field(default_factory=Counter)
    set_up: Counter[str] = field(default_factory=Counter)
    by: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, other: "StepStats") -> None:
        self.records_in += other.records_in
        self.records_out += other.records_out
        self.dropped.update(other.dropped)
        self.counts.update(other.counts)
        self.set_up.update(other.set_up)
        for dimension, counts in other.by.items():
            self.by.setdefault(dimension, Counter()).update(counts)

    def to_json(self) -> dict[str, Any]:
        return {"in": self.records_in, "out": self.records_out, "dropped": dict(sorted(self.dropped.items())),
                "counts": dict(sorted(self.counts.items())), "set_up": dict(sorted(self.set_up.items())),
                "by": {dimension: dict(sorted(counts.items())) for dimension, counts in sorted(self.by.items())}}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> "StepStats":
        return cls(value["in"], value["out"], Counter(value["dropped"]), Counter(value["counts"]),
                   Counter(value["set_up"]), {d: Counter(c) for d, c in value["by"].items()})


def flat_counts(counts: Mapping[str, float], by: Mapping[str, Mapping[str, float]]) -> dict[str, float]:
    """A step's counts under one name each, `dimension.key` for a broken-down one: how the card and the
    reports spell a step's counters."""
    flat = dict(counts)
    for dimension, broken_down in by.items():
        flat.update({f"{dimension}.{key}": n for key, n in broken_down.items()})
    return dict(sorted(flat.items()))


@dataclass
class StepContext:
    """What a step may touch while it runs: its stats, the rejected list, its seed and the run's paths
    (`run`, None when a step runs outside a build; a folder given as a path is taken as a run's root).

    Each step gets its own view (`for_step`) sharing the stats (by step label) and the rejected list,
    because chained generators interleave and a drop must be charged to the step that made it.
    """

    stage: str
    seed: int
    run: RunDir | None = None
    step: str = ""
    rejected: list[Rejection] = field(default_factory=list)
    stats: dict[str, StepStats] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.run = as_run(self.run)

    def for_step(self, step: str, seed: int) -> "StepContext":
        return StepContext(self.stage, seed, self.run, step, self.rejected, self.stats)

    @property
    def mine(self) -> StepStats:
        """This step's stats."""
        return self.stats.setdefault(self.step, StepStats())

    def drop(self, record: Record, reason: str, detail: str | None = None) -> None:
        """Drop a record for a reason; it is kept in the run's rejected store, never lost."""
        self.rejected.append(Rejection(record, self.step, reason, detail))
        self.mine.dropped[reason] += 1

    def count(self, name: str, n: float = 1) -> None:
        self.mine.counts[name] += n

    def tally(self, dimension: str, key: str, n: float = 1) -> None:
        """Count `key` along `dimension`: the relation a hit has, the benchmark a drop came from."""
        self.mine.by.setdefault(dimension, Counter())[key] += n

    def count_setup(self, built: str) -> None:
        """Count what `Step.setup` built in this worker process (a verifier pool, a generator client)."""
        self.mine.set_up[built] += 1


class Step:
    """Base class. `scope = "record"` steps run shard by shard in any worker; `"global"` steps see
    every record in order in one process (dedup, for example). A step never knows where it runs.

    Lifecycle: `setup(ctx)` once per worker process before the step's first shard there, `process`
    for each shard (it only streams), `close()` when the worker is done with the step."""

    name: ClassVar[str]
    scope: ClassVar[Literal["record", "global"]] = "record"
    Params: ClassVar[type[BaseModel]] = NoParams
    # The recipe's folder (set by `instantiate`): relative file params are read from there.
    base_dir: Path | None = None

    def __init__(self, **params: Any) -> None:
        self.params = self.Params(**params)

    def resolve(self, path: str, param: str = "path") -> Path:
        """A file param as a path: relative ones are relative to the recipe's folder (or the cwd), and
        one outside the recipe's folder is refused unless the user allows it (see `check_inside`)."""
        candidate = Path(path)
        if self.base_dir is None:
            return candidate
        resolved = candidate if candidate.is_absolute() else self.base_dir / candidate
        check_inside(self.base_dir, [resolved], param)
        return resolved

    @property
    def params_hash(self) -> str:
        payload = {"step": self.name, "params": self.params.model_dump(mode="json")}
        return json_digest(payload)

    def check_at_load(self) -> None:
        """Checks that need the recipe's folder (files the params name), run when the recipe loads so
        that a bad path fails before any work starts. Raises ValueError saying which param."""

    def versions(self) -> dict[str, str]:
        """Versions of what this step depends on (verifiers, models), for the run log."""
        return {}

    def setup(self, ctx: StepContext) -> None:
        """Build what the step keeps for its life in this worker process (verifier pools, generator
        clients, caches); count what was built in `ctx`, so the run log shows it."""

    def close(self) -> None:
        """Release what `setup` built (worker processes, sandboxes, connections)."""

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        raise NotImplementedError


# Filled by the `reasonledger.plugins` entry points (reasonledger's own: reasonledger/builtins.py).
STEPS: Registry[type[Step]] = registry("step type")


def register_step(cls: type[Step]) -> type[Step]:
    """Class decorator: make a step available to recipes as `type: <cls.name>`."""
    STEPS.add(cls.name, cls)
    return cls


def step_class(name: str) -> type[Step]:
    return STEPS[name]


def known_steps() -> list[str]:
    return STEPS.names()
