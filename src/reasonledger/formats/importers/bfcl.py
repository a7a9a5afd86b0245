"""BFCL questions and possible answers as records the `environment` verifier checks.

A question file `question/BFCL_v4_<category>.json` is read with its possible answers (by default
`../possible_answer/` beside it, joined by `id`). Single-turn categories (simple_python, multiple,
parallel, parallel_multiple, live_simple) get the `function_call` environment; multi-turn ones
(multi_turn_base, multi_turn_miss_param) get `bfcl_multiturn`, with the function docs of the task's
API classes from `../multi_turn_func_doc/` as its tools. The reference is an environment spec holding
BFCL's entry as the task payload, the gold calls as gold actions and the tools in OpenAI's format (BFCL's
`dict`/`float`/`tuple` types as `object`/`number`/`array`, dots in names as `_`, which the check accepts).

Without `attach_solutions`, each entry is a task (`prompt_answer`) to roll out. With it, it is a
`tool_trajectory` holding a gold answer as behaviour, to verify: single-turn as the Python call text
BFCL reads from prompt-style models (no tool ran, so no tool reply is invented); multi-turn as the
whole conversation, each gold call answered by the environment (those replies are marked `synthetic`:
made on import, not recorded from a run). An entry whose gold cannot be read or does not pass its own
check is a bad row with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from reasonledger.records.agent import EnvironmentSpec
from reasonledger.records.jsonl import parse_rows, read_json_lines
from reasonledger.records.model import Action, Kind, Record, hash_observation
from reasonledger.records.quarantine import BadRow
from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.bfcl.ast_check import check_calls, gold_answer
from reasonledger.verifiers.environments.bfcl.data import MULTI_TURN, SINGLE_TURN
from reasonledger.verifiers.environments.bfcl.function_call import FunctionCallEnvironment
from reasonledger.verifiers.environments.bfcl.multiturn import MultiTurnEnvironment, gold_turns
from reasonledger.verifiers.environments.bfcl.schemas import openai_tool

DATASET = "ShishirPatil/gorilla berkeley-function-call-leaderboard"
REVISION = "bfcl-eval-2026.3.23"  # the release the shipped data files come from
# BFCL class -> its function-doc file in multi_turn_func_doc/
CLASS_DOCS = {
    "GorillaFileSystem": "gorilla_file_system", "MathAPI": "math_api", "MessageAPI": "message_api",
    "TwitterAPI": "posting_api", "TicketAPI": "ticket_api", "TradingBot": "trading_bot",
    "TravelAPI": "travel_booking", "VehicleControlAPI": "vehicle_control",
}


def read_bfcl(path: Path, answers: str | None = None, docs: str | None = None, attach_solutions: bool = False,
              revision: str = REVISION) -> Iterator[Record | BadRow]:
    """Records from a BFCL question file; `answers` is its possible-answer file and `docs` the folder
    of multi-turn function docs (both default to BFCL's layout beside the question folder);
    `attach_solutions` keeps a gold answer as each record's behaviour (`--attach-solutions`)."""
    path = Path(path)
    category = path.name.removesuffix(".json").removesuffix(".jsonl").split("_", 2)[-1]
    if category not in SINGLE_TURN + MULTI_TURN:
        yield BadRow(str(path), 0, f"unknown BFCL category {category!r}: name the file BFCL_v4_<category>.json with "
                     f"one of {', '.join(SINGLE_TURN + MULTI_TURN)}")
        return
    answers_path = Path(answers) if answers else path.parent.parent / "possible_answer" / path.name
    if not answers_path.is_file():
        yield BadRow(str(path), 0, f"no possible-answer file at {answers_path}; give it as the `answers` option")
        return
    truth: dict[str, Any] = {}
    for row in read_json_lines(answers_path):
        if isinstance(row, BadRow):
            yield row
        elif isinstance(row[1], Mapping) and "id" in row[1] and "ground_truth" in row[1]:
            truth[row[1]["id"]] = row[1]["ground_truth"]
        else:
            yield BadRow(str(answers_path), row[0], "a possible answer needs `id` and `ground_truth`")
    multi = category in MULTI_TURN
    docs_dir = Path(docs) if docs else path.parent.parent / "multi_turn_func_doc"
    tool_docs: dict[str, list[dict[str, Any]]] = {}
    if multi:
        tool_docs, bad_docs = _class_docs(docs_dir)
        yield from bad_docs

    def convert(row: dict[str, Any], number: int) -> Record:
        entry_id = row["id"]
        if entry_id not in truth:
            raise ValueError(f"question {entry_id!r} has no possible answer in {answers_path}")
        entry = {**row, "ground_truth": truth[entry_id]}
        if multi:
            spec, behaviour = _multi_turn(entry, tool_docs, revision, attach_solutions)
        else:
            spec, behaviour = _single_turn(entry, revision, attach_solutions)
        prompt = [dict(message) for message in row["question"][0]]
        return Record(
            kind=Kind.tool_trajectory if attach_solutions else Kind.prompt_answer,
            task={"prompt": prompt, "reference": spec.as_reference(), "domain": "tool_use",
                  "source": {"dataset": DATASET, "revision": revision, "row_id": entry_id,
                             "license": "Apache-2.0", "split": category},
                  "verifier": {"name": "environment"}},
            behaviour=behaviour,
            lineage={"events": [{"stage": "import", "step": "bfcl_gold" if attach_solutions else "bfcl"}]},
            meta={"bfcl_category": category, **({"behaviour": "gold answer"} if attach_solutions else {})},
        )

    yield from parse_rows(read_json_lines(path), str(path), convert)


def _single_turn(entry: dict[str, Any], revision: str, gold: bool) -> tuple[EnvironmentSpec, dict[str, Any]]:
    functions, truth = entry["function"], entry["ground_truth"]
    calls = gold_answer(functions, truth)
    result = check_calls(functions, calls, truth)
    if not result.valid:
        raise ValueError(f"its gold answer fails its own check ({result.error_type}: {'; '.join(result.errors)})")
    env = FunctionCallEnvironment()
    task = {key: entry[key] for key in ("id", "question", "function", "ground_truth")}
    env.reset(task)
    spec = EnvironmentSpec(
        env=env.id, version=env.version, revision=revision, initial_state_hash=env.state_hash(), task_id=entry["id"],
        task=task, gold_actions=[{"name": call.name, "arguments": call.kwargs} for call in calls],
        reward_basis=["calls"], limits={"max_steps": 1}, tools=env.tool_schemas())
    if not gold:
        return spec, {}
    text = "[" + ", ".join(f"{call.name}({', '.join(f'{k}={v!r}' for k, v in call.kwargs.items())})"
                           for call in calls) + "]"
    return spec, {"messages": [{"role": "assistant", "content": text}], "response": text,
                  "termination": "agent_stop", "scaffold": {"agent_loop": "bfcl single turn, prompt style"}}


def _multi_turn(entry: dict[str, Any], tool_docs: dict[str, list[dict[str, Any]]], revision: str,
                gold: bool) -> tuple[EnvironmentSpec, dict[str, Any]]:
    keys = ("id", "question", "initial_config", "involved_classes", "excluded_function", "ground_truth")
    task = {key: entry[key] for key in keys if key in entry}
    env = MultiTurnEnvironment()
    env.reset(task)
    initial = env.state_hash()
    turns = gold_turns(task)
    excluded = set(task.get("excluded_function") or ())
    missing = [name for name in task["involved_classes"] if name not in tool_docs]
    if missing:
        raise ValueError(f"no complete function docs for {', '.join(missing)} in the multi_turn_func_doc folder")
    tools = [openai_tool(doc) for name in task["involved_classes"] for doc in tool_docs[name]
             if doc["name"] not in excluded]
    spec = EnvironmentSpec(
        env=env.id, version=env.version, revision=revision, initial_state_hash=initial, task_id=entry["id"],
        task=task, gold_actions=[{"name": call.name, "arguments": call.arguments} for turn in turns for call in turn],
        reward_basis=["turns", "state", "results"], tools=tools)
    if not gold:
        return spec, {}
    messages: list[dict[str, Any]] = []
    actions: list[Action] = []
    for index, calls in enumerate(turns):
        messages.extend(dict(message) for message in task["question"][index])
        for call in calls:
            messages.append({"role": "assistant", "content": "", "tool_calls": [{
                "id": call.id, "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(call.arguments, ensure_ascii=False)}}]})
            actions.append(_answer(env, call, messages))
    return spec, {"messages": messages, "actions": actions, "termination": "agent_stop",
                  "scaffold": {"agent_loop": "bfcl multi turn, gold calls replayed on import"}}


def _answer(env: MultiTurnEnvironment, call: ToolCall, messages: list[dict[str, Any]]) -> Action:
    result = env.step(call)
    if not result.ok:
        raise ValueError(f"gold call {call.name}({call.arguments}) failed in the environment: {result.observation}")
    messages.append({"role": "tool", "tool_call_id": call.id, "name": call.name, "content": result.observation})
    return Action(id=call.id, name=call.name, arguments=dict(call.arguments), observation=result.observation,
                  observation_hash=hash_observation(result.observation), provenance="synthetic",
                  state_hash=env.state_hash())


def _class_docs(folder: Path) -> tuple[dict[str, list[dict[str, Any]]], list[BadRow]]:
    """The function docs of each API class, read from BFCL's one-object-a-line files, and their bad
    lines. A class with a bad line is left out: its tools would be shown incomplete, so the questions
    that use it are quarantined rather than imported with a tool missing."""
    docs, bad = {}, []
    for name, stem in CLASS_DOCS.items():
        path = folder / f"{stem}.json"
        if not path.is_file():
            continue
        rows = list(read_json_lines(path))
        broken = [row if isinstance(row, BadRow) else BadRow(str(path), row[0], "a function doc is a JSON object",
                                                              json.dumps(row[1]).encode())
                  for row in rows if isinstance(row, BadRow) or not isinstance(row[1], Mapping)]
        if broken:
            bad.extend(broken)
        else:
            docs[name] = [row[1] for row in rows]
    return docs, bad
