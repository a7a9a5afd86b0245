"""Agent exports: TRL's conversational SFT format with tools and verl's multi-turn tool RL dataset,
read back with `datasets` (the loader both trainers use) and checked against their documented shape."""

import collections
import json

import datasets
import pyarrow.parquet as pq
import pytest
import yaml

from reasonledger.formats.exporters.agent import (
    TrlToolsOptions,
    VerlToolsOptions,
    export_trl_tools,
    export_verl_tools,
)
from reasonledger.formats.importers import import_file
from reasonledger.records.agent import EnvironmentSpec
from reasonledger.records.model import Record
from reasonledger.records.parquet import write_parquet_shards

TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather in a city",
                                           "parameters": {"type": "object", "properties": {"city": {"type": "string"}},
                                                          "required": ["city"]}}}]
CHAT = [{"role": "system", "content": "You are a weather bot."},
        {"role": "user", "content": "Weather in Oslo?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": '{"city": "Oslo"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "name": "get_weather", "content": "3 degrees"},
        {"role": "assistant", "content": "It is 3 degrees."},
        {"role": "user", "content": "thanks ###STOP###"}]


def _episode(passed, env="weather", text="It is 3 degrees.", provenance="recorded"):
    chat = [*CHAT[:4], {**CHAT[4], "content": text}, CHAT[5]]
    spec = EnvironmentSpec(env=env, revision="r1", task_id="7", task={"city": "Oslo"}, tools=TOOLS)
    verdicts = [] if passed is None else [{"verifier": "environment", "version": "1", "target": "episode",
                                           "score": float(passed), "passed": passed, "label_source": "environment",
                                           "evidence": {"outcome": "success" if passed else "wrong_state"}}]
    return Record(kind="episode", task={"prompt": chat[:2], "reference": spec.as_reference(), "domain": "weather",
                                        "source": {"dataset": "toy"}, "verifier": {"name": "environment"}},
                  behaviour={"messages": chat, "termination": "user_stop",
                             "actions": [{"id": "c1", "name": "get_weather", "arguments": {"city": "Oslo"},
                                          "observation": "3 degrees", "provenance": provenance}]},
                  verdicts=verdicts)


@pytest.fixture
def data(tmp_path):
    records = [_episode(True), _episode(False, text="It is 30 degrees."), _episode(None, text="Unsure."),
               _episode(True, text="Made up.", provenance="synthetic")]
    write_parquet_shards(records, tmp_path / "data")
    return tmp_path / "data"


def test_trl_tools_rows_are_trl_tool_calling_conversations(data, tmp_path):
    path = export_trl_tools(data, tmp_path / "out")
    # only the episode that passed with recorded calls: a made-up success is no evidence
    (row,) = [json.loads(line) for line in path.read_text().splitlines()]
    assert row["tools"] == TOOLS and (row["outcome"], row["passed"]) == ("success", True)
    assert [m["role"] for m in row["messages"]] == ["system", "user", "assistant", "tool", "assistant"]  # ends on the assistant
    call = row["messages"][2]["tool_calls"][0]
    assert call == {"id": "c1", "type": "function", "function": {"name": "get_weather", "arguments": {"city": "Oslo"}}}
    assert row["messages"][3] == {"role": "tool", "content": "3 degrees", "tool_call_id": "c1", "name": "get_weather"}
    every = export_trl_tools(data, tmp_path / "all", TrlToolsOptions(select="all"))
    loaded = datasets.load_dataset("json", data_files=str(every), split="train")
    assert loaded["outcome"] == ["success", "wrong_state", "unjudged", "success"]
    assert loaded["synthetic_actions"] == [0, 0, 0, 1]
    assert loaded[0]["tools"][0]["function"]["name"] == "get_weather"
    assert every.read_bytes() == export_trl_tools(data, tmp_path / "again", TrlToolsOptions(select="all")).read_bytes()


def test_verl_tools_rows_and_tool_config(data, tmp_path):
    path = export_verl_tools(data, tmp_path / "out", VerlToolsOptions(tool_class="my_pkg.tools.EnvTool"))
    loaded = datasets.load_dataset("parquet", data_files=str(path), split="train")
    assert loaded.num_rows == 4
    row = loaded[0]
    assert row["prompt"] == [{"role": "system", "content": "You are a weather bot."},
                             {"role": "user", "content": "Weather in Oslo?"}]
    info = row["extra_info"]
    assert info["need_tools_kwargs"] and info["verifier"] == "environment"
    assert info["tools_kwargs"]["get_weather"]["create_kwargs"] == {"env": "weather", "revision": "r1", "task_id": "7",
                                                                    "record_id": info["record_id"]}
    assert json.loads(info["reference_json"])["env"] == "weather" and row["agent_name"] == "tool_agent"
    assert json.loads(info["interaction_kwargs"]["task_json"]) == {"city": "Oslo"}
    config = yaml.safe_load((tmp_path / "out" / "verl_tools.yaml").read_text())
    assert config == {"tools": [{"class_name": "my_pkg.tools.EnvTool", "config": {"type": "native"},
                                 "tool_schema": TOOLS[0]}]}


def test_tau_bench_episodes_export_with_their_replayed_outcomes(shared_data, tmp_path):
    from reasonledger.verifiers.environments.verifier import EnvironmentVerifier

    verifier = EnvironmentVerifier(data_root=str(shared_data))
    records = []
    for record in import_file(shared_data / "taubench/historical/gpt-4o-airline.json", "tau-bench", revision="7362a17"):
        for verdict in verifier.verify_record(record):
            record = record.with_verdict(verdict)
        records.append(record)
    write_parquet_shards(records, tmp_path / "data")
    sft = [json.loads(line) for line in export_trl_tools(tmp_path / "data", tmp_path / "out").read_text().splitlines()]
    assert len(sft) == 84 and all(r["passed"] and r["messages"][-1]["role"] == "assistant" for r in sft)
    labelled = export_trl_tools(tmp_path / "data", tmp_path / "all", TrlToolsOptions(select="all"))
    outcomes = collections.Counter(json.loads(line)["outcome"] for line in labelled.read_text().splitlines())
    assert outcomes["success"] == 84 and outcomes["truncated_state_correct"] == 2 and sum(outcomes.values()) == 200
    table = pq.read_table(export_verl_tools(tmp_path / "data", tmp_path / "verl"))
    info = table.column("extra_info").to_pylist()
    assert table.num_rows == 200 and "book_reservation" in info[0]["tools_kwargs"]
    assert {row["tools_kwargs"]["book_reservation"]["create_kwargs"]["revision"] for row in info} == {"7362a17"}


def test_tau_bench_rows_carry_the_environment_tools(shared_data, tmp_path):
    from reasonledger.verifiers.environments.tau.airline import TauAirline

    records = list(import_file(shared_data / "taubench/historical/gpt-4o-airline.json", "tau-bench", revision="7362a17"))
    write_parquet_shards(records[:5], tmp_path / "data")
    shown = TauAirline(data_root=shared_data, revision="7362a17").tool_schemas()
    sft = [json.loads(line) for line in export_trl_tools(tmp_path / "data", tmp_path / "sft", TrlToolsOptions(
        select="all")).read_text().splitlines()]
    assert len(sft) == 5 and all(row["tools"] == shown for row in sft)
    assert {t["function"]["name"] for t in sft[0]["tools"]} == set(TauAirline.tools)
    called = {c["function"]["name"] for row in sft for m in row["messages"] for c in m.get("tool_calls") or []}
    assert called and called <= {t["function"]["name"] for t in shown}
    export_verl_tools(tmp_path / "data", tmp_path / "verl")
    config = yaml.safe_load((tmp_path / "verl" / "verl_tools.yaml").read_text())
    assert sorted(t["tool_schema"]["function"]["name"] for t in config["tools"]) == sorted(TauAirline.tools)
