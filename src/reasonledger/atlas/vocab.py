"""The atlas's vocabulary in reasonledger's terms: contract -> verifier family, supervision
granularity -> record kinds, construction layer -> recipe steps.

The mapping is by meaning, so it is written out here; `tests/atlas` checks that every family, kind
and step named below exists in reasonledger's own registries, so it cannot drift silently.
"""

from __future__ import annotations

from reasonledger.records.model import Kind

# `mixed` and `unknown` name no single family: an entry holding only those maps to none.
FAMILY_OF_CONTRACT: dict[str, str] = {
    "programmatic": "programmatic",
    "environmental": "environmental",
    "judgment_required": "judgment",
}
FAMILIES = ("programmatic", "environmental", "judgment")

KINDS_OF_GRANULARITY: dict[str, tuple[str, ...]] = {
    "answer_level": (Kind.prompt_answer.value, Kind.trace.value, Kind.rollout_set.value),
    "step_level": (Kind.step_trace.value,),
    "process_reward": (Kind.step_trace.value,),
    "state_action_level": (Kind.tool_trajectory.value, Kind.episode.value),
    "full_episode": (Kind.episode.value,),
    "trajectory_value": (Kind.episode.value, Kind.tool_trajectory.value),
    "pairwise_preference": (Kind.preference_pair.value,),
    "scalar_reward": (Kind.rollout_set.value, Kind.judgment.value),
    "unknown": (),
}

STEPS_OF_LAYER: dict[str, tuple[str, ...]] = {
    "prompt_sourcing": ("dedup", "near_dedup", "decontaminate", "pass_rate", "band_filter"),
    "trace_writing": ("rollouts", "rejection_sample"),
    "search_substrate": ("rollouts", "self_consistency"),
    "self_play_anchor": (),
    "reward_verifier_layer": ("verify", "gold_check", "process_labels", "preference_pairs"),
    "optimizer_scaffold": (),
    "frontier_pipeline": ("rollouts", "verify", "rejection_sample", "band_filter"),
    "scaling_report": ("pass_rate",),
    "release_audit": ("audit", "decontaminate", "near_dedup"),
}

# The reverse direction, for `card export --atlas`: a record kind's granularity in the atlas.
GRANULARITY_OF_KIND: dict[str, str] = {
    Kind.prompt_answer.value: "answer_level",
    Kind.trace.value: "answer_level",
    Kind.rollout_set.value: "answer_level",
    Kind.step_trace.value: "step_level",
    Kind.preference_pair.value: "pairwise_preference",
    Kind.tool_trajectory.value: "state_action_level",
    Kind.episode.value: "full_episode",
    Kind.judgment.value: "scalar_reward",
}


def families(contracts: list[str]) -> list[str]:
    return sorted({FAMILY_OF_CONTRACT[c] for c in contracts if c in FAMILY_OF_CONTRACT})


def kinds(granularities: list[str]) -> list[str]:
    return sorted({k for g in granularities for k in KINDS_OF_GRANULARITY.get(g, ())})


def steps(layers: list[str]) -> list[str]:
    return sorted({s for layer in layers for s in STEPS_OF_LAYER.get(layer, ())})


def layer_of_step(step: str) -> str | None:
    """The first construction layer (in the atlas's order) whose steps include `step`."""
    return next((layer for layer, names in STEPS_OF_LAYER.items() if step in names), None)


# A release card's training uses (cards/release.py) in the atlas's words; uses with no atlas word are left out.
TRAINING_USE_OF_CARD: dict[str, str] = {
    "rl_with_verifiable_rewards": "rlvr", "sft": "sft", "distillation": "distillation",
    "rejection_sampling_sft": "sft", "process_reward_model_training": "process_supervision",
    "dpo": "preference_learning", "reward_model_training": "reward_modeling", "judge_training": "reward_modeling",
    "agent_sft": "agent_training", "agentic_rl": "agent_training",
}
