"""Files in the layouts people publish on the Hub import faithfully: prompt, reference, response or
rollouts and labels land where they belong, and nothing the file says is dropped."""

import json

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.formats.importers import import_file
from reasonledger.formats.importers.fields import field
from reasonledger.records.io import read_records
from reasonledger.records.model import Kind, Record
from reasonledger.records.quarantine import BadRow


def _write(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def _split(items):
    items = list(items)
    return [i for i in items if isinstance(i, Record)], [i for i in items if isinstance(i, BadRow)]


def _run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


OPENR1 = {
    "problem": "What is $1+1$?", "solution": "Clearly $1+1=2$.", "answer": "2",
    "problem_type": "Algebra", "question_type": "math-word-problem", "source": "olympiads",
    "uuid": "5b4e-11ef", "is_reasoning_complete": [True, True],
    "generations": ["<think>1+1 is 2</think> The answer is \\boxed{2}.", "<think>hmm</think> \\boxed{3}"],
    "correctness_math_verify": [True, False], "correctness_llama": None, "finish_reasons": None,
    "correctness_count": 1,
    "messages": [{"role": "user", "content": "What is $1+1$?"},
                 {"role": "assistant", "content": "<think>1+1 is 2</think> The answer is \\boxed{2}."}],
}


def test_openr1_generations_are_rollouts_with_their_stored_labels(tmp_path):
    path = _write(tmp_path / "openr1.jsonl", [OPENR1, {**OPENR1, "uuid": "x2", "correctness_llama": [False, False],
                                                        "generations": ["a", "b", "c"]}])
    (record,), (bad,) = _split(import_file(path, "openr1"))
    assert record.kind == Kind.rollout_set
    assert [r.response for r in record.behaviour.rollouts] == OPENR1["generations"]  # not one stringified list
    assert [r.meta for r in record.behaviour.rollouts] == [{"is_reasoning_complete": True}] * 2
    assert [(v.verifier, v.target, v.passed, v.label_source) for v in record.verdicts] == [
        ("correctness_math_verify", "rollout:0", True, "dataset"),
        ("correctness_math_verify", "rollout:1", False, "dataset")]
    assert (record.task.prompt, record.task.reference, record.task.verifier.name) == ("What is $1+1$?", "2", "math")
    assert record.task.source.row_id == "5b4e-11ef" and record.task.source.license == "Apache-2.0"
    assert record.meta == {"solution": "Clearly $1+1=2$.", "problem_type": "Algebra",
                           "question_type": "math-word-problem", "source": "olympiads", "correctness_count": 1,
                           "restated": {"messages": "prompt + rollout:0"}}
    assert bad.line == 2 and "one item per response (3)" in bad.reason


def test_math_and_math500_keep_every_field(tmp_path):
    path = _write(tmp_path / "math.jsonl", [
        {"problem": "Find $x$.", "solution": "So $x=\\boxed{\\frac{1}{2}}$.", "level": "Level 3", "type": "Algebra"},
        {"problem": "Find $y$.", "solution": "...", "answer": "4", "subject": "Geometry", "level": 2,
         "unique_id": "test/geometry/1.json"}])
    first, second = _split(import_file(path, "math", dataset="EleutherAI/hendrycks_math", split="test"))[0]
    assert first.task.reference == "\\frac{1}{2}" and first.task.source.row_id == "1"
    assert first.meta == {"solution": "So $x=\\boxed{\\frac{1}{2}}$.", "level": "Level 3", "type": "Algebra"}
    assert second.task.reference == "4" and second.task.source.row_id == "test/geometry/1.json"
    assert second.meta == {"solution": "...", "subject": "Geometry", "level": 2}
    assert first.task.source.split == "test" and first.task.source.dataset == "EleutherAI/hendrycks_math"


def test_numina_solution_is_the_response_and_its_box_the_reference(tmp_path):
    problem, solution = "Compute $2^3$.", "We multiply: $2^3 = \\boxed{8}$."
    path = _write(tmp_path / "numina.jsonl", [
        {"source": "synthetic_math", "problem": problem, "solution": solution,
         "messages": [{"role": "user", "content": problem}, {"role": "assistant", "content": solution}]},
        {"source": "olympiads", "problem": "Prove it.", "solution": "By induction ...",
         "messages": [{"role": "user", "content": "Prove it."}, {"role": "assistant", "content": "Other text"}]}])
    answer, proof = _split(import_file(path, "numina"))[0]
    assert (answer.task.prompt, answer.behaviour.response, answer.task.reference) == (problem, solution, "8")
    assert answer.task.verifier.name == "math" and answer.task.source.dataset == "AI-MO/NuminaMath-CoT"
    assert answer.meta == {"source": "synthetic_math", "restated": {"messages": "prompt + response"}}
    assert proof.task.reference is None and proof.task.verifier is None  # no answer to check a proof against
    assert proof.meta["messages"][1]["content"] == "Other text"  # not a restatement: kept as it is


def test_chat_messages_split_at_the_last_user_turn(tmp_path):
    system = {"role": "system", "content": "Be brief."}
    path = _write(tmp_path / "sft.jsonl", [
        {"messages": [system, {"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}],
         "id": "a"},
        {"messages": [{"role": "user", "content": "hi", "name": "ann"}, {"role": "assistant", "content": "hello"},
                      {"role": "user", "content": "3+3?"}, {"role": "assistant", "content": "6"}]},
        {"messages": [{"role": "user", "content": "only a question"}]},
        {"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": None,
                                                         "tool_calls": [{"id": "c1"}]}]}])
    (single, multi, open_), (tools,) = _split(import_file(path, "chat"))
    assert [m.model_dump() for m in single.task.prompt] == [system, {"role": "user", "content": "2+2?"}]
    assert single.behaviour.response == "4" and single.task.source.row_id == "a"
    assert [m.role for m in multi.task.prompt] == ["user", "assistant", "user"] and multi.behaviour.response == "6"
    assert multi.meta == {"message_extras": {"messages.0": {"name": "ann"}}}
    assert open_.behaviour.response is None and open_.task.prompt[-1].content == "only a question"
    assert tools.line == 4 and "--format openai-tools" in tools.reason
    for record in (single, multi):  # the reply is never inside the prompt
        assert record.behaviour.response not in [m.content for m in record.task.prompt]


def test_openai_tool_call_chats_become_trajectories_with_their_calls_and_tools(tmp_path):
    call = {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Oslo\"}"}}
    messages = [
        {"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 3}"},
        {"role": "assistant", "content": "It is 3 degrees in Oslo."}]
    tools = [{"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}]
    path = _write(tmp_path / "tools.jsonl", [{"messages": messages, "tools": tools}])
    (record,), bad = _split(import_file(path, "openai-tools"))
    assert not bad and record.kind == Kind.tool_trajectory
    assert [m.role for m in record.task.prompt] == ["system", "user"]
    (action,) = record.behaviour.actions
    assert (action.id, action.name, action.arguments, action.observation) == ("call_1", "get_weather", {"city": "Oslo"},
                                                                              "{\"temp\": 3}")
    assert [m.model_dump(exclude_none=True) for m in record.behaviour.messages] == [
        {**m, "content": m["content"] or ""} for m in messages]
    assert record.behaviour.response == "It is 3 degrees in Oslo." and record.meta == {}
    assert record.task.reference["tools"] == tools and record.task.reference["env"] is None
    stored = next(iter(read_records(_import_cli(tmp_path, path, "openai-tools"))))
    assert stored.id == record.id and stored.behaviour.messages[2].tool_calls[0].model_dump() == call


def _import_cli(tmp_path, path, fmt, *options):
    out = tmp_path / f"out-{fmt}"
    result = _run("import", path, "--format", fmt, "--out", out, "--quiet", *options)
    assert result.exit_code == 0, result.output
    return out


def test_field_paths_take_list_indices_and_say_so_when_misused(tmp_path):
    row = {"messages": [{"role": "user", "content": "2+2?"}, {"role": "assistant", "content": "4"}], "extra": 1}
    path = _write(tmp_path / "rows.jsonl", [row])
    (record,), _ = _split(import_file(path, "jsonl", prompt_field="messages.0.content",
                                      response_field="messages.-1.content"))
    assert (record.task.prompt, record.behaviour.response, record.meta) == ("2+2?", "4", {"extra": 1})
    with pytest.raises(KeyError, match="messages is a list; step into it with an index such as 0 or -1"):
        field(row, "messages.content")
    with pytest.raises(KeyError, match="has 2 item"):
        field(row, "messages.5.content")
    # a chat prompt field drops the reply from the prompt even when the response is mapped explicitly
    (chat,), _ = _split(import_file(path, "jsonl", prompt_field="messages", response_field="messages.-1.content"))
    assert [m.role for m in chat.task.prompt] == ["user"] and chat.behaviour.response == "4"


def test_openr1_round_trip_through_the_command_line_with_source_options(tmp_path):
    path = _write(tmp_path / "train-00000.jsonl", [OPENR1])
    out = _import_cli(tmp_path, path, "openr1", "--dataset", "me/r1-mirror", "--revision", "abc123",
                      "--split", "train", "--license", "MIT")
    (record,) = list(read_records(out))
    assert record.task.source.model_dump() == {"dataset": "me/r1-mirror", "revision": "abc123",
                                               "row_id": "5b4e-11ef", "license": "MIT", "split": "train"}
    assert [v.version for v in record.verdicts] == ["abc123", "abc123"]
    assert [r.response for r in record.behaviour.rollouts] == OPENR1["generations"]
    assert record.meta["problem_type"] == "Algebra"


def test_import_reads_a_directory_or_a_glob_and_refuses_options_a_format_lacks(tmp_path, shared_data):
    folder = shared_data / "rollouts" / "rg_eval_deepseek_r1_easy"
    counts = []
    # the folder: 8 result files and summary.json (a bad row: exit 3); the glob: the 2 arithmetic_* files
    for source, exit_code in ((folder, 3), (folder / "arithmetic_*.json", 0)):
        out = tmp_path / f"out{len(counts)}"
        result = _run("import", source, "--format", "rg-rollouts", "--out", out, "--quiet")
        assert result.exit_code == exit_code, result.output
        counts.append(sum(1 for _ in read_records(out)))
    assert counts == [400, 100]
    result = _run("import", tmp_path / "none-*.json", "--format", "math", "--out", tmp_path / "x")
    assert result.exit_code == 1 and "no file matches" in result.output
    result = _run("import", shared_data / "gsm8k" / "test.jsonl", "--format", "gsm8k", "--license", "MIT",
                  "--out", tmp_path / "g")
    assert result.exit_code == 1 and "--license: the gsm8k importer has no such option; it takes: split" in result.output


def test_mbpp_full_and_sanitized_are_two_sources(shared_data):
    full = next(iter(import_file(shared_data / "mbpp" / "mbpp.jsonl", "mbpp")))
    sanitized = next(iter(import_file(shared_data / "mbpp" / "sanitized-mbpp.json", "mbpp")))
    assert full.task.source.dataset == "google-research/mbpp/full"
    assert sanitized.task.source.dataset == "google-research/mbpp/sanitized"


def test_max_bad_rows_on_validate_import_and_stats(tmp_path):
    path = tmp_path / "rows.jsonl"
    good = Record(kind=Kind.prompt_answer, task={"prompt": "p", "source": {"dataset": "unit"}})
    path.write_text(good.model_dump_json() + "\n" + "{bad\n" * 5)
    imported = ["import", path, "--format", "jsonl", "--prompt-field", "task.prompt", "--out", tmp_path / "out", "--quiet"]
    for args, exit_within_limit in ((["validate", path], 3), (["stats", path], 0), (imported, 3)):
        result = _run(*args, "--max-bad-rows", "2")
        assert result.exit_code == 1 and "more than 2 bad rows" in result.output, (args, result.output)
        assert _run(*args, "--max-bad-rows", "5").exit_code == exit_within_limit


def test_a_build_stopped_by_too_many_bad_rows_says_so(tmp_path):
    _write(tmp_path / "tasks.jsonl", [{"question": "1+1?", "answer": "2"}])
    with (tmp_path / "tasks.jsonl").open("a") as rows:
        rows.write("{not json\n" * 5)
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: q\nsources:\n  - type: file\n    path: tasks.jsonl\n    format: jsonl\n"
                      "    options: {prompt_field: question, answer_field: answer, max_bad_rows: 3}\n")
    result = _run("build", recipe, "--out", tmp_path / "run", "--quiet")
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception  # not a traceback
    assert "more than 3 bad rows" in result.output and "options.max_bad_rows" in result.output


def test_openr1_parquet_verifies_per_rollout_and_loads_with_datasets(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq
    from datasets import load_dataset

    from reasonledger.records.hf import dataset_to_records

    path = tmp_path / "train-00000-of-00001.parquet"  # the Hub publishes OpenR1-Math as Parquet
    pq.write_table(pa.Table.from_pylist([OPENR1, {**OPENR1, "uuid": "u2", "correctness_math_verify": [False, False]}]),
                   path)
    imported = _import_cli(tmp_path, path, "openr1")
    verified = tmp_path / "verified"
    assert _run("verify", imported, "--out", verified, "--quiet").exit_code == 0
    for record in read_records(verified):
        ours = {v.target: v.passed for v in record.verdicts if v.verifier == "math"}
        assert ours == {"rollout:0": True, "rollout:1": False}  # each completion judged on its own
        stored = {v.target: v.passed for v in record.verdicts if v.label_source == "dataset"}
        assert stored == ({"rollout:0": True, "rollout:1": False} if record.task.source.row_id == "5b4e-11ef"
                          else {"rollout:0": False, "rollout:1": False})  # kept as the file said, disagreement and all
    loaded = load_dataset("parquet", data_files=str(verified / "data" / "*.parquet"), split="train",
                          cache_dir=str(tmp_path / "hf-cache"))
    assert loaded[0]["rollouts"][0]["response"] == OPENR1["generations"][0]  # a typed column, no json.loads
    assert [r.model_dump() for r in dataset_to_records(loaded)] == [r.model_dump() for r in read_records(verified)]


def test_a_mapping_as_response_is_refused_with_the_path_to_use(tmp_path):
    path = _write(tmp_path / "rows.jsonl", [{"prompt": "p", "reply": {"content": "r", "role": "assistant"}}])
    (bad,) = list(import_file(path, "jsonl", response_field="reply"))
    assert isinstance(bad, BadRow) and "--response-field reply.content" in bad.reason
