"""What an import reads: one file, every data file of a directory, or a glob, in sorted order."""

from __future__ import annotations

import glob
from pathlib import Path

DATA_SUFFIXES = (".json", ".jsonl", ".jsonl.gz", ".parquet")


def input_files(path: Path | str) -> list[Path]:
    """The files `path` names: itself, a directory's data files (not recursive, hidden ones skipped),
    or a glob's matching files. None found is a FileNotFoundError that says which form was meant."""
    text = str(path)
    if glob.has_magic(text):
        files = [Path(p) for p in sorted(glob.glob(text)) if Path(p).is_file()]
        if not files:
            raise FileNotFoundError(f"{text}: no file matches this glob")
        return files
    path = Path(path)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
                       and p.name.endswith(DATA_SUFFIXES))
        if not files:
            raise FileNotFoundError(f"{path}: a directory with no data file ({', '.join(DATA_SUFFIXES)})")
        return files
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file, directory or glob")
    return [path]
