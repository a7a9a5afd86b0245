"""A release's configs as the Hub and Croissant name them: `default` for the records in data/, and one
per trainer export (its training file, and its validation file when there is one).

Paths are relative to the release root, the folder that holds data/ and exports/: a run directory,
or the folder `reasonledger publish` lays out. Each config has one schema, so the Hub's `configs`
and Croissant's FileSets never glob files of different shapes together.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

DATA_CONFIG = "default"
FORMATS = {".parquet": "application/x-parquet", ".jsonl": "application/jsonlines"}


@dataclass(frozen=True)
class Config:
    name: str
    splits: tuple[tuple[str, str], ...]  # (split, path or glob), training split first
    encoding: str
    rows: int

    @property
    def paths(self) -> list[str]:
        return [path for _, path in self.splits]


def _split_of(file: str) -> str:
    return "validation" if ".val." in PurePosixPath(file).name else "train"


def release_configs(card: dict[str, Any]) -> list[Config]:
    """The data config (when there are records), then one config per non-empty export in name order."""
    data = card["manifest"]["data"]
    rows = sum(s["rows"] for s in data["shards"])
    configs = [Config(DATA_CONFIG, (("train", f"{data.get('directory', 'data')}/*.parquet"),), FORMATS[".parquet"], rows)
               ] if rows else []  # a release of no records has no table to load
    by_output: dict[str, list[dict[str, Any]]] = {}
    for entry in card["manifest"]["exports"]:
        suffix = PurePosixPath(entry["file"]).suffix
        if suffix in FORMATS and entry.get("rows"):  # an empty validation file is no split
            by_output.setdefault(PurePosixPath(entry["file"]).name.split(".")[0], []).append(entry)
    for name, entries in sorted(by_output.items()):
        entries.sort(key=lambda e: (_split_of(e["file"]) != "train", e["file"]))
        configs.append(Config(name, tuple((_split_of(e["file"]), e["file"]) for e in entries),
                              FORMATS[PurePosixPath(entries[0]["file"]).suffix], sum(e.get("rows", 0) for e in entries)))
    return configs
