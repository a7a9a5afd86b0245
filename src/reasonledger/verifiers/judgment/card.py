"""The judge card: what a judge is and how it measured, computed from measurements only.

Agreement with gold or human labels (accuracy in both orders, kappa), positional agreement, each
probe's false-positive rate with its Wilson interval, P(prefer longer), P(prefer first position),
parse-failure rate, cost, and a self-preference flag when the judge and the generator whose outputs
it judges share a model family. A judge is `safe_as_reward` only when it was probed, no probe's
false-positive upper bound exceeds 2%, and (when measured) its positional agreement is at least 90%;
the card says why not otherwise, and `rewards` refuses an unsafe judge (see `safety.py`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from reasonledger.verifiers.judgment.base import JudgmentVerifier
from reasonledger.verifiers.judgment.probes import ProbeResult

MAX_PROBE_FP_UPPER = 0.02
MIN_POSITIONAL_AGREEMENT = 0.90
_FAMILIES = (
    ("openai", r"^(?:gpt|chatgpt|o[1-9]\b|o[1-9]-|text-davinci|davinci)"), ("anthropic", r"^claude"),
    ("meta-llama", r"^(?:meta-)?llama|^codellama"), ("qwen", r"^qw[e]?n|^qwq"), ("mistral", r"^(?:mistral|mixtral|codestral)"),
    ("google", r"^(?:gemini|gemma|palm|bard)"), ("deepseek", r"^deepseek"), ("microsoft", r"^phi"),
    ("huggingface", r"^smollm"), ("tii", r"^falcon"),
)


def model_family(model: str | None) -> str | None:
    """The model's family from its name (`org/name` or `name`), e.g. gpt-4 -> openai, Qwen2.5-7B -> qwen."""
    if not model:
        return None
    name = model.rsplit("/", 1)[-1].lower()
    for family, pattern in _FAMILIES:
        if re.search(pattern, name):
            return family
    return re.split(r"[-_.:\d]", name, maxsplit=1)[0] or None


def safety(probes: Sequence[ProbeResult] | None, agreement: dict[str, Any] | None) -> tuple[bool, list[str]]:
    """Whether the judge may be used as an RL reward, and every reason it may not."""
    reasons = []
    if not probes:
        reasons.append("not probed: run `reasonledger audit --judge-probes`")
    for p in probes or ():
        if p.n and p.interval[1] > MAX_PROBE_FP_UPPER:
            reasons.append(f"probe {p.name}: {p.false_positives}/{p.n} false positives, Wilson 95% upper bound "
                           f"{p.interval[1]:.1%} > {MAX_PROBE_FP_UPPER:.0%}")
    positional = (agreement or {}).get("positional_agreement")
    if positional is not None and positional < MIN_POSITIONAL_AGREEMENT:
        reasons.append(f"positional agreement {positional:.1%} < {MIN_POSITIONAL_AGREEMENT:.0%}")
    return not reasons, reasons


def judge_card(verifier: JudgmentVerifier, probes: Sequence[ProbeResult] | None = None,
               agreement: dict[str, Any] | None = None, generator_model: str | None = None,
               labelled_on: str | None = None) -> dict[str, Any]:
    """The card of `verifier` from the measurements given (absent ones stay `unknown`)."""
    judge_family, generator_family = model_family(verifier.spec.model), model_family(generator_model)
    safe, reasons = safety(probes, agreement)
    agreement = agreement or {}
    return {
        **verifier.card(),
        "config_hash": verifier.config_hash,
        "model": verifier.spec.model, "revision": verifier.spec.revision, "backend": verifier.spec.backend,
        "decoding": verifier.spec.decoding.model_dump(),
        "agreement": {**agreement, "labelled_on": labelled_on} if agreement else "unknown",
        "positional_agreement": agreement.get("positional_agreement", "unknown"),
        "p_prefer_first": agreement.get("p_prefer_first", "unknown"),
        "p_prefer_longer": agreement.get("p_prefer_longer", "unknown"),
        "parse_failure_rate": agreement.get("parse_failure_rate", "unknown"),
        "probes": [p.to_json() for p in probes] if probes else "unknown",
        "self_preference": {"judge_family": judge_family, "generator_family": generator_family,
                            "flag": bool(judge_family and judge_family == generator_family)},
        "safe_as_reward": safe,
        "unsafe_because": reasons,
        "thresholds": {"max_probe_fp_upper": MAX_PROBE_FP_UPPER, "min_positional_agreement": MIN_POSITIONAL_AGREEMENT},
    }


def _pct(value: Any) -> str:
    return f"{value:.1%}" if isinstance(value, float) else str(value)


def card_markdown(card: dict[str, Any]) -> str:
    """The card as Markdown: identity, safety verdict, agreement, probes."""
    lines = [f"# Judge card: {card['id']}@{card['version']} ({card['config_hash']})", "",
             f"- model: {card['model']} (revision {card['revision'] or 'unknown'}), backend {card['backend']}",
             f"- template: {card['template']['id']} sha256 {card['template']['sha256']}",
             f"- safe as an RL reward: **{'yes' if card['safe_as_reward'] else 'no'}**"]
    lines += [f"  - {reason}" for reason in card["unsafe_because"]]
    sp = card["self_preference"]
    lines.append(f"- self-preference risk: {'yes' if sp['flag'] else 'no'} (judge {sp['judge_family']}, "
                 f"generator {sp['generator_family'] or 'unknown'})")
    for key in ("positional_agreement", "p_prefer_first", "p_prefer_longer", "parse_failure_rate"):
        lines.append(f"- {key.replace('_', ' ')}: {_pct(card[key])}")
    a = card["agreement"]
    if isinstance(a, dict) and "accuracy" in a:
        rates = ", ".join(f"{k.replace('_', ' ')} {_pct(a[k])}" for k in ("false_positive_rate", "false_negative_rate"))
        lines.append(f"- agreement on {a.get('labelled_on') or 'labelled responses'} (n={a['n']}): accuracy "
                     f"{_pct(a['accuracy'])}, kappa {a['kappa']:.3f}, {rates}")
    elif isinstance(a, dict):
        lines.append(f"- agreement on {a.get('labelled_on') or 'labelled pairs'} (n={a['n']}): accuracy "
                     f"{_pct(a['accuracy_ab'])} / {_pct(a['accuracy_ba'])} by order, kappa {a['kappa_ab']:.3f} / "
                     f"{a['kappa_ba']:.3f}")
    if isinstance(card["probes"], list):
        lines += ["", "## Attack probes", "", "| probe | kind | n | false positives | rate | Wilson 95% | gated | calls |",
                  "|---|---|---|---|---|---|---|---|"]
        for p in card["probes"]:
            low, high = p["wilson95"]
            lines.append(f"| {p['probe']} | {p['kind']} | {p['n']} | {p['false_positives']} | {p['rate']:.2%} | "
                         f"[{low:.2%}, {high:.2%}] | {p['gated']} | {p['calls']} |")
    return "\n".join(lines) + "\n"


__all__ = ["MAX_PROBE_FP_UPPER", "MIN_POSITIONAL_AGREEMENT", "card_markdown", "judge_card", "model_family", "safety"]
