"""Exporters: a run's `data/` out to the formats trainers read, written deterministically.

An exporter is registered as an output (`engine/outputs.py` holds the `output` registry, the recipe's
output specs and the call that writes one); `rl.py` writes RL prompt sets, `training.py` SFT, DPO and
step-wise data, `agent.py` agent episodes. Each module ends with the `Output`s it writes, which
builtins.py names as "module:attribute", so a module is imported only when one of its outputs is
named; a plugin package registers its own with `register_exporter`.
"""

from __future__ import annotations

from pydantic import BaseModel

from reasonledger.engine.outputs import OUTPUTS, Exporter, NoOptions, Output


def register_exporter(name: str, exporter: Exporter, options: type[BaseModel] | None = None) -> None:
    """`exporter(data_dir, out_dir)` writes and returns its file; with an `options` model it is called
    `exporter(data_dir, out_dir, options)` with the validated options."""
    OUTPUTS.add(name, Output(exporter, options or NoOptions))


__all__ = ["register_exporter"]
