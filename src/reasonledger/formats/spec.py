"""Data and benchmark arguments: `[FORMAT:]PATH[?option=value&...]`, or `hf:NAME?split=...`.

`gsm8k:../data/gsm8k/test.jsonl` goes through the gsm8k importer; `jsonl:mbpp.jsonl?prompt_field=text`
through the generic one with its options; a bare path is anything `read_records` reads (a run or
data directory, Parquet, reasonledger JSONL); `hf:openai/gsm8k?config=main&split=test&prompt_field=question`
loads rows with `datasets` (online, or a `save_to_disk` folder).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from reasonledger.formats.importers import IMPORTERS, import_file
from reasonledger.records.io import read_records
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow


class SpecError(ValueError):
    """A data or benchmark argument that cannot be read; the message says what form is expected."""


@dataclass(frozen=True)
class DataSpec:
    text: str
    fmt: str | None
    path: str
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """A short, stable name for reports: the option `name`, else FORMAT:file name."""
        if "name" in self.options:
            return str(self.options["name"])
        base = self.path if self.fmt == "hf" else Path(self.path).name
        return f"{self.fmt}:{base}" if self.fmt else base


def _value(text: str) -> Any:
    return {"true": True, "false": False}.get(text.lower(), text)


def parse_spec(text: str) -> DataSpec:
    head, _, query = text.partition("?")
    fmt, sep, rest = head.partition(":")
    if sep and (fmt in IMPORTERS or fmt == "hf"):
        path = rest
    else:
        fmt, path = None, head
    if not path:
        raise SpecError(f"{text!r}: no path; expected [FORMAT:]PATH[?option=value&...] with FORMAT one of "
                        f"{', '.join(sorted([*IMPORTERS, 'hf']))}")
    try:
        options = {k: _value(v) for k, v in parse_qsl(query, keep_blank_values=True, strict_parsing=bool(query))}
    except ValueError as exc:
        raise SpecError(f"{text!r}: options after '?' must be key=value pairs joined by '&' ({exc})") from None
    return DataSpec(text, fmt, path, options)


def _hf_records(spec: DataSpec) -> Iterator[Record | BadRow]:
    from reasonledger.records.hf import load_hf_rows

    options = dict(spec.options)
    prompt_field = options.pop("prompt_field", "prompt")
    split, revision = options.pop("split", None), options.pop("revision", None)
    rows = load_hf_rows(spec.path, split=split, revision=revision)
    for number, row in enumerate(rows, start=1):
        if prompt_field not in row:
            yield BadRow(spec.path, number, f"no field {prompt_field!r} (fields: {', '.join(sorted(row))}); "
                                            "pass ?prompt_field=NAME")
            continue
        yield Record(kind=Kind.prompt_answer, task={
            "prompt": str(row[prompt_field]),
            "source": {"dataset": spec.path, "revision": revision, "split": split, "row_id": str(number - 1)}})


def open_records(spec: DataSpec | str) -> Iterator[Record | BadRow]:
    """Records (and BadRows) of a data or benchmark argument; a missing file raises FileNotFoundError."""
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    options = {k: v for k, v in spec.options.items() if k != "name"}
    if spec.fmt == "hf":
        return _hf_records(spec)
    if not Path(spec.path).exists():
        raise FileNotFoundError(f"{spec.path}: no such file or directory (from {spec.text!r})")
    if spec.fmt is None:
        if options:
            raise SpecError(f"{spec.text!r}: options need a FORMAT: prefix (e.g. jsonl:{spec.path}?prompt_field=text)")
        return read_records(spec.path)
    try:
        return import_file(spec.path, spec.fmt, **options)
    except TypeError as exc:
        raise SpecError(f"{spec.text!r}: the {spec.fmt} importer does not take these options ({exc})") from None
