"""Parquet in shards with a manifest of row counts and sha256 per shard."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from reasonledger.records.arrow import RECORD_SCHEMA, records_to_table, row_to_record
from reasonledger.records.model import SCHEMA_VERSION, Record

MANIFEST = "manifest.json"
DEFAULT_SHARD_ROWS = 1000
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
    """The shards of a dataset: a single file, or every .parquet in a directory in manifest order."""
    path = Path(path)
    if path.is_file():
        return [path]
    manifest = path / MANIFEST
    if manifest.exists():
        return [path / e["file"] for e in json.loads(manifest.read_text())["shards"]]
    return sorted(path.glob("*.parquet"))


def is_record_table(schema: pa.Schema) -> bool:
    return {"id", "kind", "behaviour_json", "verdicts"} <= set(schema.names)


def read_parquet_records(path: Path | str, batch_rows: int = 1024) -> Iterator[Record]:
    """Stream records from reasonledger Parquet shards, one batch in memory at a time."""
    for shard in parquet_files(path):
        source = pq.ParquetFile(shard)
        if not is_record_table(source.schema_arrow):
            raise ValueError(f"{shard} is not reasonledger record Parquet; import it with `reasonledger import`")
        for batch in source.iter_batches(batch_size=batch_rows):
            for row in batch.to_pylist():
                yield row_to_record(row)


__all__ = ["RECORD_SCHEMA", "read_parquet_records", "write_parquet_shards", "write_manifest", "parquet_files"]
