"""Exporters: a run's `data/` out to the formats trainers read, written deterministically."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from reasonledger.records.exporters import rl

Exporter = Callable[[Path, Path], Path]

EXPORTERS: dict[str, Exporter] = {
    "verl": rl.export_verl,
    "trl_grpo": rl.export_trl_grpo,
    "openrlhf": rl.export_openrlhf,
}


def register_exporter(name: str, exporter: Exporter) -> None:
    EXPORTERS[name] = exporter


def export(name: str, data_dir: Path, out_dir: Path) -> Path:
    """Write export `name` of the records in `data_dir` into `out_dir`; returns the file written."""
    if name not in EXPORTERS:
        import reasonledger.construct  # noqa: F401  (construction registers its SFT/DPO/PRM exports)
    if name not in EXPORTERS:
        raise KeyError(f"unknown output {name!r}; known: {', '.join(sorted(EXPORTERS))}")
    out_dir.mkdir(parents=True, exist_ok=True)
    return EXPORTERS[name](data_dir, out_dir)
