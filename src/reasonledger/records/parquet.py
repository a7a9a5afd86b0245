"""Parquet in shards with a manifest of row counts and sha256 per shard."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reasonledger.records.arrow import RECORD_SCHEMA, records_to_table, row_to_record
from reasonledger.records.canonical import loads_row
from reasonledger.records.jsonl import DEFAULT_MAX_LINE_BYTES, parse_rows, raw_json
from reasonledger.records.model import SCHEMA_VERSION, Record
from reasonledger.records.quarantine import BadRow, Spill

MANIFEST = "manifest.json"
DEFAULT_SHARD_ROWS = 1000
# A cell is bounded like a JSONL line.
DEFAULT_MAX_CELL_BYTES = DEFAULT_MAX_LINE_BYTES
# A column chunk larger than this is decoded only when no cell in it need be over the limit:
# decoding costs two to three times the chunk (pages, dictionary, Arrow copy).
MAX_CHUNK_BYTES = 256 * 1024 * 1024
MAX_RATIO = 100
# Fixed writer settings: the same records always give the same bytes.
_WRITE_OPTIONS: dict[str, Any] = {"compression": "zstd", "use_dictionary": True, "write_statistics": True}


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_table_atomic(table: pa.Table, path: Path) -> None:
    """Write to a temporary name, then rename: a killed write never leaves a half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    pq.write_table(table, tmp, **_WRITE_OPTIONS)
    os.replace(tmp, path)


def write_rows_atomic(rows: Iterable[dict[str, Any]], schema: pa.Schema, path: Path, batch_rows: int = 8192) -> int:
    """Stream plain rows to one Parquet file in fixed-size row groups (bounded memory, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with pq.ParquetWriter(tmp, schema, **_WRITE_OPTIONS) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= batch_rows:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch.clear()
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
    os.replace(tmp, path)
    return count


def write_json_atomic(value: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def write_manifest(directory: Path, files: list[Path]) -> dict[str, Any]:
    """Describe the shards of `directory`; readers and `reaudit` check data against it."""
    entries = []
    for shard in files:
        entries.append({
            "file": shard.name,
            "rows": pq.ParquetFile(shard).metadata.num_rows,
            "sha256": sha256_file(shard),
        })
    manifest = {
        "schema_version": SCHEMA_VERSION,
        "format": "parquet",
        "rows": sum(e["rows"] for e in entries),
        "shards": entries,
    }
    write_json_atomic(manifest, directory / MANIFEST)
    return manifest


def write_parquet_shards(records: Iterable[Record], directory: Path | str,
                         shard_rows: int = DEFAULT_SHARD_ROWS, prefix: str = "part") -> dict[str, Any]:
    """Write records as `prefix-00000.parquet`, ... plus `manifest.json`; returns the manifest."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    for old in directory.glob(f"{prefix}-*.parquet"):
        old.unlink()
    files: list[Path] = []
    batch: list[Record] = []

    def flush() -> None:
        shard = directory / f"{prefix}-{len(files):05d}.parquet"
        write_table_atomic(records_to_table(batch), shard)
        files.append(shard)
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= shard_rows:
            flush()
    if batch or not files:
        flush()
    return write_manifest(directory, files)


def parquet_files(path: Path | str) -> list[Path]:
    """The shards of a dataset: a single file, or every .parquet in a directory in manifest order.

    A manifest may only name files inside the directory (a `../` or absolute name is refused)."""
    path = Path(path)
    if path.is_file():
        return [path]
    manifest = path / MANIFEST
    if manifest.exists():
        try:
            names = [e["file"] for e in json.loads(manifest.read_text(encoding="utf-8"))["shards"]]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{manifest}: not a reasonledger manifest ({type(exc).__name__}: {exc}); "
                             "delete it to read every .parquet in the directory") from None
        return [inside(path, name, manifest) for name in names]
    return sorted(path.glob("*.parquet"))


def inside(directory: Path, name: object, listed_in: Path) -> Path:
    """`directory/name` when `name` is a relative name that stays inside `directory` (symlinks resolved)."""
    if (not isinstance(name, str) or not name or Path(name).is_absolute() or ".." in Path(name).parts
            or not (directory / name).resolve().is_relative_to(directory.resolve())):
        raise ValueError(f"{listed_in}: names {name!r}, which is not a file inside {directory}; refusing to read it")
    return directory / name


def is_record_table(schema: pa.Schema) -> bool:
    """Record Parquet of either layout: behaviour as typed columns (2) or as JSON text (1)."""
    names = set(schema.names)
    return {"id", "kind", "verdicts"} <= names and bool({"rollouts", "behaviour_json"} & names)


def parquet_rows(path: Path, max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES, batch_rows: int = 128,
                 require: Callable[[pa.Schema], None] | None = None) -> Iterator[tuple[int, dict[str, Any]] | BadRow]:
    """(row number, row) for each row of one Parquet file, or a BadRow; never raises for the file's content.

    Rows are read a small batch at a time. A cell over `max_cell_bytes` makes its row a BadRow (the
    cell spilled to disk, the other cells kept as raw). A row group whose column chunk certainly
    holds such a cell and is too large to decode cheaply (see `_too_big_to_read`) is not decoded:
    its rows are BadRows saying so. `require(schema)` may raise ValueError to refuse the file."""
    name = str(path)
    try:
        source = pq.ParquetFile(path, buffer_size=1 << 20, pre_buffer=False)
    except (OSError, ValueError, pa.ArrowException) as exc:
        yield BadRow(name, 0, f"not a readable Parquet file: {exc}")
        return
    if require is not None:
        require(source.schema_arrow)
    number = 0
    for group in range(source.metadata.num_row_groups):
        meta = source.metadata.row_group(group)
        refused = _too_big_to_read(meta, max_cell_bytes)
        if refused:
            for _ in range(meta.num_rows):
                number += 1
                yield BadRow(name, number, f"not read: {refused}")
            continue
        try:
            for batch in source.iter_batches(batch_size=batch_rows, row_groups=[group], use_threads=False):
                yield from _batch_rows(batch, name, number, max_cell_bytes)
                number += batch.num_rows
        except (OSError, ValueError, pa.ArrowException) as exc:
            yield BadRow(name, number + 1, f"could not read row group {group} from this row on: {exc}")


def _too_big_to_read(meta: Any, max_cell_bytes: int) -> str | None:
    """Why a row group is not decoded, if it is not: a column chunk over MAX_CHUNK_BYTES that certainly
    holds an oversized cell (its average cell is over the limit) or expands more than MAX_RATIO times
    (a decompression bomb: honest text compresses a few times, not a thousand)."""
    rows = max(meta.num_rows, 1)
    for i in range(meta.num_columns):
        column = meta.column(i)
        size, packed = column.total_uncompressed_size, max(column.total_compressed_size, 1)
        if size <= MAX_CHUNK_BYTES:
            continue
        if size / rows > max_cell_bytes:
            why = f"so a cell is over the {max_cell_bytes:,}-byte limit"
        elif size > MAX_RATIO * packed:
            why = f"expanded from {packed:,} bytes ({size // packed:,} to 1: a decompression bomb?)"
        else:
            continue
        return (f"column {column.path_in_schema!r} holds {size:,} bytes in {meta.num_rows:,} row(s), {why}; the "
                "row group is too large to decode safely: write the file with smaller cells or row groups")
    return None


def _batch_rows(batch: pa.RecordBatch, name: str, before: int,
                max_cell_bytes: int) -> Iterator[tuple[int, dict[str, Any]] | BadRow]:
    oversized: dict[int, list[tuple[str, int]]] = {}
    if batch.nbytes > max_cell_bytes:
        for column_name, column in zip(batch.schema.names, batch.columns):
            if column.nbytes > max_cell_bytes:
                for i in range(batch.num_rows):
                    size = column.slice(i, 1).nbytes
                    if size > max_cell_bytes:
                        oversized.setdefault(i, []).append((column_name, size))
    if not oversized:
        for i, row in enumerate(batch.to_pylist(), start=before + 1):
            yield i, row
        return
    for i in range(batch.num_rows):
        if i not in oversized:
            yield before + i + 1, batch.slice(i, 1).to_pylist()[0]
            continue
        yield _oversized_row(batch.slice(i, 1), name, before + i + 1, oversized[i], max_cell_bytes)


def _oversized_row(row: pa.RecordBatch, name: str, number: int, cells: list[tuple[str, int]],
                   max_cell_bytes: int) -> BadRow:
    """The row's small cells as raw JSON; its largest cell, when it is text or bytes, spilled whole."""
    big = {column for column, _ in cells}
    small = row.select([c for c in row.schema.names if c not in big]).to_pylist()[0]
    said = ", ".join(f"{column!r} ({size:,} bytes)" for column, size in cells)
    column, _ = max(cells, key=lambda cell: cell[1])
    value = row.column(column)[0]
    spill, kept = None, ""
    if value.is_valid and isinstance(value, (pa.StringScalar, pa.BinaryScalar, pa.LargeStringScalar, pa.LargeBinaryScalar)):
        with Spill() as spill:
            spill.write(memoryview(value.as_buffer()))
        kept = f"; the cell {column!r} is kept as the raw file, the others as raw"
    return BadRow(name, number, f"cell {said} over the {max_cell_bytes:,}-byte limit per cell{kept}",
                  raw_json(small), spill=spill)


def parquet_records(path: Path | str, max_cell_bytes: int = DEFAULT_MAX_CELL_BYTES) -> Iterator[Record | BadRow]:
    """Records from Parquet shards someone handed us, a small batch at a time; bad rows are BadRows."""
    for shard in parquet_files(path):
        rows = parquet_rows(shard, max_cell_bytes, require=lambda schema, shard=shard: _require_records(schema, shard))
        yield from parse_rows(rows, str(shard), lambda row, _: row_to_record(row, loads_row))


def read_parquet_records(path: Path | str, batch_rows: int = 1024) -> Iterator[Record]:
    """Stream records from shards this tool wrote (a run's own stages), one batch in memory at a time.

    Trusted input: no cell limit, and a row that is not a record is a ValueError naming shard and row
    (user-supplied files go through `parquet_records`, which quarantines instead)."""
    for shard in parquet_files(path):
        source = pq.ParquetFile(shard)
        _require_records(source.schema_arrow, shard)
        number = 0
        for batch in source.iter_batches(batch_size=batch_rows):
            for row in batch.to_pylist():
                number += 1
                try:
                    yield row_to_record(row)
                except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
                    raise ValueError(f"{shard}: row {number} is not a valid record: {exc}") from None


def _require_records(schema: pa.Schema, shard: Path) -> None:
    if not is_record_table(schema):
        raise ValueError(f"{shard} is not reasonledger record Parquet; import it with `reasonledger import`")


__all__ = ["RECORD_SCHEMA", "parquet_records", "read_parquet_records", "write_parquet_shards", "write_manifest", "parquet_files"]
