"""Hugging Face `datasets` both ways. `datasets` is an optional extra (`pip install reasonledger[hf]`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from reasonledger.records.arrow import records_to_table, row_to_record
from reasonledger.records.model import Record


def _datasets() -> Any:
    try:
        import datasets
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("Hugging Face support needs the `datasets` package: pip install 'reasonledger[hf]'") from exc
    return datasets


def records_to_dataset(records: Iterable[Record]) -> Any:
    """A `datasets.Dataset` with reasonledger's Arrow schema (round-trips with `dataset_to_records`)."""
    return _datasets().Dataset(records_to_table(records))


def dataset_to_records(dataset: Any) -> Iterator[Record]:
    for row in dataset:
        yield row_to_record(row)


def load_hf_rows(name_or_path: str, split: str | None = None, revision: str | None = None) -> Any:
    """A dataset saved with `save_to_disk`, or one on the Hub by name; offline gives a clear error."""
    datasets = _datasets()
    if Path(name_or_path).exists():
        loaded = datasets.load_from_disk(name_or_path)
        return loaded[split or next(iter(loaded))] if isinstance(loaded, datasets.DatasetDict) else loaded
    try:
        return datasets.load_dataset(name_or_path, split=split or "train", revision=revision)
    except (ConnectionError, OSError, ValueError) as exc:
        raise RuntimeError(
            f"could not load Hugging Face dataset {name_or_path!r} (revision {revision or 'latest'}): {exc}. "
            "Offline? Save it with `Dataset.save_to_disk` on a connected machine and pass the folder instead."
        ) from exc
