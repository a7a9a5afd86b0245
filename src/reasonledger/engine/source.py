"""Where records come from. A source splits itself into row ranges so workers can read in parallel."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel

from reasonledger.engine.step import NoParams
from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow
from reasonledger.registry import Registry, registry


class Source:
    """Base class: `count()` rows, `read(start, stop)` them back deterministically, `describe()` them."""

    type: ClassVar[str]
    Params: ClassVar[type[BaseModel]] = NoParams

    def __init__(self, base_dir: Path, seed: int, **params: Any) -> None:
        self.base_dir = base_dir
        self.seed = seed
        self.params = self.Params(**params)

    def count(self) -> int:
        raise NotImplementedError

    def read(self, start: int, stop: int) -> Iterator[Record | BadRow]:
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """Provenance of this source for the run log and card: dataset, revision, licence, versions."""
        return {"type": self.type, **self.params.model_dump(mode="json")}

    def shards(self, shard_rows: int) -> list[tuple[int, int]]:
        total = self.count()
        return [(start, min(start + shard_rows, total)) for start in range(0, total, shard_rows)] or [(0, 0)]


def pin_verifier_version(record: Record) -> Record:
    """Stamp the verifier contract with the version of the registered verifier, if it names none,
    so every record says which verifier version its task was built against."""
    spec = record.task.verifier
    if spec is None or spec.version is not None:
        return record
    try:  # by name only: the verifiers sit above the engine
        version = registry("verifier")[spec.name].version
    except KeyError:
        return record
    task = record.task.model_copy(update={"verifier": spec.model_copy(update={"version": version})})
    return record.model_copy(update={"task": task})


# Filled by the `reasonledger.plugins` entry points (reasonledger's own: reasonledger/builtins.py).
SOURCES: Registry[type[Source]] = registry("source type")


def register_source(cls: type[Source]) -> type[Source]:
    """Class decorator: make a source available to recipes as `type: <cls.type>`."""
    SOURCES.add(cls.type, cls)
    return cls


def source_class(name: str) -> type[Source]:
    return SOURCES[name]
