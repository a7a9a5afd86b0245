"""The `file` source: local files read through an importer, one file or a glob of them.

Datasets often come as many files (`train-00000-of-00042.parquet`, ...). A glob reads them in
sorted order as one source, and no shard crosses a file, so each shard reads one file from its
own range: with many files, workers read different files and skip little.

Within a file a shard is a row range, and row r of file i is numbered i * FILE_STRIDE + r, so a
worker finds its shard's file without counting rows. The importer a shard read to its end stays
open in the process: a worker's shards come in file order, so its next shard skips only the rows
other workers took (those are still parsed; the file is not parsed again from its start for every
shard, which made a build quadratic in the number of shards).
"""

from __future__ import annotations

import glob
import inspect
import json
from collections.abc import Iterator
from functools import cached_property
from itertools import islice, takewhile
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from reasonledger.engine.recipe_paths import check_inside
from reasonledger.engine.source import Source, register_source
from reasonledger.formats.importers import IMPORTERS, import_file
from reasonledger.records.model import LineageEvent, Record
from reasonledger.records.quarantine import BadRow

_OPEN_READERS: dict[tuple, tuple[int, Iterator[Record | BadRow]]] = {}
_MAX_OPEN_READERS = 4
FILE_STRIDE = 1 << 40  # rows per file in the source's row numbering (more than any file holds)


class FileParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    path: str = Field(description="a file, or a glob (`data/train-*.parquet`) read in sorted order")
    format: str = "records"
    options: dict[str, Any] = Field(default_factory=dict)


@register_source
class FileSource(Source):
    """Local files read through an importer (`format`), with the importer's `options`."""

    type = "file"
    Params = FileParams

    def __init__(self, base_dir: Path, seed: int, **params: Any) -> None:
        super().__init__(base_dir, seed, **params)
        if self.params.format not in IMPORTERS:
            raise ValueError(f"format: unknown {self.params.format!r}; known: {', '.join(sorted(IMPORTERS))}")
        check_options(self.params.format, self.params.options)
        fixed = Path(*takewhile(lambda part: not glob.has_magic(part), self._pattern.parts))  # a glob's folder
        check_inside(self.base_dir, [fixed, *self.files], "path")
        if not self.files:
            raise ValueError(f"path: no such file {self._pattern}" if not glob.has_magic(self.params.path)
                             else f"path: no file matches {self._pattern}")

    @property
    def _pattern(self) -> Path:
        path = Path(self.params.path)
        return path if path.is_absolute() else self.base_dir / path

    @cached_property
    def files(self) -> list[Path]:
        if glob.has_magic(self.params.path):
            return [Path(p) for p in sorted(glob.glob(str(self._pattern))) if Path(p).is_file()]
        return [self._pattern] if self._pattern.is_file() else []

    @cached_property
    def _rows(self) -> list[int]:
        return [sum(1 for _ in self._items(file)) for file in self.files]

    def count(self) -> int:
        return sum(self._rows)

    def shards(self, shard_rows: int) -> list[tuple[int, int]]:
        """Row ranges of at most `shard_rows`, none crossing from one file into the next. Row r of
        file i is numbered i * FILE_STRIDE + r, so a worker finds a shard's file without counting rows."""
        ranges = [(i * FILE_STRIDE + start, i * FILE_STRIDE + min(start + shard_rows, rows))
                  for i, rows in enumerate(self._rows) for start in range(0, rows, shard_rows)]
        return ranges or [(0, 0)]

    def read(self, start: int, stop: int) -> Iterator[Record | BadRow]:
        event = LineageEvent(stage="source", step=f"file:{self.params.format}")
        for item in self._read_files(start, stop):
            if isinstance(item, Record):
                item = item.model_copy(update={"lineage": item.lineage.model_copy(
                    update={"events": [*item.lineage.events, event]})})
            yield item

    def _read_files(self, start: int, stop: int) -> Iterator[Record | BadRow]:
        for index in range(start // FILE_STRIDE, min(len(self.files), -(-stop // FILE_STRIDE))):
            first = index * FILE_STRIDE
            yield from self._read_file(self.files[index], max(start - first, 0), min(stop - first, FILE_STRIDE))

    def _items(self, file: Path) -> Iterator[Record | BadRow]:
        return import_file(file, self.params.format, **self.params.options)

    def _key(self, file: Path) -> tuple:
        stat = file.stat()
        return (str(file), self.params.format, json.dumps(self.params.options, sort_keys=True, default=str),
                stat.st_mtime_ns, stat.st_size)

    def _read_file(self, file: Path, start: int, stop: int) -> Iterator[Record | BadRow]:
        key = self._key(file)
        position, items = _OPEN_READERS.pop(key, (0, None))
        if items is None or position > start:
            position, items = 0, self._items(file)
        for _ in islice(items, start - position):
            pass
        yield from islice(items, stop - start)
        _keep_open(key, stop, items)

    def describe(self) -> dict[str, Any]:
        from reasonledger.records.parquet import sha256_file

        found = super().describe()
        if not glob.has_magic(self.params.path):
            return {**found, "sha256": sha256_file(self.files[0])}
        return {**found, "files": [{"path": str(f.relative_to(self.base_dir)) if f.is_relative_to(self.base_dir) else str(f),
                                    "rows": rows, "sha256": sha256_file(f)} for f, rows in zip(self.files, self._rows)]}


def check_options(fmt: str, options: dict[str, Any]) -> None:
    """The importer's options, checked when the recipe loads: a misspelt one would otherwise fail at
    the first read, and a misspelt verifier name would leave every row without a verifier."""
    takes = [name for name in [*inspect.signature(IMPORTERS[fmt]).parameters, *inspect.signature(import_file).parameters]
             if name not in ("path", "fmt", "options")]
    unknown = sorted(set(options) - set(takes))
    if unknown:
        raise ValueError(f"options.{unknown[0]}: the {fmt} importer has no such option; it takes: {', '.join(takes)}")
    if options.get("verifier") is not None:
        from reasonledger.verifiers import available_verifiers, verifier_class

        try:
            verifier_class(options["verifier"])
        except KeyError:
            raise ValueError(f"options.verifier: unknown verifier {options['verifier']!r}; known: "
                             f"{', '.join(available_verifiers())}") from None


def _keep_open(key: tuple, position: int, items: Iterator[Record | BadRow]) -> None:
    _OPEN_READERS[key] = (position, items)
    while len(_OPEN_READERS) > _MAX_OPEN_READERS:
        _, oldest = _OPEN_READERS.pop(next(iter(_OPEN_READERS)))
        close = getattr(oldest, "close", None)
        if close:
            close()
