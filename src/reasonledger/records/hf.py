"""Hugging Face `datasets` both ways. `datasets` is an optional extra (`pip install reasonledger[hf]`)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.arrow import records_to_table, row_to_record
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import Record
from reasonledger.records.parquet import inside
from reasonledger.records.quarantine import BadRow


class HFLoadError(RuntimeError, ValueError):
    """A Hugging Face dataset that cannot be loaded (offline, or a malformed `save_to_disk` folder)."""


def _datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("Hugging Face support needs the `datasets` package: pip install 'reasonledger[hf]'") from exc
    return datasets


def records_to_dataset(records: Iterable[Record]) -> Any:
    """A `datasets.Dataset` with reasonledger's Arrow schema (round-trips with `dataset_to_records`)."""
    return _datasets().Dataset(records_to_table(records))


def dataset_to_records(dataset: Any, name: str = "dataset") -> Iterator[Record | BadRow]:
    """Records from rows in reasonledger's Arrow schema; a row that is not one is a BadRow (row number)."""
    return parse_rows(enumerate(dataset, start=1), name, lambda row, _: row_to_record(row))


def load_hf_rows(name_or_path: str, split: str | None = None, revision: str | None = None) -> Any:
    """A dataset saved with `save_to_disk`, or one on the Hub by name; offline gives a clear error."""
    datasets = _datasets()
    if Path(name_or_path).exists():
        check_saved_dataset(Path(name_or_path))
        try:
            loaded = datasets.load_from_disk(name_or_path)
            if isinstance(loaded, datasets.DatasetDict):
                return loaded[split or next(iter(loaded))]
            return loaded
        except (OSError, ValueError, KeyError, TypeError, AttributeError, StopIteration) as exc:
            raise HFLoadError(f"{name_or_path}: not a loadable `save_to_disk` folder ({type(exc).__name__}: {exc})") from None
    try:
        return datasets.load_dataset(name_or_path, split=split or "train", revision=revision)
    except (ConnectionError, OSError, ValueError) as exc:
        raise HFLoadError(
            f"could not load Hugging Face dataset {name_or_path!r} (revision {revision or 'latest'}): {exc}. "
            "Offline? Save it with `Dataset.save_to_disk` on a connected machine and pass the folder instead."
        ) from exc


def check_saved_dataset(folder: Path) -> None:
    """Refuse a `save_to_disk` folder whose metadata is missing or garbled, or names a file outside it
    (`datasets` would read a `../` or absolute `_data_files` entry wherever it points)."""
    if not folder.is_dir():
        raise HFLoadError(f"{folder}: a saved dataset is a folder (from `save_to_disk`); for a file use its format")
    splits_file = folder / "dataset_dict.json"
    if splits_file.is_file():
        splits = _json_file(splits_file, dict).get("splits")
        if not isinstance(splits, list) or not splits:
            raise HFLoadError(f"{splits_file}: expected a non-empty 'splits' list")
        for split in splits:
            check_saved_dataset(_inside(folder, split, splits_file))
        return
    state_file = folder / "state.json"
    _json_file(folder / "dataset_info.json", dict)
    files = _json_file(state_file, dict).get("_data_files")
    if not isinstance(files, list) or not files or not all(isinstance(f, dict) for f in files):
        raise HFLoadError(f"{state_file}: expected '_data_files', a non-empty list of {{'filename': ...}}")
    for entry in files:
        data = _inside(folder, entry.get("filename"), state_file)
        if not data.is_file():
            raise HFLoadError(f"{state_file}: names {data.name!r}, which is not in {folder}")


def _inside(folder: Path, name: object, listed_in: Path) -> Path:
    try:
        return inside(folder, name, listed_in)
    except ValueError as exc:
        raise HFLoadError(str(exc)) from None


def _json_file(path: Path, kind: type) -> Any:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HFLoadError(f"{path.parent}: no {path.name}; is this a folder written by `save_to_disk`?") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise HFLoadError(f"{path}: not readable JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(value, kind):
        raise HFLoadError(f"{path}: expected a JSON {kind.__name__}, got {type(value).__name__}")
    return value
