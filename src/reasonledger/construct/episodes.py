"""`episodes`: a policy behind the generation backend acts on an environment, one episode record each.

Each task whose reference is an environment spec gets `n` episodes. The policy is asked with the
whole conversation and the environment's tool schemas; the tool calls it answers with (OpenAI
`tool_calls`) are parsed as JSON and dispatched by name through the environment's method table,
never evaluated; each call becomes an `Action` with its observation, whether it failed and how, and
the state hash after it. Without a user simulator the task's prompt is the first user turn and the
episode ends when the policy answers without a tool call (`agent_stop`), unless the environment
scripts further user turns (`Environment.user_turns`, BFCL multi-turn): then the next one is fed
when the policy ends a turn, each call is given the id `t<turn>.<n>` the environment's check splits
turns by, and `max_steps` counts the policy turns of one user turn (as BFCL's step limit does). With
a user simulator (τ-bench style), a
second model behind the same kind of backend plays the user from the task's instruction; what the
policy says goes to it, and its `###STOP###` ends the episode (`user_stop`). `max_steps` policy turns
end it too (`max_steps`); a tool the environment marks as terminating (τ-bench's transfer to a
human) ends it as `agent_stop`. The spec's `limits.time_s` is not applied here: a wall-clock cut
would make an episode depend on how fast the server was.

All episodes of a batch advance together, one round of requests per turn, through the generators'
request caches: a killed build re-asks every turn it had and gets it from the cache, so it resumes
without paying twice and rebuilds the same episodes. Nothing is judged here: the `environment`
verifier replays the recorded actions and checks the episode.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from reasonledger.construct.generating import GeneratingStep, with_replay_files
from reasonledger.construct.prompting import (
    GenerationParams, base_seed, generator_versions, payload, render, sampling_record)
from reasonledger.construct.rollouts import stop_or_drop
from reasonledger.engine.pipeline import batches
from reasonledger.engine.step import StepContext, register_step
from reasonledger.generation.backends.replay import Recorded, replay_line
from reasonledger.generation.generator import Generator
from reasonledger.generation.protocol import (
    Choice, Failure, GenerationRequest, GeneratorSpec, Outcome, Sampling)
from reasonledger.records.agent import EnvironmentSpec, environment_spec, text_hash
from reasonledger.records.model import Action, Kind, LineageEvent, Record, Termination, canonical_json, hash_observation
from reasonledger.registry import registry
from reasonledger.verifiers.environments.base import Environment, RevisionMismatch, ToolCall
from reasonledger.verifiers.environments.verifier import open_environment

AGENT_LOOP = "reasonledger.episodes/1"
DEFAULT_MAX_STEPS = 30
# τ-bench's user simulator (tau_bench/envs/user.py), word for word but for the placeholder.
TAU_USER_SYSTEM = """You are a user interacting with an agent.

Instruction: {instruction}
Rules:
- Just generate one line at a time to simulate the user's message.
- Do not give away all the instruction at once. Only provide the information that is necessary for the current step.
- Do not hallucinate information that is not provided in the instruction. For example, if the agent asks for the order id but it is not mentioned in the instruction, do not make up an order id, just say you do not remember or have it.
- If the instruction goal is satisified, generate '###STOP###' as a standalone message without anything else to end the conversation.
- Do not repeat the exact instruction in the conversation. Instead, use your own words to convey the same information.
- Try to make the conversation as natural as possible, and stick to the personalities in the instruction."""


class UserSimulator(BaseModel):
    """A model playing the user from the task's instruction (the spec's `task[instruction_field]`)."""

    model_config = ConfigDict(extra="forbid")
    generator: GeneratorSpec
    sampling: Sampling = Field(default_factory=lambda: Sampling(temperature=0.0))
    system: str = Field(TAU_USER_SYSTEM, description="the simulator's system prompt; {instruction} is the task's")
    instruction_field: str = "instruction"
    greeting: str = Field("Hi! How can I help you today?", description="the agent's opening line the simulator answers")
    stop: str = "###STOP###"


class EpisodeParams(GenerationParams):
    n: int = Field(1, gt=0, description="episodes per task")
    max_steps: int | None = Field(None, gt=0, description="policy turns per episode; default the spec's "
                                  f"limits.max_steps, else {DEFAULT_MAX_STEPS}")
    system_file: str | None = Field(None, description="the policy's system prompt read from a file (τ-bench's wiki.md)")
    tool_choice: Literal["auto", "required"] | None = "auto"
    user: UserSimulator | None = None
    environment: dict[str, Any] = Field(default_factory=dict, description="options for the environment's "
                                        "constructor it accepts (data_root, revision, ...)")

    @model_validator(mode="after")
    def _one_system(self) -> "EpisodeParams":
        if self.system and self.system_file:
            raise ValueError("system_file: give the policy's system prompt as `system` or `system_file`, not both")
        return self


def tool_schemas(spec: EnvironmentSpec, env: Environment) -> list[dict[str, Any]]:
    """The tools the policy is shown: the spec's, else the environment's own (`Environment.tool_schemas`)."""
    return list(spec.tools) or env.tool_schemas()


def _content(observation: Any) -> str:
    return observation if isinstance(observation, str) else json.dumps(observation, ensure_ascii=False, sort_keys=True)


def _arguments(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text) if text.strip() else {}
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class Episode:
    """One episode's state between rounds: who speaks next, both conversations, the actions so far."""

    record: Record
    spec: EnvironmentSpec
    env: Environment
    sample: int
    seed: int
    max_steps: int
    tools: list[dict[str, Any]]
    messages: list[dict[str, Any]]  # the policy's view
    user_messages: list[dict[str, Any]] | None = None  # the simulator's view (roles swapped)
    script: list[list[dict[str, Any]]] | None = None  # scripted user turns still to come
    user_turn: int = 0  # the scripted user turn the policy is answering
    turn_calls: int = 0  # calls made in that turn
    turn_start: int = 0  # policy turns before it
    actions: list[Action] = field(default_factory=list)
    steps: int = 0
    termination: Termination | None = None
    turn: Literal["policy", "user"] = "policy"
    requests: list[str] = field(default_factory=list)
    finish_reasons: list[str | None] = field(default_factory=list)
    failure: Failure | None = None

    @property
    def done(self) -> bool:
        return self.termination is not None or self.failure is not None


@register_step
class Episodes(GeneratingStep):
    name = "episodes"
    Params = EpisodeParams
    user_generator: Generator | None = None

    def check_at_load(self) -> None:
        super().check_at_load()
        if self.params.system_file:
            self._system_text()
        if self.params.user:
            self._user_spec()

    def versions(self) -> dict[str, str]:
        found = generator_versions(self.params.generator)
        if self.params.user:
            found.update({f"user_{k}": v for k, v in generator_versions(self.params.user.generator).items()})
        return found

    def _system_text(self) -> str | None:
        p = self.params
        if p.system_file:
            path = self.resolve(p.system_file, "system_file")
            if not path.is_file():
                raise ValueError(f"system_file: no such file {path}")
            return path.read_text(encoding="utf-8")
        return p.system

    def _user_spec(self) -> GeneratorSpec:
        assert self.params.user is not None
        return with_replay_files(self, self.params.user.generator, "user.generator")

    def setup(self, ctx: StepContext) -> None:
        super().setup(ctx)
        if self.params.user is not None:
            ctx.count_setup("user_simulator_clients")
            self.user_generator = Generator(self._user_spec(), ctx.run, f"{ctx.step}:user")

    def close(self) -> None:
        super().close()
        if self.user_generator is not None:
            self.user_generator.close()
            self.user_generator = None

    # -- one episode -----------------------------------------------------------------------------

    def _start(self, record: Record, sample: int, system: str | None) -> Episode:
        p = self.params
        spec = environment_spec(record.task)
        env = open_environment(spec, p.environment)
        seed = base_seed(p, record.id, span=p.n) + sample
        max_steps = p.max_steps or spec.limits.max_steps or DEFAULT_MAX_STEPS
        messages: list[dict[str, Any]] = [{"role": "system", "content": system}] if system else []
        episode = Episode(record, spec, env, sample, seed, max_steps, tool_schemas(spec, env), messages)
        scripted = env.user_turns(spec.task)
        if scripted is not None and p.user is not None:
            raise ScriptedUser(f"{spec.env} scripts the user's turns of task {spec.task_id!r}; "
                               "run it without a user simulator")
        if p.user is None:
            first = render(record.task, "chat", p.template, None)["messages"]
            episode.messages += [m for m in first if m["role"] != "system" or not system]
            episode.script = None if scripted is None else scripted[1:]
        else:
            instruction = str(spec.task.get(p.user.instruction_field) or "")
            episode.user_messages = [{"role": "system", "content": p.user.system.replace("{instruction}", instruction)},
                                     {"role": "user", "content": p.user.greeting}]
            episode.turn = "user"
        return episode

    def _policy_request(self, episode: Episode, model: str) -> GenerationRequest:
        body: dict[str, Any] = {"messages": list(episode.messages)}  # the episode goes on; the request does not
        if episode.tools:
            body["tools"] = episode.tools
            if self.params.tool_choice:
                body["tool_choice"] = self.params.tool_choice
        return GenerationRequest("chat", payload(self.params, model, body, 1, episode.seed), episode.sample,
                                 policy_key(episode.messages))

    def _user_request(self, episode: Episode, model: str) -> GenerationRequest:
        user = self.params.user
        assert user is not None and episode.user_messages is not None
        body = {"model": model, "messages": list(episode.user_messages), **user.sampling.body(),
                **user.generator.extra_body}
        if self.params.send_seed:
            body["seed"] = episode.seed
        instruction = str(episode.spec.task.get(user.instruction_field) or "")
        return GenerationRequest("chat", body, episode.sample, user_key(instruction, episode.user_messages))

    def _policy_answer(self, episode: Episode, choice: Choice, ctx: StepContext) -> None:
        """The policy's turn: its tool calls dispatched in order, or its words to the user."""
        episode.steps += 1
        calls = list(choice.tool_calls or ())
        if episode.script is not None:  # ids by turn, as the environment's check splits them
            calls = [{**call, "id": f"t{episode.user_turn}.{episode.turn_calls + i}"} for i, call in enumerate(calls)]
            episode.turn_calls += len(calls)
        message: dict[str, Any] = {"role": "assistant", "content": choice.text}
        if calls:
            message["tool_calls"] = calls
        episode.messages.append(message)
        terminating = getattr(episode.env, "terminate_tools", ())
        for call in calls:
            parsed = ToolCall.from_openai(call)
            result = episode.env.step(parsed)
            arguments = _arguments(call["function"]["arguments"])
            episode.actions.append(Action(
                id=call["id"], name=parsed.name, arguments=arguments,
                action=None if arguments is not None else {"arguments": call["function"]["arguments"]},
                observation=result.observation, observation_hash=hash_observation(result.observation),
                ok=result.ok, error_kind=result.error_kind, state_hash=episode.env.state_hash()))
            episode.messages.append({"role": "tool", "tool_call_id": call["id"], "name": parsed.name,
                                     "content": _content(result.observation)})
            ctx.count("tool_calls")
            if not result.ok:
                ctx.tally("tool_calls.failed", str(result.error_kind))
            if parsed.name in terminating:
                episode.termination = "agent_stop"
        if episode.termination is None and not calls:
            if episode.script:  # the next scripted user turn
                episode.messages.extend(dict(m) for m in episode.script.pop(0))
                episode.user_turn, episode.turn_calls, episode.turn_start = episode.user_turn + 1, 0, episode.steps
            elif self.params.user is None:
                episode.termination = "agent_stop"
            else:
                assert episode.user_messages is not None
                episode.user_messages.append({"role": "user", "content": choice.text})
                episode.turn = "user"
        if (episode.termination is None and episode.turn == "policy"
                and episode.steps - episode.turn_start >= episode.max_steps):
            episode.termination = "max_steps"

    def _user_answer(self, episode: Episode, choice: Choice) -> None:
        user = self.params.user
        assert user is not None and episode.user_messages is not None
        episode.user_messages.append({"role": "assistant", "content": choice.text})
        episode.messages.append({"role": "user", "content": choice.text})  # the stop too, as τ-bench keeps it
        if user.stop in choice.text:
            episode.termination = "user_stop"
            return
        episode.turn = "policy"
        if episode.steps >= episode.max_steps:
            episode.termination = "max_steps"

    def _round(self, episodes: list[Episode], ctx: StepContext, model: str, user_model: str | None) -> None:
        """One request for every episode still running, the policy's and the user's each in one batch."""
        for turn in ("policy", "user"):
            active = [e for e in episodes if not e.done and e.turn == turn]
            if not active:
                continue
            generator = self.generator if turn == "policy" else self.user_generator
            assert generator is not None
            requests = [self._policy_request(e, model) if turn == "policy" else self._user_request(e, user_model or "")
                        for e in active]
            outcomes: list[Outcome] = generator.generate(requests, [e.record.id for e in active])
            generator.flush(ctx)
            for episode, request, outcome in zip(active, requests, outcomes):
                if isinstance(outcome, Failure):
                    episode.failure = outcome
                    continue
                choice = outcome.choices[0]
                episode.requests.append(request.key)
                episode.finish_reasons.append(choice.finish_reason)
                if choice.finish_reason == "length":
                    ctx.tally("finish.length", turn)
                if turn == "policy":
                    self._policy_answer(episode, choice, ctx)
                else:
                    self._user_answer(episode, choice)

    def _record(self, episode: Episode, ctx: StepContext, model: str, user_model: str | None,
                system: str | None) -> Record:
        p = self.params
        scaffold: dict[str, Any] = {"agent_loop": AGENT_LOOP, "system_prompt_hash": text_hash(system) if system else None,
                                    "tools_hash": text_hash(json.dumps(episode.tools, sort_keys=True)),
                                    "max_steps": episode.max_steps, "tool_choice": p.tool_choice, "seed": episode.seed}
        if episode.script is not None:
            scaffold["user_turns"] = episode.user_turn + 1 + len(episode.script)
        if p.user is not None:
            scaffold["user_simulator"] = {"model": user_model, "system_hash": text_hash(p.user.system),
                                          "stop": p.user.stop, "sampling": p.user.sampling.body()}
        event = LineageEvent(stage=ctx.stage, step=self.name, params_hash=self.params_hash, model=model,
                             revision=p.generator.revision, seed=episode.seed,
                             sampling=sampling_record(p, n=p.n, tool_choice=p.tool_choice))
        meta = {**episode.record.meta, "episode": {
            "sample": episode.sample, "steps": episode.steps, "requests": episode.requests,
            "finish_reasons": episode.finish_reasons, "final_state_hash": episode.env.state_hash()}}
        return Record(kind=Kind.episode, task=episode.record.task,
                      behaviour={"messages": episode.messages, "actions": episode.actions,
                                 "termination": episode.termination, "scaffold": scaffold},
                      lineage={"parents": [episode.record.id], "events": [*episode.record.lineage.events, event]},
                      meta=meta)

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        if self.generator is None:  # outside a build (a test): set up here
            self.setup(ctx)
        assert self.generator is not None
        model = self.generator.model
        user_model = self.user_generator.model if self.user_generator is not None else None
        system = self._system_text()
        for batch in batches(records, self.params.batch):
            started: list[tuple[Record, list[Episode]]] = []
            for record in batch:
                reason = _unplayable(record)
                if reason is not None:
                    ctx.drop(record, *reason)
                    continue
                try:
                    started.append((record, [self._start(record, j, system) for j in range(self.params.n)]))
                except RevisionMismatch as exc:
                    ctx.drop(record, "env_revision_mismatch", str(exc))
                except ScriptedUser as exc:
                    ctx.drop(record, "scripted_user_turns", str(exc))
            episodes = [e for _, mine in started for e in mine]
            try:
                while any(not e.done for e in episodes):
                    self._round(episodes, ctx, model, user_model)
                for record, mine in started:
                    failures = [e.failure for e in mine if e.failure is not None]
                    if failures:
                        stop_or_drop(self, ctx, record, failures)
                        continue
                    for episode in mine:
                        ctx.tally("termination", str(episode.termination))
                        yield self._record(episode, ctx, model, user_model, system)
            finally:
                for episode in episodes:
                    closer = getattr(episode.env, "close", None)
                    if callable(closer):
                        closer()


class ScriptedUser(ValueError):
    """A task whose environment scripts the user's turns, run with a user simulator as well."""


def _unplayable(record: Record) -> tuple[str, str] | None:
    """(reason, detail) when a task cannot be played: no environment spec, or no such environment."""
    try:
        spec = environment_spec(record.task)
    except ValueError as exc:
        return "not_an_environment_task", str(exc)
    if spec.env not in registry("environment"):
        return "unknown_environment", f"no environment {spec.env!r}; known: {', '.join(registry('environment'))}"
    return None


def policy_key(messages: list[dict[str, Any]]) -> str:
    """What replay finds a policy turn by: the conversation so far, system prompt left out."""
    return canonical_json([m for m in messages if m["role"] != "system"])


def user_key(instruction: str, messages: list[dict[str, Any]]) -> str:
    """What replay finds a simulated user's turn by: the task's instruction and the simulator's
    conversation so far (the greeting, its own lines, what the policy said to it)."""
    return canonical_json({"instruction": instruction, "conversation": [m for m in messages if m["role"] != "system"]})


def episode_replay_lines(episodes: Iterable[Record], role: Literal["policy", "user"] = "policy",
                         greeting: str = UserSimulator.model_fields["greeting"].default,
                         instruction_field: str = "instruction") -> list[dict[str, Any]]:
    """Replay-file lines that make the replay backend answer as these episodes' policy (or user
    simulator) did, so recorded or scripted episodes run again offline, turn for turn: each turn is
    keyed by its whole conversation so far (`policy_key`, `user_key`), and sample j of a task
    answers as its episode j did (`meta.episode.sample`)."""
    answers: dict[str, dict[int, Recorded]] = {}
    for record in episodes:
        sample = int((record.meta.get("episode") or {}).get("sample", 0))
        messages = [m.model_dump(exclude_none=True) for m in record.behaviour.messages or []]
        if role == "policy":
            turns = _policy_turns(messages)
        else:
            instruction = str(environment_spec(record.task).task.get(instruction_field) or "")
            turns = _user_turns(messages, greeting, instruction)
        for prompt, completion in turns:
            answers.setdefault(prompt, {}).setdefault(sample, completion)
    lines = []
    for prompt, by_sample in answers.items():
        first = next(iter(by_sample.values()))  # samples that never asked this prompt are never served it
        lines.append(replay_line(prompt, [by_sample.get(j, first) for j in range(max(by_sample) + 1)]))
    return lines


def _policy_turns(messages: list[dict[str, Any]]) -> Iterator[tuple[str, Recorded]]:
    for index, message in enumerate(messages):
        if message["role"] == "assistant":
            calls = tuple(message.get("tool_calls") or ()) or None
            yield policy_key(messages[:index]), Recorded(Choice(message.get("content", ""),
                                                                "tool_calls" if calls else "stop", tool_calls=calls))


def _user_turns(messages: list[dict[str, Any]], greeting: str, instruction: str) -> Iterator[tuple[str, Recorded]]:
    """The simulator's conversation rebuilt from the policy's: it saw the greeting, then each thing
    the policy said to the user (an assistant turn without tool calls), and answered with each user turn."""
    seen: list[dict[str, Any]] = [{"role": "user", "content": greeting}]
    for message in messages:
        if message["role"] == "assistant" and not message.get("tool_calls"):
            seen.append({"role": "user", "content": message.get("content", "")})
        elif message["role"] == "user":
            yield user_key(instruction, seen), Recorded(Choice(message.get("content", ""), "stop"))
            seen.append({"role": "assistant", "content": message.get("content", "")})


__all__ = ["Episodes", "EpisodeParams", "UserSimulator", "episode_replay_lines", "tool_schemas"]
