"""A recipe's outputs, looked up by name in the `output` registry (the formats room fills it).

A recipe names its outputs as `verl` or, with options, `{verl: {instruction: ..., val_fraction: 0.02}}`.
Each output declares the options it takes; names and options are checked when the recipe loads, so a
typo fails before the build starts, with the known names. The engine writes a build's outputs through
the same lookup, so it never imports an exporter.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, ValidationError, model_serializer, model_validator

from reasonledger.registry import Registry, registry


class NoOptions(BaseModel):
    """Outputs that take no options."""
    model_config = ConfigDict(extra="forbid")


Exporter = Callable[..., Path]


class Output(NamedTuple):
    """An exporter and the pydantic model of its options. An options model may define
    `prompt_format()`: what the output adds to every exported prompt, recorded in the run log and card."""
    exporter: Exporter
    options: type[BaseModel]


# Filled by the `reasonledger.plugins` entry points (reasonledger's own: reasonledger/builtins.py, each
# named as "module:attribute" of its `Output`; a plugin's through formats.exporters.register_exporter).
OUTPUTS: Registry[Output] = registry("output")


def known_outputs() -> list[str]:
    return OUTPUTS.names()


def output_options(name: str, options: dict[str, Any] | None = None) -> BaseModel:
    """The validated options of output `name`; ValueError naming the known outputs or options."""
    if name not in OUTPUTS:
        raise ValueError(f"unknown output {name!r}; known outputs: {', '.join(known_outputs())}")
    model = OUTPUTS[name].options
    try:
        return model.model_validate(options or {})
    except ValidationError as exc:
        known = ", ".join(model.model_fields) or "none"
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'options'}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"output {name!r}: {problems} (options it takes: {known})") from None


class OutputSpec(BaseModel):
    """One recipe output: `verl`, or a one-key mapping `{verl: {option: value}}`."""
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    options: dict[str, Any] = {}

    @model_validator(mode="before")
    @classmethod
    def _from_recipe(cls, value: Any) -> Any:
        if isinstance(value, OutputSpec):
            return {"name": value.name, "options": value.options}
        if isinstance(value, str):
            return {"name": value}
        if isinstance(value, dict) and len(value) == 1 and "name" not in value:
            ((name, options),) = value.items()
            if options is not None and not isinstance(options, dict):
                raise ValueError(f"the options of output {name!r} must be a mapping, e.g. {{{name}: {{val_fraction: 0.02}}}}")
            return {"name": name, "options": options or {}}
        if isinstance(value, dict) and "name" in value:
            return value
        raise ValueError("an output is a name (verl) or a one-key mapping of a name to its options ({verl: {val_fraction: 0.02}})")

    @model_validator(mode="after")
    def _known(self) -> OutputSpec:
        output_options(self.name, self.options)
        return self

    @model_serializer
    def _dump(self) -> Any:
        return {self.name: self.options} if self.options else self.name

    def prompt_format(self) -> dict[str, Any] | None:
        """What this output adds to every exported prompt (system prompt, instruction), or None."""
        options = output_options(self.name, self.options)
        describe = getattr(options, "prompt_format", None)
        return describe() if callable(describe) else None


def export(name: str, data_dir: Path, out_dir: Path, options: dict[str, Any] | None = None) -> Path:
    """Write output `name` of the records in `data_dir` into `out_dir`; returns the (training) file written."""
    validated = output_options(name, options)
    out_dir.mkdir(parents=True, exist_ok=True)
    exporter = OUTPUTS[name].exporter
    if isinstance(validated, NoOptions):
        return exporter(data_dir, out_dir)
    return exporter(data_dir, out_dir, validated)
