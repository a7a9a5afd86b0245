"""Presets for layouts people publish on the Hugging Face Hub: the generic mapping, filled in.

Each is `read_mapped` with the fields of that layout; any option can still be given to override it.
"""

from __future__ import annotations

from functools import partial

from reasonledger.formats.importers.generic import read_mapped

# open-r1/OpenR1-Math-220k: `generations` are the sampled solutions; `correctness_math_verify` and
# `correctness_llama` grade each; `is_reasoning_complete` and `finish_reasons` describe each.
read_openr1 = partial(
    read_mapped, prompt_field="problem", reference_field="answer", response_field="generations",
    label_fields=("correctness_math_verify", "correctness_llama"),
    rollout_fields=("is_reasoning_complete", "finish_reasons"), verifier="math", domain="math",
    dataset="open-r1/OpenR1-Math-220k", license="Apache-2.0")

# AI-MO/NuminaMath-CoT: `solution` is the written chain of thought (the response); its last \boxed{}
# is the reference when it has one (proofs do not); `messages` restates problem and solution.
read_numina = partial(
    read_mapped, prompt_field="problem", response_field="solution", boxed_reference_field="solution",
    verifier="math", domain="math", dataset="AI-MO/NuminaMath-CoT", license="Apache-2.0")

# A chat SFT file: `messages`, the prompt up to the last user turn and the assistant reply after it.
read_chat = partial(read_mapped, prompt_field="messages")

# OpenAI tool-call chats: `messages` with assistant `tool_calls` and `tool` results, as a trajectory;
# the `tools` schemas the model was shown are the reference (an environment spec with no environment).
read_openai_tools = partial(read_mapped, prompt_field="messages", tool_calls=True, tools_field="tools")
