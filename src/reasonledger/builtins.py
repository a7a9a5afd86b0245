"""reasonledger's own plugins (verifiers, importers, exporters, generation backends, environments, steps,
sources, audit sections, commands), declared in one place: the composition root behind the package's
`reasonledger.plugins` entry point (pyproject.toml). Third-party packages add theirs the same way."""

from __future__ import annotations

from reasonledger.registry import registry

# Named, not imported: a verifier's module (and its extra) loads only when a recipe or a row asks for it.
BUILTIN_VERIFIERS = {
    "exact": "reasonledger.verifiers.text:ExactMatchVerifier",
    "reasoning_gym": "reasonledger.verifiers.reasoning_gym:ReasoningGymVerifier",
    "math": "reasonledger.verifiers.math:MathVerifier",
    "code": "reasonledger.verifiers.code:CodeVerifier",
    "judge": "reasonledger.verifiers.judgment.judge:JudgeVerifier",
    "rubric": "reasonledger.verifiers.judgment.rubric:RubricVerifier",
    "pairwise": "reasonledger.verifiers.judgment.pairwise:PairwiseVerifier",
    "environment": "reasonledger.verifiers.environments.verifier:EnvironmentVerifier",
}
_IMPORTERS = "reasonledger.formats.importers"
BUILTIN_IMPORTERS = {
    "records": f"{_IMPORTERS}.generic:read_envelope",
    "gsm8k": f"{_IMPORTERS}.gsm8k:read_gsm8k",
    "gsm8k-solutions": f"{_IMPORTERS}.gsm8k:read_gsm8k_solutions",
    "math": f"{_IMPORTERS}.math_style:read_math",
    "processbench": f"{_IMPORTERS}.processbench:read_processbench",
    "humaneval": f"{_IMPORTERS}.code:read_humaneval",
    "humanevalplus": f"{_IMPORTERS}.code:read_humanevalplus",
    "mbpp": f"{_IMPORTERS}.code:read_mbpp",
    "rg-rollouts": f"{_IMPORTERS}.rg_rollouts:read_rg_rollouts",
    "jsonl": f"{_IMPORTERS}.generic:read_mapped",
    "parquet": f"{_IMPORTERS}.generic:read_mapped",
    "openr1": f"{_IMPORTERS}.presets:read_openr1",
    "numina": f"{_IMPORTERS}.presets:read_numina",
    "chat": f"{_IMPORTERS}.presets:read_chat",
    "openai-tools": f"{_IMPORTERS}.presets:read_openai_tools",
    "tau-bench": f"{_IMPORTERS}.tau_bench:read_tau_trajectories",
    "swe-agent": f"{_IMPORTERS}.swe_agent:read_swe_agent",
    "adp": f"{_IMPORTERS}.adp:read_adp",
    "bfcl": f"{_IMPORTERS}.bfcl:read_bfcl",
}
# The outputs a recipe or `export` names: RL prompt sets, the training data construct builds, agent data.
_EXPORTERS = "reasonledger.formats.exporters"
BUILTIN_EXPORTERS = {
    "verl": f"{_EXPORTERS}.rl:VERL",
    "trl_grpo": f"{_EXPORTERS}.rl:TRL_GRPO",
    "openrlhf": f"{_EXPORTERS}.rl:OPENRLHF",
    "sft": f"{_EXPORTERS}.training:SFT",
    "dpo": f"{_EXPORTERS}.training:DPO",
    "trl_stepwise": f"{_EXPORTERS}.training:TRL_STEPWISE",
    "trl_tools": f"{_EXPORTERS}.agent:TRL_TOOLS",
    "verl_tools": f"{_EXPORTERS}.agent:VERL_TOOLS",
}
BUILTIN_BACKENDS = {
    "openai": "reasonledger.generation.backends.http:OpenAIBackend",
    "replay": "reasonledger.generation.backends.replay:ReplayBackend",
    "vllm": "reasonledger.generation.backends.vllm_offline:VLLMBackend",
    "scripted": "reasonledger.generation.backends.scripted:ScriptedBackend",
}
# The environments episodes are replayed against (verifiers/environments/<name>/).
_ENVIRONMENTS = "reasonledger.verifiers.environments"
BUILTIN_ENVIRONMENTS = {
    "swe_lite": f"{_ENVIRONMENTS}.swe.swe_lite:SweLite",
    "shell_fs": f"{_ENVIRONMENTS}.swe.shell_fs:ShellFs",
    "tau_airline": f"{_ENVIRONMENTS}.tau.airline:TauAirline",
    "tau_retail": f"{_ENVIRONMENTS}.tau.retail:TauRetail",
    "function_call": f"{_ENVIRONMENTS}.bfcl.function_call:FunctionCallEnvironment",
    "bfcl_multiturn": f"{_ENVIRONMENTS}.bfcl.multiturn:MultiTurnEnvironment",
}
# The command-line commands: each module's `register(app)` adds its commands to the `reasonledger` app.
BUILTIN_COMMANDS = {name: f"reasonledger.commands.{name}:register" for name in (
    "atlas", "audit", "build", "card", "check", "construct", "export", "plugins", "publish", "records", "scaling")}
# The audit's sections: those of the whole data (quality/whole_data.py), those that read one record at a
# time (quality/sections.py).
_WHOLE_DATA = "reasonledger.quality.whole_data"
BUILTIN_AUDIT_SECTIONS = {
    "contamination": f"{_WHOLE_DATA}:ContaminationSection",
    "near_duplicates": f"{_WHOLE_DATA}:NearDuplicateSection",
    "exact_duplicates": f"{_WHOLE_DATA}:ExactDuplicateSection",
    "mixture": f"{_WHOLE_DATA}:MixtureSection",
    **{name: f"reasonledger.quality.sections:{name}" for name in (
        "difficulty", "length_trap", "trace_answer_consistency", "verifier_agreement", "lineage_completeness",
        "agent_failures")},
}
# Packages whose import registers their steps and sources (`@register_step`, `@register_source`),
# imported on the first lookup of a step or source.
STEP_PACKAGES = ("reasonledger.construct", "reasonledger.quality", "reasonledger.scaling")


def register() -> None:
    """Add every table above to its kind's registry (and the operator's limits as a recipe load
    check); the step and source registries import STEP_PACKAGES on their first lookup."""
    tables = {"verifier": BUILTIN_VERIFIERS, "output": BUILTIN_EXPORTERS, "generation backend": BUILTIN_BACKENDS,
              "import format": BUILTIN_IMPORTERS, "environment": BUILTIN_ENVIRONMENTS,
              "load check": {"operator limits": "reasonledger.verifiers.policy:check_operator_limits"},
              "command": BUILTIN_COMMANDS, "audit section": BUILTIN_AUDIT_SECTIONS}
    for kind, table in tables.items():
        for name, target in table.items():
            registry(kind).add(name, target)
    for kind in ("step type", "source type"):
        registry(kind).import_on_use(*STEP_PACKAGES)


__all__ = ["BUILTIN_AUDIT_SECTIONS", "BUILTIN_BACKENDS", "BUILTIN_COMMANDS", "BUILTIN_ENVIRONMENTS", "BUILTIN_EXPORTERS",
           "BUILTIN_IMPORTERS", "BUILTIN_VERIFIERS", "STEP_PACKAGES", "register"]
