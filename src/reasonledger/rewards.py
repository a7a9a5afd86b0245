"""Reward functions for RL trainers, dispatching through the verifier registry.

`compute_score` has verl's custom-reward signature; `trl_reward_funcs()` gives TRL's GRPOTrainer
a `reward_funcs` list. Both read the verifier name, config and reference that the exporters wrote.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from reasonledger.verifiers import Verifier, get_verifier


@lru_cache(maxsize=256)
def _verifier(name: str, config_json: str) -> Verifier:
    return get_verifier(name, **json.loads(config_json or "{}"))


def _infer_verifier(data_source: str) -> tuple[str, str]:
    """For rows exported elsewhere, (verifier, config JSON): math for math sets, reasoning-gym for its
    tasks (the task named by the source's last part, `reasoning-gym/chain_sum`), exact otherwise."""
    source = data_source.lower()
    if "reasoning-gym" in source or "reasoning_gym" in source:
        return "reasoning_gym", json.dumps({"dataset": data_source.rsplit("/", 1)[-1]})
    if any(name in source for name in ("gsm8k", "math", "aime", "amc")):
        return "math", "{}"
    return "exact", "{}"


def score(response: str, reference: Any, verifier: str, config_json: str = "{}") -> float:
    return float(_verifier(verifier, config_json).verify(reference, response).score)


def compute_score(data_source: str, solution_str: str, ground_truth: str, extra_info: dict[str, Any] | None = None) -> float:
    """verl custom reward: `custom_reward_function.path=<this file>`, `name=compute_score`."""
    extra_info = extra_info or {}
    if extra_info.get("verifier"):
        reference = json.loads(extra_info["reference_json"]) if extra_info.get("reference_json") else ground_truth
        return score(solution_str, reference, extra_info["verifier"], extra_info.get("verifier_config_json", "{}"))
    return score(solution_str, ground_truth, *_infer_verifier(data_source))


def _completion_text(completion: Any) -> str:
    """TRL passes plain strings for text prompts and message lists for chat prompts."""
    if isinstance(completion, list):
        return "".join(m.get("content", "") for m in completion if isinstance(m, dict))
    return str(completion)


def trl_reward_funcs() -> list[Any]:
    """`GRPOTrainer(reward_funcs=trl_reward_funcs(), ...)` on a `trl_grpo` export."""
    def reasonledger_reward(prompts: list[Any], completions: list[Any], reference: list[str],
                            verifier: list[str], verifier_config: list[str], **_: Any) -> list[float]:
        return [score(_completion_text(c), json.loads(ref), name, config)
                for c, ref, name, config in zip(completions, reference, verifier, verifier_config)]

    return [reasonledger_reward]
