"""The JSON Schema shipped with the package that every card.json is checked against."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

SCHEMA_PATH = Path(__file__).with_name("card.schema.json")


class CardSchemaError(ValueError):
    """A card that breaks the schema, said with the JSON path of the first problem."""


@lru_cache(maxsize=1)
def card_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def check_card(card: dict[str, Any]) -> bool:
    """Raise CardSchemaError if `card` breaks the schema; False when jsonschema is not installed
    (the `cards` extra), so a plain build still writes its card and `reasonledger card` says so."""
    try:
        import jsonschema
    except ImportError:
        return False
    validator = jsonschema.Draft202012Validator(card_schema())
    errors = sorted(validator.iter_errors(card), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}" for e in errors[:10]]
        raise CardSchemaError("card.json breaks card.schema.json:\n  " + "\n  ".join(lines))
    return True
