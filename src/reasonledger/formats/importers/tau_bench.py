"""τ-bench recorded trajectories (`historical_trajectories/<model>-<domain>.json`) as episode records.

Each row is one conversation of a tool-calling agent with a simulated user on one task. It becomes
an `episode` whose reference is an environment spec pinned to the revision the trajectory was
recorded at (`tau_airline` or `tau_retail`), with the task read from that revision's task file
(Python source, parsed with `ast` by the environment's own reader, never imported), its gold
actions, required outputs, the pinned hash of the initial database and the environment's tool
schemas at that revision (what trl_tools and verl_tools exports show the model). The
recorded reward and its `reward_info` are kept as a `dataset` verdict: what τ-bench said then, not
evidence of what replaying says now (that is the environment verifier's verdict).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reasonledger.formats.importers._common import json_rows
from reasonledger.formats.importers.tool_chat import read_tool_chat
from reasonledger.records.agent import EnvironmentSpec, text_hash
from reasonledger.records.jsonl import parse_rows
from reasonledger.records.model import ErrorKind, Kind, Record, Termination, Verdict
from reasonledger.records.quarantine import BadRow
from reasonledger.verifiers.environments.base import RevisionMismatch
from reasonledger.verifiers.environments.tau.airline import TauAirline
from reasonledger.verifiers.environments.tau.data import TauDataError, read_tasks
from reasonledger.verifiers.environments.tau.env import TauEnvironment
from reasonledger.verifiers.environments.tau.pins import initial_state_hash
from reasonledger.verifiers.environments.tau.retail import TauRetail

REPOSITORY = "sierra-research/tau-bench"
DOMAINS = ("airline", "retail")
ENVIRONMENTS: dict[str, type[TauEnvironment]] = {"airline": TauAirline, "retail": TauRetail}
# τ-bench's run.py default --max-num-steps: one step is one agent turn (a reply or one tool call).
MAX_STEPS = 30
# the tool that hands the user to a human and ends the episode (both domains)
_END_TOOLS = {"transfer_to_human_agents"}
_STOP = "###STOP###"


def _failure(observation: Any) -> ErrorKind | None:
    """τ-bench's environment answers a failed tool with "Error: ..." and an unknown one with "Unknown action ..."."""
    if not isinstance(observation, str):
        return None
    if observation.startswith("Error:"):
        return "tool_error"
    return "unknown_tool" if observation.startswith("Unknown action ") else None


def _termination(messages: list[dict[str, Any]], max_steps: int) -> Termination:
    last = messages[-1]
    if last["role"] == "user" and _STOP in last["content"]:
        return "user_stop"
    if last["role"] == "tool" and last.get("name") in _END_TOOLS:
        return "agent_stop"
    if sum(m["role"] == "assistant" for m in messages) >= max_steps:
        return "max_steps"
    return "error"


def _task_file(path: Path, tasks: str | None, revision: str, domain: str, split: str) -> Path:
    if tasks:
        return Path(tasks)
    # the shared-data layout: <root>/historical/<file>, <root>/rev_<revision>/<domain>/tasks_<split>.py
    return path.parent.parent / f"rev_{revision}" / domain / f"tasks_{split}.py"


def tool_schemas(domain: str, revision: str) -> list[dict[str, Any]]:
    """The domain's tools as its environment shows them at `revision`; none at a revision whose
    tools are not pinned (they may have differed there; replay reports such an episode as
    env_revision_mismatch)."""
    try:
        env = ENVIRONMENTS[domain](data_root=Path(), revision=revision)  # the tools read no data
    except RevisionMismatch:
        return []
    return env.tool_schemas()


def read_tau_trajectories(path: Path, tasks: str | None = None, revision: str | None = None,
                          domain: str | None = None, model: str | None = None, split: str = "test",
                          max_steps: int = MAX_STEPS) -> Iterator[Record | BadRow]:
    """Episode records from a τ-bench trajectory file; `revision` is the τ-bench commit the
    trajectories were recorded at (7362a17 for the published ones) and `tasks` that revision's
    task file (default: `../rev_<revision>/<domain>/tasks_<split>.py` next to the file's folder).
    `domain` and `model` default to the file name's `<model>-<domain>.json`. A row whose recorded
    task differs from the task file's (recorded at another revision) is a bad row."""
    stem = path.name.removesuffix(".json").removesuffix(".jsonl")
    domain = domain or next((d for d in DOMAINS if stem.endswith(f"-{d}")), None)
    if domain not in DOMAINS:
        yield BadRow(str(path), 0, f"which τ-bench domain? name the file <model>-<domain>.json or give domain "
                     f"({' or '.join(DOMAINS)})")
        return
    if not revision:
        yield BadRow(str(path), 0, "give the τ-bench revision the trajectories were recorded at (--revision, "
                     "e.g. 7362a17): the environment is replayed at that revision")
        return
    model = model or stem.removesuffix(f"-{domain}")
    task_path = _task_file(path, tasks, revision, domain, split)
    try:
        task_list = read_tasks(task_path)
    except (OSError, SyntaxError, TauDataError) as exc:
        yield BadRow(str(path), 0, f"cannot read the task file at revision {revision} ({exc}); give its path "
                     "as the `tasks` option")
        return
    tools = tool_schemas(domain, revision)

    def convert(row: dict[str, Any], number: int) -> Record:
        task_id = row["task_id"]
        if not isinstance(task_id, int) or not 0 <= task_id < len(task_list):
            raise ValueError(f"task_id {task_id!r} is not a task of {task_path.name} ({len(task_list)} tasks)")
        task = task_list[task_id]
        info = row["info"]
        recorded = dict(info.get("task") or {})
        if "actions" in recorded:  # recorded as τ-bench's Action(name, kwargs)
            recorded["actions"] = [{"name": a["name"], "arguments": a.get("kwargs") or {}} for a in recorded["actions"]]
        differs = sorted(k for k, v in recorded.items() if task.get(k) != v)
        if differs:
            raise ValueError(f"task {task_id} as recorded differs from {task_path} in {', '.join(differs)}: "
                             f"recorded at another revision than {revision}?")
        chat = read_tool_chat(row["traj"], "traj", classify=_failure)
        system = next((m["content"] for m in chat.prompt if m["role"] == "system"), None)
        outputs = [str(o) for o in task.get("outputs") or []]
        env = f"tau_{domain}"
        spec = EnvironmentSpec(
            env=env, revision=revision, initial_state_hash=initial_state_hash(env, revision), task_id=str(task_id),
            task=task, gold_actions=task["actions"],
            required_outputs=outputs, reward_basis=["state", "outputs"] if outputs else ["state"],
            limits={"max_steps": max_steps}, tools=tools, policy_hash=None if system is None else text_hash(system))
        reward = float(row["reward"])
        return Record(
            kind=Kind.episode,
            task={"prompt": chat.prompt, "reference": spec.as_reference(), "domain": domain,
                  "source": {"dataset": REPOSITORY, "revision": revision, "row_id": str(number - 1),
                             "license": "MIT", "split": split},
                  "verifier": {"name": "environment"}},
            behaviour={"messages": chat.messages, "actions": chat.actions, "response": chat.response,
                       "termination": _termination(chat.messages, max_steps),
                       "scaffold": {"agent_loop": "tool-calling", "user": "llm",
                                    "system_prompt_hash": spec.policy_hash}},
            verdicts=[Verdict(verifier="tau_bench_reward", version=revision, target="episode", score=reward,
                              passed=reward >= 1.0, label_source="dataset",
                              evidence={"origin": f"{path.name} field reward",
                                        "reward_info": info.get("reward_info")})],
            lineage={"events": [{"stage": "import", "step": "tau_bench_trajectories", "model": model}]},
            meta={"task_id": task_id, "trial": row.get("trial"), "user_cost": info.get("user_cost"),
                  **({"message_extras": chat.extras} if chat.extras else {})},
        )

    yield from parse_rows(json_rows(path), str(path), convert)
