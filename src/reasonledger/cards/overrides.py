"""Fields a person fills: from the recipe's `card:` section at build time, or `reasonledger card set`.

A person may fill the fields only a person can answer, and any field the data left `unknown`;
a field computed from the data or the run log cannot be overwritten by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

UNKNOWN = "unknown"
OVERRIDES = "overrides.json"
# Only a person can answer these; they stay "unknown" until one does.
HUMAN_FIELDS = ("motivation", "intended_uses", "out_of_scope_uses", "decontamination_sufficient", "biases",
                "maintenance")
# Release metadata a publisher decides (dates and licence have derived defaults a person may replace).
METADATA_FIELDS = ("description", "version", "license", "date_published", "creators", "url", "citation", "language")
PERSON_FIELDS = HUMAN_FIELDS + METADATA_FIELDS
# Parts of the card no person may type into: measured or hashed (verifier calibration comes from
# the calibration benchmark's files, counts from the run log, hashes from the files).
COMPUTED_ONLY = ("verifier_cards", "manifest", "funnel", "audit", "missing", "records", "released")
LABEL_KEYS = ("id", "name", "dataset", "model")
_PART = re.compile(r"([^.\[\]]+)|\[([^\]]+)\]")
_PATH = re.compile(r"[^.\[\]]+(?:\.[^.\[\]]+|\[[^\]]+\])*")


class CardFieldError(ValueError):
    """A card field that cannot be set, said with the reason and the fields that can."""


def parse_path(key: str) -> list[str]:
    """`recipe.prompt_sources[reasoning-gym/chain_sum].revision` -> its parts (a list item by label or index)."""
    if not _PATH.fullmatch(key):
        raise CardFieldError(f"{key}: not a card field path (use dots, and [label] for list items)")
    return [m.group(1) or m.group(2) for m in _PART.finditer(key)]


def item_label(value: Any, index: int) -> str:
    """How a list item is named in a path: by its id, name, dataset or model, else by position."""
    if isinstance(value, dict):
        for key in LABEL_KEYS:
            if key in value:
                return str(value[key])
    return str(index)


def _child(node: Any, part: str) -> tuple[bool, Any, Any]:
    if isinstance(node, dict):
        return (part in node), node.get(part), part
    if isinstance(node, list):
        for i, value in enumerate(node):
            if item_label(value, i) == part or part == str(i):
                return True, value, i
    return False, None, None


def _walk(card: Any, path: list[str]) -> tuple[bool, Any]:
    node = card
    for part in path:
        found, node, _ = _child(node, part)
        if not found:
            return False, None
    return True, node


def _holds_unknown(value: Any) -> bool:
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(_holds_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_unknown(v) for v in value)
    return False


def check_settable(card: dict[str, Any], key: str) -> None:
    if key in PERSON_FIELDS:
        return
    path = parse_path(key)
    if path[0] in COMPUTED_ONLY:
        raise CardFieldError(f"{key}: {path[0]} is measured, never typed (verifier calibration comes from "
                             f"`benchmarks/cards_calibration.py`, the rest from the data and the run log)")
    found, value = _walk(card, path)
    if not found:
        raise CardFieldError(f"{key}: no such card field; a person can set {', '.join(PERSON_FIELDS)} "
                             f"or any field listed under `missing`")
    if not _holds_unknown(value):
        raise CardFieldError(f"{key}: computed from the data and the run log ({json.dumps(value)[:80]}); "
                             f"fix the recipe or the data instead of the card")


def apply(card: dict[str, Any], fields: dict[str, Any], where: str) -> None:
    """Set each dotted key of `fields` in `card`, refusing keys a person may not set."""
    for key, value in fields.items():
        try:
            check_settable(card, key)
        except CardFieldError as exc:
            raise CardFieldError(f"{where}: {exc}") from None
        parts = parse_path(key)
        found, parent = _walk(card, parts[:-1])
        exists, _, slot = _child(parent, parts[-1]) if found else (False, None, None)
        if not found or (isinstance(parent, list) and not exists):
            raise CardFieldError(f"{where}: {key}: no such card field")
        parent[slot if isinstance(parent, list) else parts[-1]] = value


def load(card_dir: Path) -> dict[str, Any]:
    path = Path(card_dir) / OVERRIDES
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise CardFieldError(f"{path}: not valid JSON ({exc}); fix or delete it") from None
    if not isinstance(data, dict):
        raise CardFieldError(f"{path}: expected an object of card field -> value")
    return data


def save(card_dir: Path, fields: dict[str, Any]) -> None:
    from reasonledger.records.parquet import write_json_atomic

    write_json_atomic(dict(sorted(fields.items())), Path(card_dir) / OVERRIDES)
