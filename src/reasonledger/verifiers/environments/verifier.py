"""The environmental verifier: replay a recorded episode against its pinned environment and judge it
component by component.

It rebuilds the initial state from the spec's environment and revision, re-applies the recorded
calls, compares each observation with the recorded one (exactly, unless the config names a reason
to be lenient), and asks the environment for its reward components. A revision that cannot be
rebuilt, or an initial state that does not hash as the spec says, is its own outcome and is never
re-scored. Failed calls become `step:i` verdicts: process labels for free.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from reasonledger.records.agent import EnvironmentSpec, actions_from_messages, agent_said, environment_spec
from reasonledger.records.model import Action, Behaviour, Kind, Record, Source, Task, Verdict, hash_observation
from reasonledger.records.targets import step_target
from reasonledger.registry import registry
from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.environments.base import (Component, Environment, EnvironmentUnavailable, RevisionMismatch,
                                                      StepResult, ToolCall)

Outcome = Literal["success", "wrong_state", "missing_output", "truncated_state_correct", "truncated", "agent_error",
                  "policy_violation", "env_error", "env_revision_mismatch"]
OUTCOMES: tuple[str, ...] = Outcome.__args__  # type: ignore[attr-defined]
EPISODE_KINDS = (Kind.tool_trajectory, Kind.episode)
DEFAULT_BASIS = ("state", "outputs")  # when a spec names no reward basis: the components τ-bench-style rewards use
# a repaired file that fails its tests is a wrong final state, like a wrong database
_FAILED_COMPONENT = {"state": "wrong_state", "outputs": "missing_output", "fail_to_pass": "wrong_state",
                     "pass_to_pass": "wrong_state"}
OBSERVATION_CHARS = 500  # how much of a failed call's observation a step verdict keeps


def open_environment(spec: EnvironmentSpec, options: Mapping[str, Any]) -> Environment:
    """The spec's environment (the `environment` registry), built with the options its constructor
    takes (the spec's revision unless the options name one; None left out), reset to the spec's task:
    the episodes step plays on it as this verifier replays on it."""
    cls = registry("environment")[spec.env]
    accepted = inspect.signature(cls).parameters
    chosen = {"revision": spec.revision, **options}
    env = cls(**{k: v for k, v in chosen.items() if k in accepted and v is not None})
    env.reset(spec.task, seed=0)
    return env


class EnvironmentVerifier(Verifier):
    """Replays a recorded episode against its pinned environment and judges each reward component.

    One verdict per reward component, one per failed call (`step:i`) and one for the episode with its
    outcome and first divergence.

    Config: `observations` "strict" (default: every observation must equal the recorded one) or
    "lenient" (JSON-equal or equal up to whitespace) with a `lenient_reason`; `revision` to replay at
    another data revision than the spec's (reported as env_revision_mismatch, never re-scored);
    `data_root` for environments that read data files (else `$REASONLEDGER_DATA_ROOT`); `unanswered`
    "skip" (default: a call the harness never answered did not run) or "run" (a policy's proposed calls,
    as a trainer's completion holds them: each is applied, with nothing recorded to compare).
    """

    id = "environment"
    version = "1.0.0"
    family = "environmental"
    label_source = "environment"

    def __init__(self, **config: Any) -> None:
        super().__init__(**config)
        unknown = set(config) - {"observations", "lenient_reason", "revision", "data_root", "unanswered"}
        if unknown:
            raise TypeError(f"unexpected config {sorted(unknown)}; known: observations, lenient_reason, revision, "
                            "data_root, unanswered")
        if config.get("unanswered", "skip") not in ("skip", "run"):
            raise ValueError(f"unanswered must be 'skip' or 'run', not {config['unanswered']!r}")
        mode = config.get("observations", "strict")
        if mode not in ("strict", "lenient"):
            raise ValueError(f"observations must be 'strict' or 'lenient', not {mode!r}")
        if mode == "lenient" and not str(config.get("lenient_reason") or "").strip():
            raise ValueError("lenient observation comparison needs a lenient_reason saying why exact replay cannot hold")
        self.lenient = mode == "lenient"

    def verify(self, reference: Any, response: str) -> Verdict:
        """The episode verdict for an episode given as text: its conversation as a JSON list of
        messages, or a JSON object with `messages` and/or `actions` and `termination`."""
        try:
            behaviour = _behaviour(response)
        except ValueError as exc:
            return self._episode("env_error", reason=f"response: {exc}")
        return self.judge(reference, behaviour)[-1]

    def card(self) -> dict[str, Any]:
        return {
            **super().card(),
            "formats": {
                "reference": "an EnvironmentSpec (records.agent): environment, data revision, initial-state hash, task, "
                             "gold actions, required outputs, reward basis, limits",
                "response": "the whole record (verify_record): behaviour.actions or behaviour.messages with OpenAI "
                            "tool calls and tool replies, and termination; `verify` takes the same as JSON text",
            },
            "native_signal": "one verdict per reward component (state, outputs, actions, ...), one per failed call "
                             "(step:i), and the episode's: outcome in " + ", ".join(OUTCOMES)
                             + "; reward 1.0 when every component of the spec's basis passes",
            "environments": registry("environment").names(),
            "known_false_negatives": [
                "an environment that differs from the recording harness (tools, data) cannot judge the agent: the "
                "episode is env_error (observations diverge) or env_revision_mismatch, never a silent re-score",
                "τ-bench outputs are substrings of what the agent said, commas removed: 1,000.00 for 1000 is missed",
                "a run cut at the step limit is not a success even with every component right (truncated_state_correct)",
            ],
            "known_false_positives": [
                "τ-bench's state check accepts any path to the gold database, including one its policy forbids "
                "(the tools do not enforce the policy text)",
                "a call the recording never answered is not replayed; what it would have done is not judged",
            ],
        }

    # -- the record-wise check ----------------------------------------------------------------------

    def verify_record(self, record: Record) -> list[Verdict]:
        if record.kind not in EPISODE_KINDS:
            return [self._episode("env_error", reason=f"a {record.kind.value} record is not an episode")]
        return self.judge(record.task.reference, record.behaviour)

    def judge(self, reference: Any, behaviour: Behaviour) -> list[Verdict]:
        """Every verdict on one episode: its reference (an EnvironmentSpec) and what the agent did."""
        try:
            spec = environment_spec_of(reference)
        except ValueError as exc:
            return [self._episode("env_error", reason=str(exc))]
        try:
            actions = _actions(behaviour)
        except ValueError as exc:
            return [self._episode("env_error", reason=f"behaviour: {exc}")]
        revision = self.config.get("revision") or spec.revision
        try:
            env = self._open(spec, revision)
        except RevisionMismatch as exc:
            return [self._episode("env_revision_mismatch", reason=str(exc), revision=revision,
                                  pinned_revision=spec.revision)]
        except EnvironmentUnavailable:
            raise  # no data here at all: every episode would say so; the set-up is wrong, stop and say it
        except Exception as exc:  # an unknown environment, a task its data lacks: this record cannot be judged
            return [self._episode("env_error", reason=f"{type(exc).__name__}: {exc}")]
        initial = env.state_hash()
        mismatch = _revision_mismatch(spec, revision, initial)
        replay = self._replay(env, actions)
        if mismatch:
            # shown where the recording stops matching, but not judged: other data is not the recorded world
            return [self._episode("env_revision_mismatch", reason=mismatch, revision=revision,
                                  pinned_revision=spec.revision, initial_state_hash=initial,
                                  first_divergence=replay.first_divergence)]
        payload = {**spec.task, "gold_actions": [a.model_dump() for a in spec.gold_actions],
                   "required_outputs": list(spec.required_outputs)}
        try:
            components = env.check(payload, agent_said(behaviour.messages or ()), replay.calls)
        except Exception as exc:  # the environment could not judge (bad gold actions, missing task data)
            return [*replay.step_verdicts(self), self._episode("env_error", reason=f"check: {type(exc).__name__}: {exc}",
                                                                 first_divergence=replay.first_divergence)]
        unjudged = [name for name in spec.reward_basis if name not in {c.name for c in components}]
        if unjudged:  # a basis naming nothing the environment judges would pass every episode
            return [*replay.step_verdicts(self), self._episode(
                "env_error", reason=f"the reward basis names {', '.join(unjudged)}, which {spec.env} does not judge "
                f"(it judges {', '.join(c.name for c in components)}); fix the spec's reward_basis",
                first_divergence=replay.first_divergence)]
        basis = list(spec.reward_basis) or [c.name for c in components if c.name in DEFAULT_BASIS] \
            or [c.name for c in components]
        verdicts = [self.verdict(c.passed, score=c.score, target=c.name, in_basis=c.name in basis, **c.evidence)
                    for c in components]
        outcome, reason = self._outcome(behaviour, replay, components, basis)
        reward = float(all(c.passed for c in components if c.name in basis))
        return [*verdicts, *replay.step_verdicts(self), self._episode(
            outcome, reason=reason, reward=reward, reward_basis=basis, first_divergence=replay.first_divergence,
            divergences=replay.divergences[:5], termination=behaviour.termination, revision=revision,
            initial_state_hash=initial, final_state_hash=env.state_hash(), steps=len(replay.results),
            failed_steps=len(replay.failed), changed_state_at=[i for i, _, r in replay.results if r.changed],
            unanswered_calls=replay.unanswered,
            observations="lenient" if self.lenient else "strict",
            **({"lenient_reason": self.config["lenient_reason"]} if self.lenient else {}))]

    def _open(self, spec: EnvironmentSpec, revision: str | None) -> Environment:
        pinned = getattr(registry("environment")[spec.env], "revisions", None)
        if revision is not None and pinned is not None and revision not in pinned:
            raise RevisionMismatch(f"{spec.env} pins revisions {', '.join(pinned)}, not {revision!r}")
        return open_environment(spec, {"data_root": self.config.get("data_root"), "revision": revision})

    def _replay(self, env: Environment, actions: Sequence[Action]) -> "Replay":
        replay = Replay()
        for i, action in enumerate(actions):
            unrecorded = action.observation is None and action.observation_hash is None
            if unrecorded and self.config.get("unanswered", "skip") == "skip":
                replay.unanswered.append(i)  # the harness never answered it: it did not run
                continue
            call = _call(action)
            result = env.step(call)
            replay.results.append((i, call, result))
            if not unrecorded and not self._same(result.observation, action):
                replay.divergences.append(i)
        return replay

    def _same(self, observation: Any, action: Action) -> bool:
        if action.observation is None:
            return hash_observation(observation) == action.observation_hash
        if observation == action.observation:
            return True
        return self.lenient and _loose(observation) == _loose(action.observation)

    def _outcome(self, behaviour: Behaviour, replay: "Replay", components: list[Component],
                 basis: list[str]) -> tuple[str, str | None]:
        by_name = {c.name: c for c in components}
        if replay.divergences and not self.lenient:
            return "env_error", (f"the observation of step {replay.first_divergence} differs from the recorded one: "
                                 "this environment is not the one the episode was recorded in")
        if any(result.error_kind == "policy" for _, _, result in replay.failed):
            return "policy_violation", None
        termination = behaviour.termination
        if termination == "error":
            return "agent_error", "the episode ended on an error"
        if termination == "max_steps":
            state = by_name.get("state")
            if state is not None and state.passed:
                return "truncated_state_correct", "cut at the step limit with the final state correct"
            return "truncated", "cut at the step limit"
        for name in basis:
            if name in by_name and not by_name[name].passed:
                return _FAILED_COMPONENT.get(name, "agent_error"), f"component {name} failed"
        return "success", None

    def _episode(self, outcome: str, **evidence: Any) -> Verdict:
        evidence.setdefault("first_divergence", None)
        return self.verdict(outcome == "success", target="episode", outcome=outcome, **evidence)


class Replay:
    """What re-applying the recorded calls gave: each call made with its index and result, the
    indices whose observation diverged and those of calls never answered (not replayed)."""

    def __init__(self) -> None:
        self.results: list[tuple[int, ToolCall, StepResult]] = []
        self.divergences: list[int] = []
        self.unanswered: list[int] = []

    @property
    def calls(self) -> list[ToolCall]:
        return [call for _, call, _ in self.results]

    @property
    def failed(self) -> list[tuple[int, ToolCall, StepResult]]:
        return [entry for entry in self.results if not entry[2].ok]

    @property
    def first_divergence(self) -> int | None:
        return self.divergences[0] if self.divergences else None

    def step_verdicts(self, verifier: Verifier) -> list[Verdict]:
        """One failing verdict per failed call, with its index among the recorded actions."""
        return [verifier.verdict(False, target=step_target(i), name=call.name, error_kind=result.error_kind,
                                 observation=str(result.observation)[:OBSERVATION_CHARS])
                for i, call, result in self.failed]


def environment_spec_of(reference: Any) -> EnvironmentSpec:
    """The spec a reference holds; a ValueError saying what is wrong when it is not one."""
    return environment_spec(Task(prompt="", reference=reference, source=Source(dataset="-")))


def _behaviour(response: str) -> Behaviour:
    try:
        value = json.loads(response)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON ({exc})") from None
    if isinstance(value, list):
        value = {"messages": value}
    if not isinstance(value, dict):
        raise ValueError("expected a JSON list of messages or an object with messages/actions")
    try:
        return Behaviour.model_validate({k: value[k] for k in ("messages", "actions", "termination") if k in value})
    except ValidationError as exc:
        raise ValueError(str(exc)) from None


def _actions(behaviour: Behaviour) -> list[Action]:
    """The calls to replay. When the conversation holds the tool calls, they are read from it: its
    arguments are the text the model wrote, in its key order, which a tool that stores them (τ-bench's
    bookings) shows back; stored actions hold them as canonical JSON, keys sorted."""
    messages = behaviour.messages or []
    if any(m.tool_calls for m in messages):
        return actions_from_messages(messages)
    return list(behaviour.actions or [])


def _call(action: Action) -> ToolCall:
    """The parsed call; arguments that were not a JSON object stay unparsed, so no tool accepts them."""
    if action.arguments is None:
        raw = action.action.get("arguments") if isinstance(action.action, Mapping) else action.action
        return ToolCall(action.name or "", {"__unparsed__": raw}, action.id or "")
    return ToolCall(action.name or "", dict(action.arguments), action.id or "")


def _revision_mismatch(spec: EnvironmentSpec, revision: str | None, initial: str) -> str | None:
    if spec.revision is not None and revision != spec.revision:
        return f"replayed at revision {revision}, recorded at {spec.revision}"
    if spec.initial_state_hash is not None and initial != spec.initial_state_hash:
        return f"the initial state hashes to {initial}, the spec pins {spec.initial_state_hash}"
    return None


def _loose(value: Any) -> Any:
    """A lenient form of an observation: parsed JSON when it is JSON text, else its words."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return " ".join(value.split())
    return value
