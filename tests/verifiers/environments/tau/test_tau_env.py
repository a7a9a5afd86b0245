"""The τ-bench environments on the real data: τ-bench's own data hash reproduced cheaply, the pins,
the tools' behaviour on the gold actions, and the task files read with ast."""

from __future__ import annotations

import hashlib
import json

import pytest

from reasonledger.verifiers.environments.base import RevisionMismatch, ToolCall
from reasonledger.verifiers.environments.tau import data, pins
from reasonledger.verifiers.environments.tau.airline import TauAirline
from reasonledger.verifiers.environments.tau.calc import calculate
from reasonledger.verifiers.environments.tau.retail import TauRetail
from reasonledger.verifiers.environments.tau.tables import hashable

PINNED = [(TauAirline, "59a200c"), (TauAirline, "7362a17"), (TauRetail, "59a200c"), (TauRetail, "7362a17")]


def full_hash(env) -> str:
    """τ-bench's get_data_hash done the slow way: sha256 of str() of the whole nested tuple."""
    return hashlib.sha256(str(hashable(env.state())).encode("utf-8")).hexdigest()


@pytest.mark.parametrize(("cls", "revision"), PINNED)
def test_the_initial_hash_is_taubenchs_whole_database_hash_and_its_pin(shared_data, cls, revision):
    env = cls(shared_data, revision)
    env.reset()
    assert env.state_hash() == full_hash(env) == pins.initial_state_hash(cls.id, revision)


@pytest.mark.parametrize(("cls", "revision", "split"), [(TauAirline, "7362a17", "test"), (TauRetail, "59a200c", "test"),
                                                       (TauRetail, "7362a17", "test")])
def test_gold_actions_run_and_the_cheap_hash_follows_every_write(shared_data, cls, revision, split):
    env = cls(shared_data, revision)
    tasks = data.tasks(shared_data / "taubench", cls.domain, revision, split)
    failed = []
    for number, task in enumerate(tasks):
        env.reset()
        for action in task["actions"]:
            result = env.step(ToolCall(action["name"], action["arguments"]))
            if not result.ok:
                failed.append((number, action["name"], result.error_kind))
        if number % 10 == 0:  # the full recomputation costs 0.2 s: a sample of tasks
            assert env.state_hash() == full_hash(env), number
    # some retail gold calls are refused by design (a lookup by a wrong email first); none may reach an
    # exception in the tools (bad_arguments) or a missing tool, but the one 7362a17 gold call passing
    # `province=` (task 34), which τ-bench's tool refused too
    wrong = [(n, name) for n, name, kind in failed if kind != "tool_error"]
    assert wrong == ([(34, "modify_pending_order_address")] if (cls, revision) == (TauRetail, "7362a17") else []), failed
    if cls is TauAirline:
        assert failed == []
    env.reset()  # no episode wrote into the pinned data every episode shares
    assert full_hash(env) == pins.initial_state_hash(cls.id, revision)


def test_recorded_gold_hashes_are_reproduced(shared_data):
    rows = json.loads((shared_data / "taubench/historical/gpt-4o-airline.json").read_text())
    env = TauAirline(shared_data, "7362a17")
    env.reset()
    recorded = [(r["info"]["task"], r["info"]["reward_info"]["info"]["gt_data_hash"]) for r in rows
                if (r["info"].get("reward_info") or {}).get("info", {}).get("gt_data_hash")]
    assert len(recorded) == 182
    gold = [env.gold_hash([{"name": a["name"], "arguments": a["kwargs"]} for a in task["actions"]])
            for task, _ in recorded]
    assert sum(g == h for g, (_, h) in zip(gold, recorded)) == 182


def test_a_write_that_changes_nothing_is_not_a_change(shared_data):
    env = TauAirline(shared_data, "7362a17")
    env.reset()
    user = json.loads(env.step(ToolCall("get_user_details", {"user_id": "mia_li_3668"})).observation)
    reservation = user["reservations"][0]
    passengers = json.loads(env.step(ToolCall("get_reservation_details", {"reservation_id": reservation})).observation)
    same = env.step(ToolCall("update_reservation_passengers",
                             {"reservation_id": reservation, "passengers": passengers["passengers"]}))
    assert same.ok and not same.changed
    assert env.state_hash() == pins.initial_state_hash("tau_airline", "7362a17")
    cancelled = env.step(ToolCall("cancel_reservation", {"reservation_id": reservation}))
    assert cancelled.changed and env.touched() == {"reservations": [reservation]}


def test_failures_read_as_taubench_wrote_them(shared_data):
    env = TauAirline(shared_data, "7362a17")
    env.reset()
    assert env.step(ToolCall("get_user_details", {"user_id": "nobody"})).observation == "Error: user not found"
    unknown = env.step(ToolCall("fly_me", {}))
    assert (unknown.observation, unknown.error_kind) == ("Unknown action fly_me", "unknown_tool")
    assert env.step(ToolCall("get_user_details", {"user": "x"})).error_kind == "bad_arguments"
    shape = env.step(ToolCall("get_reservation_details", {"reservation_id": ["not", "hashable"]}))
    assert shape.observation == "Error: unhashable type: 'list'" and shape.error_kind == "bad_arguments"


def test_retail_at_7362a17_keeps_its_data_and_writes_addresses_as_taubenchs_tools_did(shared_data):
    env = TauRetail(shared_data, "7362a17")
    env.reset()
    user = json.loads(env.step(ToolCall("get_user_details", {"user_id": "fatima_taylor_3452"})).observation)
    assert set(user["address"]) == {"address1", "address2", "city", "province", "country", "zip"}
    address = {"address1": "157 Oak Street", "address2": "Suite 258", "city": "Phoenix", "state": "AZ",
               "country": "USA", "zip": "85033"}
    moved = env.step(ToolCall("modify_user_address", {"user_id": "fatima_taylor_3452", **address}))
    assert moved.ok and json.loads(moved.observation)["address"] == address  # `state`, whatever the data had
    task = data.tasks(shared_data / "taubench", "retail", "7362a17", "test")[34]
    (province,) = [a for a in task["actions"] if "province" in a["arguments"]]
    before = env.state_hash()
    refused = env.step(ToolCall(province["name"], province["arguments"]))
    assert refused.error_kind == "bad_arguments" and "'state'" in refused.observation
    assert env.state_hash() == before
    with pytest.raises(RevisionMismatch, match="1234567"):
        TauRetail(shared_data, "1234567")


def test_data_that_is_not_the_pinned_revision_is_refused(tmp_path):
    folder = tmp_path / "taubench" / "airline"
    folder.mkdir(parents=True)
    for name in ("flights", "reservations", "users"):
        (folder / f"{name}.json").write_text("{}")
    env = TauAirline(tmp_path, "59a200c")
    with pytest.raises(RevisionMismatch, match="pin"):
        env.reset()


def test_task_files_are_read_with_ast_and_a_non_literal_is_refused_with_its_line(shared_data, tmp_path):
    root = shared_data / "taubench"
    counts = {(d, s): len(data.tasks(root, d, data.CURRENT, s))
              for d, s in [("airline", "test"), ("retail", "test"), ("retail", "dev"), ("retail", "train")]}
    assert counts == {("airline", "test"): 50, ("retail", "test"): 115, ("retail", "dev"): 20, ("retail", "train"): 500}
    bad = tmp_path / "tasks_test.py"
    bad.write_text('TASKS = [\n    Task(user_id="u", instruction="i",\n         actions=[Action(name=__import__("os").name)])\n]\n')
    with pytest.raises(data.TauDataError, match=r"tasks_test.py:3: not a literal"):
        data.read_tasks(bad)


@pytest.mark.parametrize(("expression", "expected"), [
    ("2 + 2", "4.0"), ("  10 / 4", "2.5"), ("(1200 - 329) * 2", "1742.0"), ("1/3", "0.33"), ("-3 ** 2", "-9.0"),
    ("1 / 0", "Error: division by zero"), ("2 ** 99999", "Error: exponent 99999 too large"),
    ("__import__('os')", "Error: invalid characters in expression"), ("1 +", None), ("()", None),
])
def test_calculate_answers_as_taubench_without_eval(expression, expected):
    result = calculate(expression)
    if expected is None:
        assert result.startswith("Error: "), result
    else:
        assert result == expected


@pytest.mark.parametrize("cls", [TauAirline, TauRetail])
def test_tool_schemas_name_every_tool_and_its_parameters(cls, tmp_path):
    schemas = {s["function"]["name"]: s["function"] for s in cls(data_root=tmp_path).tool_schemas()}
    assert set(schemas) == set(cls.tools)
    for name, schema in schemas.items():
        assert schema["description"], name
        assert set(schema["parameters"]["required"]) <= set(schema["parameters"]["properties"])
    if cls is TauAirline:
        assert schemas["book_reservation"]["parameters"]["properties"]["flights"] == {"type": "array",
                                                                                      "items": {"type": "object"}}
        assert schemas["list_all_airports"]["parameters"] == {"type": "object", "properties": {}, "required": []}
