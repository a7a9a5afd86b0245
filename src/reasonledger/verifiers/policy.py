"""What data may change in a verifier's config: it may tighten a limit, never loosen one.

A row's `task.verifier.config`, a recipe step's `config` and a config recorded in a verdict (replayed
by `reaudit`) come from whoever wrote the dataset or recipe. Limits and resource settings (memory,
time, processes, slots, math bounds, isolation, tolerances) belong to the operator: their values are
the verifier's defaults, overridden by the `limits:` section of the user's config file
(`reasonledger.userconfig`), and they are also the maxima. From data:

- a limit above the operator's value is clamped down to it (the row still runs, under the operator's
  limit; clamping rather than rejecting keeps a shared dataset usable on a smaller machine);
- a value that is not a finite number (or a known level), or a negative maximum, is ignored, so
  "disable this bound" with `null`, `inf`, `NaN`, `-1` or a string leaves the operator's value in force;
- a switch that would loosen a check (e.g. `strict_labels: false`) is ignored; one that tightens it is kept;
- operator-only settings (slots, sandbox mode, sample points) are ignored;
- keys the policy does not know are kept: they are not limits (e.g. a reasoning-gym `dataset`).

A row is clamped quietly (`clamp_data_config`); a recipe step or `verify --config` asking for more is
refused with where to raise the limit (`check_step_config`), and is clamped too if it gets through.

Model judges (the judgment family: `judge`, `rubric`, `pairwise`) are not a limit to clamp but a
door: each call sends text the data chose (model output, dataset rows) to a model, at the operator's
cost. A row, a recipe or a recorded verdict may name one only when the operator's config file opens
it (`limits: {judgment: {allow: true, max_calls: N}}`, see `verifiers/judgment/consent.py`);
otherwise `verifier_config` and `check_step_config` raise `JudgmentNotAllowed` (a `ValueError`, so
a step quarantines the row and a recipe fails when it loads).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from reasonledger.userconfig import UserConfigError, load_user_config
from reasonledger.verifiers.judgment.consent import JUDGMENT, check_judgment, judgment_section


@dataclass(frozen=True)
class Bound:
    """Which way is tighter for one key. `kind`: `max` (data may lower it), `min` (data may raise it),
    `at_least` (data may only pick a later entry of `order`), `only` (data may only set `value`),
    `operator` (data may not set it). `default` is used when the verifier keeps no defaults table."""

    kind: str
    order: tuple[str, ...] = ()
    value: Any = None
    default: Any = None


MAX, OPERATOR = Bound("max"), Bound("operator")
ONLY_TRUE, ONLY_FALSE = Bound("only", value=True), Bound("only", value=False)

_MATH_LIMITS = ("max_response_chars", "max_answer_chars", "max_depth", "max_int_bits", "max_exponent",
                "max_factorial", "max_terms", "max_items", "max_tokens")

# The policy's list of every built-in verifier's limit keys (see each verifier's DEFAULTS).
LIMIT_KEYS: dict[str, dict[str, Bound]] = {
    "code": {
        "time_limit": MAX, "memory_limit_mb": MAX, "output_limit_bytes": MAX, "pids_limit": MAX,
        "judge_time": MAX, "max_timeouts": MAX, "fail_fast": ONLY_TRUE,
        "min_isolation": Bound("at_least", order=("none", "spawn", "worker")),
        "mode": OPERATOR, "slots": OPERATOR,
    },
    "math": {
        "timeout": MAX, "rel_tol": MAX, "exact_rel_tol": MAX, "points": OPERATOR,
        "strict_labels": ONLY_TRUE, "percent_forms": ONLY_FALSE, "set_relation_symmetric": ONLY_FALSE,
        "symbolic": ONLY_FALSE, **{key: MAX for key in _MATH_LIMITS},
        "fallback": OPERATOR,  # a model judge that may pass what the rules reject: the operator's choice alone
    },
    "reasoning_gym": {"pass_threshold": Bound("min", default=1.0)},
    "exact": {"case_sensitive": Bound("only", value=True, default=False), "choice": Bound("only", value=False, default=False)},
}


@cache  # constants of the code: worked out once, not on every verifier lookup (callers only read it)
def _verifier_defaults(name: str) -> dict[str, Any]:
    if name == "code":
        from reasonledger.verifiers.code.verifier import DEFAULTS

        return dict(DEFAULTS)
    if name == "math":
        from reasonledger.verifiers.math.limits import Limits
        from reasonledger.verifiers.math.verifier import DEFAULTS

        return {**DEFAULTS, **asdict(Limits())}
    return {key: bound.default for key, bound in LIMIT_KEYS.get(name, {}).items()}


def check_operator_limits() -> dict[str, dict[str, Any]]:
    """The `limits:` of the user's config file, each verifier and key checked to be a known limit."""
    limits = load_user_config().limits
    for name, values in limits.items():
        if name == JUDGMENT:
            judgment_section(values)
            continue
        known = LIMIT_KEYS.get(name)
        if known is None:
            raise UserConfigError(f"limits.{name}: no verifier with limits is called {name!r}; "
                                  f"known: {', '.join(sorted([*LIMIT_KEYS, JUDGMENT]))}")
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise UserConfigError(f"limits.{name}.{unknown[0]}: not a limit of the {name} verifier; "
                                  f"known: {', '.join(sorted(known))}")
        for key, value in values.items():
            bound = known[key]
            if (bound.kind in ("max", "min") and _number(value) is None) or \
                    (bound.kind == "at_least" and value not in bound.order) or \
                    (bound.kind == "only" and not isinstance(value, bool)):
                want = {"max": "a finite number", "min": "a finite number", "only": "true or false",
                        "at_least": " or ".join(bound.order)}.get(bound.kind, "")
                raise UserConfigError(f"limits.{name}.{key}: {value!r} is not {want}")
    return limits


def operator_overrides(verifier_name: str) -> dict[str, Any]:
    """The limits the user's config file sets for this verifier (empty when it sets none): the base
    of every instance's config, so an operator's raised limit is also used, not only allowed."""
    return dict(check_operator_limits().get(verifier_name, {}))


def operator_limits(verifier_name: str) -> dict[str, Any]:
    """The operator's value of every limit key of this verifier: its default unless the user's config sets it."""
    defaults = _verifier_defaults(verifier_name)
    overrides = operator_overrides(verifier_name)
    return {key: overrides.get(key, defaults.get(key)) for key in LIMIT_KEYS.get(verifier_name, {})}


def clamp_data_config(verifier_name: str, data_config: dict) -> dict:
    """The part of a data-supplied config that the operator allows (see the module docstring)."""
    bounds = LIMIT_KEYS.get(verifier_name, {})
    if not bounds:
        return dict(data_config)
    operator = operator_limits(verifier_name)
    allowed: dict[str, Any] = {}
    for key, value in data_config.items():
        bound = bounds.get(key)
        if bound is None:
            allowed[key] = value
            continue
        kept = _tightened(bound, value, operator[key])
        if kept is not _IGNORE:
            allowed[key] = kept
    return allowed


def check_step_config(verifier_name: str | None, config: dict) -> None:
    """Refuse a step's config (a recipe's, or `verify --config`) that asks for more than the operator
    allows, saying where to raise the limit: a row is clamped quietly, a recipe or command is told.
    With no verifier named, the config goes to each row's verifier: it is checked against all of them."""
    if verifier_name:
        check_judgment(verifier_name, config)
    names = [verifier_name] if verifier_name else sorted(LIMIT_KEYS)
    problems = []
    for name in names:
        bounds = LIMIT_KEYS.get(name, {})
        allowed = clamp_data_config(name, {k: v for k, v in config.items() if k in bounds})
        for key in sorted(set(config) & set(bounds)):
            if allowed.get(key, _IGNORE) != config[key]:
                why = ("is the operator's setting" if bounds[key].kind == "operator" else
                       f"is looser than the operator's {operator_limits(name)[key]!r}")
                problems.append(f"config.{key}: {config[key]!r} {why} for the {name} verifier; only your own "
                                f"config file may change it (limits: {{{name}: {{{key}: ...}}}})")
    if problems:
        raise ValueError("\n".join(problems))


def verifier_config(verifier_name: str, data_config: dict) -> dict:
    """The config a verifier runs with when data asks for `data_config`: the operator's own settings
    (user config file) with the allowed part of the data's on top. What `VerifierPool` builds; a model
    judge the operator has not allowed raises JudgmentNotAllowed."""
    overrides = operator_overrides(verifier_name)  # also checks the operator's file
    # most rows ask for no limit: then nothing is clamped, and the operator's limits need not be worked out
    asked = dict(data_config) if LIMIT_KEYS.get(verifier_name, {}).keys().isdisjoint(data_config) \
        else clamp_data_config(verifier_name, data_config)
    config = {**overrides, **asked}
    check_judgment(verifier_name, config)
    return config


_IGNORE = object()


def _number(value: Any) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value if math.isfinite(value) else None


def _tightened(bound: Bound, value: Any, ours: Any) -> Any:
    """The data's value if it is at least as tight as ours, ours if it is looser, _IGNORE if it says nothing valid."""
    if bound.kind == "operator":
        return _IGNORE
    if bound.kind == "only":
        return value if value is bound.value else _IGNORE
    if bound.kind == "at_least":
        if value not in bound.order or ours not in bound.order:
            return _IGNORE
        return value if bound.order.index(value) >= bound.order.index(ours) else ours
    number = _number(value)
    if number is None or (bound.kind == "max" and number < 0):
        return _IGNORE
    limit = _number(ours)
    if limit is None:  # the operator leaves it unbounded: nothing to clamp against
        return number
    looser = number > limit if bound.kind == "max" else number < limit
    return ours if looser else number
