"""One registry of verifiers by name. Built-ins are imported lazily so a light CLI call stays light."""

from __future__ import annotations

import importlib
from typing import Annotated, Any

from pydantic import AfterValidator

from reasonledger.verifiers.base import Verifier

_BUILTIN: dict[str, str] = {
    "exact": "reasonledger.verifiers.text:ExactMatchVerifier",
    "reasoning_gym": "reasonledger.verifiers.reasoning_gym:ReasoningGymVerifier",
    "math": "reasonledger.verifiers.math:MathVerifier",
    "code": "reasonledger.verifiers.code:CodeVerifier",
}
_REGISTERED: dict[str, type[Verifier]] = {}


def register(cls: type[Verifier]) -> type[Verifier]:
    """Class decorator: make a verifier available to `get_verifier(cls.id)`."""
    _REGISTERED[cls.id] = cls
    return cls


def verifier_class(name: str) -> type[Verifier]:
    if name in _REGISTERED:
        return _REGISTERED[name]
    if name not in _BUILTIN:
        raise KeyError(f"unknown verifier {name!r}; known: {', '.join(available_verifiers())}")
    module, _, attr = _BUILTIN[name].partition(":")
    try:
        cls = getattr(importlib.import_module(module), attr)
    except ModuleNotFoundError as exc:
        raise KeyError(f"verifier {name!r} is not available here: {exc}") from exc
    _REGISTERED[name] = cls
    return cls


def get_verifier(name: str, **config: Any) -> Verifier:
    """The verifier registered under `name`, configured with `config`."""
    return verifier_class(name)(**config)


def available_verifiers() -> list[str]:
    return sorted({*_BUILTIN, *_REGISTERED})


def _known(name: str) -> str:
    try:
        verifier_class(name)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    return name


# A step param naming a verifier: checked when the recipe loads, with the known names in the error.
VerifierName = Annotated[str, AfterValidator(_known)]
