"""One registry of verifiers by name (`registry("verifier")`), filled through the plugin entry points;
the built-ins are named as "module:class" (reasonledger/builtins.py), imported on first use so a
light CLI call stays light."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator

from reasonledger.registry import Registry, registry
from reasonledger.verifiers.base import Verifier

VERIFIERS: Registry[type[Verifier]] = registry("verifier")


def register(cls: type[Verifier]) -> type[Verifier]:
    """Class decorator: make a verifier available to `get_verifier(cls.id)`."""
    VERIFIERS.add(cls.id, cls)
    return cls


def verifier_class(name: str) -> type[Verifier]:
    return VERIFIERS[name]


def get_verifier(name: str, **config: Any) -> Verifier:
    """The verifier registered under `name`, configured with `config`."""
    return verifier_class(name)(**config)


def available_verifiers() -> list[str]:
    return VERIFIERS.names()


def _known(name: str) -> str:
    try:
        verifier_class(name)
    except KeyError as exc:
        raise ValueError(exc.args[0]) from None
    return name


# A step param naming a verifier: checked when the recipe loads, with the known names in the error.
VerifierName = Annotated[str, AfterValidator(_known)]
