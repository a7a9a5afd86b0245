"""What a verdict judged, and what the verdicts on a record say: the record's own vocabulary.

A verdict's `target` names the part of the record it judged: `answer`, `reference`, `rollout:j`,
`step:i`, `chosen` or `rejected`, each spelt and parsed here only (`Target`); the environment verifier
also names its reward components (`state`, `outputs`, ...) and the whole `episode`, and a rubric its
items (`rubric:<id>` on the answer, `rollout:j/rubric:<id>` on a rollout: `part_target`). The facts every room reads from verdicts are here too: the text each target
holds, the verdict on each rollout, the reference's own answer, and what a rollout set's pass rate is
conditional on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reasonledger.records.model import Kind, Record, Verdict

UNKNOWN = "unknown"
INDEXED = ("rollout", "step")  # targets that carry an index: `rollout:j`, `step:i`
ANSWER, REFERENCE, CHOSEN, REJECTED = "answer", "reference", "chosen", "rejected"


@dataclass(frozen=True)
class Target:
    """A verdict's target, typed: `Target("rollout", 3)` is written `rollout:3`."""
    name: str
    index: int | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        """The target `text` names; an indexed name with no number after it keeps index None."""
        name, sep, tail = text.partition(":")
        if sep and name in INDEXED and tail.isascii() and tail.isdigit():
            return cls(name, int(tail))
        return cls(text)

    def __str__(self) -> str:
        return self.name if self.index is None else f"{self.name}:{self.index}"


def rollout_target(j: int) -> str:
    """The target of the verdict on rollout `j` of a rollout set."""
    return str(Target("rollout", j))


def rollout_index(target: str) -> int | None:
    """j for a `rollout:j` target, None for any other target."""
    parsed = Target.parse(target)
    return parsed.index if parsed.name == "rollout" else None


def step_target(i: int) -> str:
    """The target of the verdict on step `i` (a reasoning step, or an episode's i-th call)."""
    return str(Target("step", i))


def step_index(target: str) -> int | None:
    """i for a `step:i` target, None for any other target."""
    parsed = Target.parse(target)
    return parsed.index if parsed.name == "step" else None


PARTS = ("rubric",)  # parts of a response a verdict may judge: a rubric's items, `rubric:<id>`
PART_SEPARATOR = "/"


def part_target(whole: str, part: str) -> str:
    """The target of a verdict on a part (`rubric:<id>`) of the response `whole` names: the part alone
    on the answer, `whole/part` on anything else (`rollout:2/rubric:<id>`)."""
    return part if whole == ANSWER else f"{whole}{PART_SEPARATOR}{part}"


def is_part(target: str) -> bool:
    """Whether `target` names a part of a response (a rubric item) rather than a whole one."""
    return PART_SEPARATOR in target or target.partition(":")[0] in PARTS


def whole_target(target: str) -> str:
    """The target of the whole response a part target belongs to (`answer` for `rubric:<id>`,
    `rollout:2` for `rollout:2/rubric:<id>`); any other target is its own whole."""
    if PART_SEPARATOR in target:
        return target.split(PART_SEPARATOR, 1)[0]
    return ANSWER if is_part(target) else target


def target_kind(target: str) -> str:
    """What a target is, without its index or item id: `rollout:3` is `rollout`, `rubric:safety` is
    `rubric`, `rollout:3/rubric:safety` is `rollout/rubric`."""
    return PART_SEPARATOR.join(one.partition(":")[0] for one in target.split(PART_SEPARATOR))


def targets(record: Record) -> list[tuple[str, str]]:
    """(target, response text) for every checkable part of a record's behaviour."""
    b = record.behaviour
    if record.kind == Kind.rollout_set:
        return [(rollout_target(j), r.response) for j, r in enumerate(b.rollouts or [])]
    if record.kind == Kind.preference_pair:
        return [(CHOSEN, b.chosen or ""), (REJECTED, b.rejected or "")]
    text = b.response if b.response is not None else b.answer if b.answer is not None else b.trace
    return [] if text is None else [(ANSWER, text)]


class VerdictChoiceError(ValueError):
    """Rollouts carry verdicts from several verifiers and none was chosen."""


def rollout_verdicts(record: Record, verifier: str | None = None, *, strict: bool = False) -> dict[int, Verdict]:
    """The verdict on each rollout: the latest one by `verifier`, or by the verifier that judged
    the rollouts last when none is named (so two verifiers' verdicts are never mixed).

    `strict` (for figures such as pass@k, which must not pick a verifier silently): with no verifier
    named, a rollout judged by two verifiers raises `VerdictChoiceError`, and each rollout otherwise
    keeps its own latest verdict, whichever verifier gave it."""
    judged = [(rollout_index(v.target), v) for v in record.verdicts]
    judged = [(j, v) for j, v in judged if j is not None and (verifier is None or v.verifier == verifier)]
    if not judged:
        return {}
    if strict:
        chosen: dict[int, Verdict] = {}
        for j, v in judged:
            if j in chosen and chosen[j].verifier != v.verifier:
                raise VerdictChoiceError(f"record {record.id}: rollout {j} was judged by {chosen[j].verifier!r} and "
                                         f"{v.verifier!r}; choose one verifier (--verifier NAME)")
            chosen[j] = v
        return chosen
    name = verifier or judged[-1][1].verifier
    return {j: v for j, v in judged if v.verifier == name}


def split_by_verdict(verdicts: dict[int, Verdict]) -> tuple[list[int], list[int]]:
    """(indices of rollouts that passed, indices that failed) of `rollout_verdicts`, in sample order."""
    passed = sorted(j for j, v in verdicts.items() if v.passed)
    failed = sorted(j for j, v in verdicts.items() if not v.passed)
    return passed, failed


def gold_answer(reference: Any) -> str | None:
    """The reference's own answer as a response would state it (None when it has none)."""
    if isinstance(reference, dict):
        reference = reference.get("answer")
    if reference is None:
        return None
    return reference if isinstance(reference, str) else str(reference)


def gold_candidate(record: Record) -> tuple[str, str] | None:
    """(where it came from, text): the answer the source itself gives as right, if any. In order:
    the reference's own answer; a reasoning-gym entry's `example_answer` (families such as
    propositional_logic have many right answers, so no single gold, but the generator gives one);
    the solution the dataset ships, attached as the response (`meta.solution_origin`, MBPP and
    HumanEval imported with `attach_solutions`), which the verifier runs against the tests."""
    reference = record.task.reference
    answer = gold_answer(reference)
    if answer is not None:
        return "reference", answer
    if isinstance(reference, dict) and isinstance(reference.get("metadata"), dict):
        example = reference["metadata"].get("example_answer")
        if example is not None:
            return "example_answer", example if isinstance(example, str) else str(example)
    if record.meta.get("solution_origin") and record.behaviour.response is not None:
        return "canonical_solution", record.behaviour.response
    return None


def judged_without_answer(reference: Any) -> bool:
    """A reference the verifier judges from without a single gold answer: a mapping holding more than
    an answer (tests to run, premises to check a conclusion against)."""
    return isinstance(reference, dict) and any(v not in (None, "", [], {}) for k, v in reference.items() if k != "answer")


def conditioning(record: Record, verdict: Verdict, n: int) -> dict[str, Any]:
    """What a rollout set's pass rate is conditional on (policy and revision, n, sampling, template,
    the verifier of `verdict`); fields nobody recorded say `unknown`."""
    events = [e for e in record.lineage.events if e.model or e.sampling]
    event = next((e for e in reversed(events) if e.step == "rollouts"), events[-1] if events else None)
    sampling = (event.sampling if event else None) or {}
    policy = event.model if event and event.model else None
    if policy is None:
        models = sorted({str(r.meta["model"]) for r in record.behaviour.rollouts or [] if r.meta.get("model")})
        policy = "+".join(models) if models else None
    return {
        "policy": policy or UNKNOWN,
        "revision": (event.revision if event else None) or UNKNOWN,
        "n": n,
        "temperature": sampling.get("temperature", UNKNOWN),
        "max_tokens": sampling.get("max_tokens", UNKNOWN),
        "template": sampling.get("template", UNKNOWN),
        "verifier": verdict.verifier,
        "verifier_version": verdict.version,
        "verifier_config": verdict.config_hash,
    }
