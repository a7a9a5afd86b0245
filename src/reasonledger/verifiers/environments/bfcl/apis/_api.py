"""What every multi-turn API class shares: loading a scenario, its public state as JSON, its tool list."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, ClassVar


class Api:
    """One BFCL API class. `tools` names the methods a model may call; `state()` is what BFCL compares
    between the model's instance and the gold's (the public attributes), as JSON data."""

    name: ClassVar[str]
    tools: ClassVar[tuple[str, ...]]
    seed: ClassVar[int] = 0

    def load(self, config: Mapping[str, Any]) -> None:
        """Set the state from a question's `initial_config` entry for this class (defaults elsewhere)."""
        self._random = random.Random(config.get("random_seed", self.seed))

    def state(self) -> dict[str, Any]:
        raise NotImplementedError


def jsonable(value: Any) -> Any:
    """JSON data for a state or a result: dict keys as strings, tuples as lists, sets sorted, Decimals
    and non-finite floats as strings (so every state and observation can be stored and hashed)."""
    if isinstance(value, Mapping):
        return {str(key): jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((jsonable(item) for item in value), key=repr)
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Decimal):
        return str(value)
    return value


def public(api: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: jsonable(getattr(api, name)) for name in names}
