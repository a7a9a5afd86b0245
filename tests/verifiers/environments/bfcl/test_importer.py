"""The BFCL importer: tasks and gold answers as records the environment verifier checks."""

from __future__ import annotations

import json

from reasonledger.formats.importers.bfcl import read_bfcl
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow
from reasonledger.registry import registry
from reasonledger.verifiers.environments.bfcl.data import MULTI_TURN, SINGLE_TURN
from reasonledger.verifiers.environments.verifier import EnvironmentVerifier

AREA = {"name": "calc.area", "description": "Area.", "parameters": {"type": "dict", "properties": {
    "base": {"type": "integer"}, "height": {"type": "float"}, "shape": {"type": "dict", "properties": {}}},
    "required": ["base", "height"]}}


def write_category(root, name, questions, answers):
    for folder, rows in (("question", questions), ("possible_answer", answers)):
        (root / folder).mkdir(parents=True, exist_ok=True)
        (root / folder / f"BFCL_v4_{name}.json").write_text("\n".join(json.dumps(row) for row in rows))
    return root / "question" / f"BFCL_v4_{name}.json"


def question(entry_id):
    return {"id": entry_id, "question": [[{"role": "user", "content": "Area of a 10 by 5 triangle?"}]], "function": [AREA]}


def test_single_turn_tasks_gold_answers_and_bad_rows(tmp_path):
    path = write_category(tmp_path, "simple_python", [
        question("simple_python_0"), question("simple_python_1"), question("simple_python_2")], [
        {"id": "simple_python_0", "ground_truth": [{"calc.area": {"base": [10], "height": [5.0]}}]},
        {"id": "simple_python_2", "ground_truth": [{"calc.area": {"base": [10], "height": [5.0], "colour": ["red"]}}]},
    ])
    rows = list(read_bfcl(path))
    record, *bad = rows
    assert isinstance(record, Record) and record.kind is Kind.prompt_answer
    spec = record.task.reference
    assert spec["env"] == "function_call" and spec["reward_basis"] == ["calls"]
    assert spec["gold_actions"] == [{"name": "calc.area", "arguments": {"base": 10, "height": 5.0}}]
    tool = spec["tools"][0]["function"]
    assert tool["name"] == "calc_area" and tool["parameters"]["type"] == "object"
    assert tool["parameters"]["properties"]["height"]["type"] == "number"
    assert [b.line for b in bad] == [2, 3] and all(isinstance(b, BadRow) for b in bad)
    assert "no possible answer" in bad[0].reason and "not in the schema and not optional" in bad[1].reason

    (gold, *_) = read_bfcl(path, attach_solutions=True)
    assert gold.kind is Kind.tool_trajectory and gold.behaviour.response == "[calc.area(base=10, height=5.0)]"
    verdicts = EnvironmentVerifier().verify_record(gold)
    assert verdicts[-1].evidence["outcome"] == "success"
    wrong = Record(kind=gold.kind, task=gold.task, behaviour={
        "messages": [{"role": "assistant", "content": "[calc.area(base=11, height=5.0)]"}]})
    verdicts = EnvironmentVerifier().verify_record(wrong)
    assert [(v.target, v.passed) for v in verdicts] == [("calls", False), ("episode", False)]


def test_unknown_category_is_one_bad_row(tmp_path):
    path = write_category(tmp_path, "java", [question("java_0")], [])
    (bad,) = read_bfcl(path)
    assert isinstance(bad, BadRow) and "unknown BFCL category 'java'" in bad.reason


def test_registered_as_an_import_format():
    assert registry("import format")["bfcl"] is read_bfcl


def test_bfcl_data_imports_and_gold_answers_verify(bfcl_root):
    verifier = EnvironmentVerifier()
    counts = {}
    for category in SINGLE_TURN + MULTI_TURN:
        path = bfcl_root / "question" / f"BFCL_v4_{category}.json"
        tasks = list(read_bfcl(path))
        assert all(isinstance(row, Record) and row.kind is Kind.prompt_answer for row in tasks)
        golds = list(read_bfcl(path, attach_solutions=True))
        sample = golds if category in SINGLE_TURN else golds[::10]
        outcomes = {verifier.verify_record(record)[-1].evidence["outcome"] for record in sample}
        assert outcomes == {"success"}, category
        counts[category] = len(tasks)
    assert sum(counts[c] for c in SINGLE_TURN) == 1258 and sum(counts[c] for c in MULTI_TURN) == 400


def test_a_gold_conversation_missing_one_read_fails_on_results_only(bfcl_root):
    path = bfcl_root / "question" / "BFCL_v4_multi_turn_base.json"
    gold = next(record for record in read_bfcl(path, attach_solutions=True) if record.task.source.row_id == "multi_turn_base_1")
    verdicts = {v.target: v for v in EnvironmentVerifier().verify_record(gold)}
    assert verdicts["episode"].evidence["outcome"] == "success"
    assert gold.behaviour.actions[0].name == "ls" and gold.behaviour.actions[0].provenance == "synthetic"
    # drop the first call (ls, a read) with its assistant turn and tool reply
    dropped = gold.behaviour.actions[0].id
    messages = [m for m in gold.behaviour.messages
                if m.tool_call_id != dropped and not (m.tool_calls and m.tool_calls[0].id == dropped)]
    mutant = Record(kind=gold.kind, task=gold.task, behaviour={
        "messages": [m.model_dump(exclude_none=True) for m in messages],
        "actions": [a.model_dump() for a in gold.behaviour.actions[1:]], "termination": "agent_stop"})
    verdicts = {v.target: v for v in EnvironmentVerifier().verify_record(mutant)}
    assert verdicts["state"].passed and not verdicts["results"].passed and not verdicts["turns"].passed
    assert not verdicts["episode"].passed


def test_a_bad_function_doc_line_quarantines_the_questions_that_use_its_class(bfcl_root, tmp_path):
    every = [json.loads(line) for line in (bfcl_root / "question" / "BFCL_v4_multi_turn_base.json").read_text().splitlines()]
    # two questions whose classes include the file system, and one whose do not
    questions = [q for q in every if "GorillaFileSystem" in q["involved_classes"]][:2] \
        + [q for q in every if "GorillaFileSystem" not in q["involved_classes"]][:1]
    write_category(tmp_path, "multi_turn_base", questions, [json.loads(line) for line in (
        bfcl_root / "possible_answer" / "BFCL_v4_multi_turn_base.json").read_text().splitlines()])
    docs = tmp_path / "multi_turn_func_doc"
    docs.mkdir()
    for doc in (bfcl_root / "multi_turn_func_doc").iterdir():
        (docs / doc.name).write_text(doc.read_text())
    with (docs / "gorilla_file_system.json").open("a") as handle:
        handle.write('\n{"name": "cp", oops\n')
    rows = list(read_bfcl(tmp_path / "question" / "BFCL_v4_multi_turn_base.json"))
    bad = [row for row in rows if isinstance(row, BadRow)]
    assert bad[0].file.endswith("gorilla_file_system.json") and [b.line for b in bad[1:]] == [1, 2]
    assert all("no complete function docs for GorillaFileSystem" in b.reason for b in bad[1:])
    (record,) = [row for row in rows if isinstance(row, Record)]
    assert record.task.source.row_id == questions[2]["id"]
