"""Verifier cards: what each verifier checks, its formats and native signal, where it is known to be
wrong, its version, and calibration results read from the files the calibration benchmark writes.

Calibration numbers are never typed: a verifier whose card carries its own measured calibration
(math, code) keeps it; for the others `benchmarks/cards_calibration.py` measures them and writes
`calibration/<verifier id>.json` beside this module (or under $REASONLEDGER_CALIBRATION_DIR).
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

from reasonledger.cards.overrides import UNKNOWN
from reasonledger.records.model import canonical_json, json_digest

from reasonledger.verifiers import available_verifiers, get_verifier

CARD_FIELDS = ("id", "version", "family", "checks", "formats", "native_signal",
               "known_false_positives", "known_false_negatives", "calibration")
# what a verdict's label source says about the family of a verifier that is not registered here
FAMILY_BY_LABEL = {"programmatic": "programmatic", "environment": "environmental", "human": "judgment",
                   "judge": "judgment", "mc_hard": "programmatic", "mc_soft": "programmatic", "consensus": "programmatic"}


def calibration_dir() -> Path:
    return Path(os.environ.get("REASONLEDGER_CALIBRATION_DIR") or Path(__file__).with_name("calibration"))


def calibration(verifier_id: str, version: str) -> Any:
    """Measured calibration runs for this verifier version, or "unknown" when none was measured."""
    path = calibration_dir() / f"{verifier_id}.json"
    if not path.is_file():
        return UNKNOWN
    runs = json.loads(path.read_text(encoding="utf-8")).get("runs", [])
    matching = [run for run in runs if run.get("version") == version]
    return matching or UNKNOWN


def _measured(value: Any) -> bool:
    """A verifier's own calibration counts when it holds numbers, not just a "not measured" status."""
    if isinstance(value, dict):
        return bool(set(value) - {"status"})
    return isinstance(value, list) and bool(value)


def verifier_card(name: str) -> dict[str, Any]:
    """The card of one verifier (its default config: a card does not depend on it); a verifier that
    cannot be loaded here says so instead of failing."""
    try:
        verifier = get_verifier(name)
        raw = verifier.card()
    except Exception as exc:  # a verifier still being written must not stop a card: it says why instead
        return {"id": name, "available": False, "reason": f"{type(exc).__name__}: {exc}"}
    card = {key: raw.get(key, UNKNOWN) for key in CARD_FIELDS if key != "calibration"}
    own = raw.get("calibration")
    card["calibration"] = own if _measured(own) else calibration(verifier.id, verifier.version)
    card["available"] = True
    card.update({k: v for k, v in raw.items() if k not in card and k != "config"})
    return card


def registered_cards() -> list[dict[str, Any]]:
    """A card for every verifier in the registry (those that cannot load here say why)."""
    return [verifier_card(name) for name in available_verifiers()]


@lru_cache(maxsize=None)
def _stamped(name: str, config_json: str) -> str | None:
    try:
        return get_verifier(name, **json.loads(config_json)).config_hash
    except Exception:  # not loadable here: the caller falls back to the raw config's hash
        return None


def stamped_config_hash(name: str, config: dict[str, Any]) -> str:
    """The config hash `name` stamps on its verdicts for a task naming `config` (its defaults filled
    in); the hash of `config` itself when the verifier cannot be loaded here."""
    return _stamped(name, canonical_json(config)) or json_digest(config)


def family_of(name: str, label_source: str | None = None) -> str:
    """The verifier's own family when it is registered, else what its label source implies."""
    from reasonledger.verifiers import verifier_class

    try:
        return verifier_class(name).family
    except KeyError:
        return FAMILY_BY_LABEL.get(label_source or "", UNKNOWN)
