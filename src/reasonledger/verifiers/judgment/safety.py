"""Whether a judge may give RL rewards: only with a card that says it is safe, or an override whose
reason is recorded.

A trainer's reward call (`reasonledger.rewards`) asks `allow_as_reward(verifier)` before a judgment
verifier scores anything. It looks for the judge's card (same id, version and config hash) among
the files named by `REASONLEDGER_JUDGE_CARDS` (paths separated by the OS path separator; `reasonledger
audit --judge-probes` writes them). A card that says `safe_as_reward: true` lets the judge through; no
card, or an unsafe one, raises `JudgeRefused` unless `REASONLEDGER_JUDGE_OVERRIDE` holds a reason, which
is then appended with the judge's identity and the card's findings to `REASONLEDGER_JUDGE_OVERRIDE_LOG`
(default `judge-overrides.jsonl` in the working directory). Environment variables, because every
trainer's reward workers inherit them and no trainer passes our arguments through.
"""

from __future__ import annotations

import datetime
import json
import os
import threading
from pathlib import Path
from typing import Any

from reasonledger.verifiers.base import Verifier

CARDS_ENV = "REASONLEDGER_JUDGE_CARDS"
OVERRIDE_ENV = "REASONLEDGER_JUDGE_OVERRIDE"
LOG_ENV = "REASONLEDGER_JUDGE_OVERRIDE_LOG"
_ALLOWED: set[tuple[str, str, str]] = set()
_LOCK = threading.Lock()


class JudgeRefused(RuntimeError):
    """A judge without a card saying it is safe as a reward, and no recorded override."""


def find_card(verifier: Verifier, paths: list[str]) -> tuple[dict[str, Any] | None, list[str]]:
    """The card for this exact judge among `paths`, and what was wrong with the others."""
    problems = []
    for path in paths:
        try:
            card = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problems.append(f"{path}: unreadable ({exc})")
            continue
        if (card.get("id"), card.get("version"), card.get("config_hash")) == (verifier.id, verifier.version,
                                                                              verifier.config_hash):
            return card, problems
        problems.append(f"{path}: the card of {card.get('id')}@{card.get('version')} {card.get('config_hash')}")
    return None, problems


def allow_as_reward(verifier: Verifier) -> None:
    """Return if the judge may give rewards; raise JudgeRefused saying what to do otherwise."""
    key = (verifier.id, verifier.version, verifier.config_hash)
    with _LOCK:
        if key in _ALLOWED:
            return
        paths = [p for p in os.environ.get(CARDS_ENV, "").split(os.pathsep) if p]
        card, problems = find_card(verifier, paths)
        if card is not None and card.get("safe_as_reward") is True:
            _ALLOWED.add(key)
            return
        why = (f"its card says it is not safe: {'; '.join(card.get('unsafe_because') or ['no reason given'])}"
               if card is not None else
               f"no card for it in ${CARDS_ENV}" + (f" ({'; '.join(problems)})" if problems else ""))
        reason = os.environ.get(OVERRIDE_ENV, "").strip()
        if not reason:
            raise JudgeRefused(
                f"judge {verifier.id}@{verifier.version} (config {verifier.config_hash}, model "
                f"{verifier.config.get('model')}) is refused as an RL reward: {why}. Probe it with `reasonledger "
                f"audit --judge-probes` and list its card in ${CARDS_ENV}, or set ${OVERRIDE_ENV} to the reason "
                f"you use it anyway (it is recorded in ${LOG_ENV}).")
        entry = {"time": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                 "verifier": verifier.id, "version": verifier.version, "config_hash": verifier.config_hash,
                 "model": verifier.config.get("model"), "refused_because": why, "override_reason": reason}
        with open(os.environ.get(LOG_ENV) or "judge-overrides.jsonl", "a", encoding="utf-8") as log:
            log.write(json.dumps(entry, ensure_ascii=False) + "\n")
        _ALLOWED.add(key)


def forget_allowed() -> None:
    """Clear this process's memory of allowed judges (a changed card or environment is re-read)."""
    with _LOCK:
        _ALLOWED.clear()


__all__ = ["CARDS_ENV", "LOG_ENV", "OVERRIDE_ENV", "JudgeRefused", "allow_as_reward", "find_card", "forget_allowed"]
