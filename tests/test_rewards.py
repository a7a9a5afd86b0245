"""Trainer rewards and exports on a small quickstart build: recipe outputs checked at load, prompts
that say what they want, a validation split, and the rewards called exactly as verl, TRL and
OpenRLHF call them (keyword names, extra keyword arguments, files loaded by path)."""

from __future__ import annotations

import ast
import asyncio
import importlib.util
import json
import sys
from fractions import Fraction
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml

import reasonledger.rewards as rewards
from reasonledger.product import build
from reasonledger.engine.recipe import RecipeError, load_recipe
from reasonledger.formats.exporters.rl import split_of
from tests.conftest import benchmark_module

ROOT = Path(__file__).resolve().parents[1]
QUICKSTART = ROOT / "examples" / "quickstart.yaml"
INSTRUCTION = yaml.safe_load(QUICKSTART.read_text())["outputs"][0]["verl"]["instruction"]


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("rewards") / "quickstart"
    build(QUICKSTART, out, ["sources.0.size=300"], workers=2, show_progress=False)
    return out


def _verl_rows(run: Path) -> list[dict]:
    return [r for name in ("verl.parquet", "verl.val.parquet") for r in pq.read_table(run / "exports" / name).to_pylist()]


@pytest.mark.parametrize(("outputs", "message"), [
    (["trl"], "unknown output 'trl'; known outputs: dpo, openrlhf, sft, trl_grpo, trl_stepwise, trl_tools, verl, verl_tools"),
    ([{"verl": {"instrution": "x"}}], "instrution: Extra inputs are not permitted (options it takes: system_prompt, instruction, val_fraction)"),
    ([{"verl": {"val_fraction": 1.5}}], "val_fraction: Input should be less than 1"),
    ([{"verl": "x"}], "the options of output 'verl' must be a mapping"),
    ([{"sft": {"instruction": "x"}}], "(options it takes: judged_only)"),
    ([{"dpo": {"instruction": "x"}}], "(options it takes: none)"),
])
def test_outputs_and_their_options_are_checked_when_the_recipe_loads(tmp_path, outputs, message):
    recipe = yaml.safe_load(QUICKSTART.read_text())
    recipe["outputs"] = outputs
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    assert f"{path}:\noutputs.0: " in str(err.value) and message in str(err.value)


def test_plain_output_names_keep_the_recipe_digest(tmp_path):
    """An output without options is stored as its name, so recipes written before options keep their digest."""
    recipe = yaml.safe_load(QUICKSTART.read_text())
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "local_tasks.jsonl").write_bytes((QUICKSTART.parent / recipe["sources"][1]["path"]).read_bytes())
    recipe["outputs"] = ["verl", {"trl_grpo": {"val_fraction": 0.1}}]
    path = tmp_path / "recipe.yaml"
    path.write_text(yaml.safe_dump(recipe))
    loaded = load_recipe(path)
    assert loaded.model_dump(mode="json")["outputs"] == ["verl", {"trl_grpo": {"val_fraction": 0.1}}]
    assert type(loaded).model_validate(loaded.model_dump(mode="json")).digest == loaded.digest


def test_every_exported_prompt_carries_the_instruction_and_val_is_held_out_by_id(run):
    train = pq.read_table(run / "exports" / "verl.parquet").to_pylist()
    val = pq.read_table(run / "exports" / "verl.val.parquet").to_pylist()
    records = json.loads((run / "data" / "manifest.json").read_text())["rows"]
    assert len(train) + len(val) == records and val
    for split, rows in (("train", train), ("val", val)):
        assert [r["extra_info"]["index"] for r in rows] == list(range(len(rows)))
        for row in rows:
            assert row["extra_info"]["split"] == split == split_of(row["extra_info"]["record_id"], 0.02)
            assert row["prompt"][-1]["role"] == "user" and row["prompt"][-1]["content"].endswith("\n\n" + INSTRUCTION)
    # the same records are held out in every export
    trl_val = pq.read_table(run / "exports" / "trl_grpo.val.parquet").column("record_id").to_pylist()
    openrlhf_val = [json.loads(line)["record_id"] for line in (run / "exports" / "openrlhf.val.jsonl").read_text().splitlines()]
    assert trl_val == openrlhf_val == [r["extra_info"]["record_id"] for r in val]
    card = json.loads((run / "card" / "card.json").read_text())
    assert card["recipe"]["outputs"] == ["verl", "trl_grpo", "openrlhf"]
    assert card["recipe"]["prompt_format"]["verl"] == {"system_prompt": None, "instruction": INSTRUCTION}


def test_trl_export_names_the_gold_solution_as_trl_rewards_expect(run):
    trl = pq.read_table(run / "exports" / "trl_grpo.parquet").to_pylist()
    assert all(r["solution"] == r["answer"] for r in trl)


@pytest.fixture(scope="module")
def style_table(run) -> dict:
    table = benchmark_module("rewards_styles").style_table(run / "exports")
    print(json.dumps(table, indent=1))
    return table


def _misses(table: dict) -> set[tuple[str, str, str]]:
    """(trainer, style, measure) of every cell below the acceptance bar."""
    misses = set()
    for trainer, styles in table.items():
        for style, cell in styles.items():
            misses |= {(trainer, style, "correct")} if cell["correct"] < 0.99 else set()
            misses |= {(trainer, style, "wrong_pass")} if cell["wrong_pass"] > 0.01 else set()
            misses |= {(trainer, style, "idk")} if cell["idk"] != 0.0 else set()
    return misses


def test_a_correct_answer_earns_full_reward_in_every_style_through_every_trainer(style_table):
    """>= 0.99 mean reward for the gold in each style, "I don't know" 0, another row's gold passing in
    at most 1% of rows: through verl's single and batch calls, TRL's call and OpenRLHF's call."""
    assert _misses(style_table) == set()
    assert all(cell["wrong_rows"] > 0.9 * cell["rows"] for styles in style_table.values() for cell in styles.values())


@pytest.mark.parametrize(("text", "answer", "rule"), [
    ("So the answer is No.", "No", "answer_is"),  # a yes/no answer, not a negation
    ("Thus the answer is Charlotte is a villain, and Noah is a hero.", "Charlotte is a villain, and Noah is a hero", "answer_is"),
    ("I don't know.", None, "refusal"),
    ("No idea", None, "refusal"),
    ("01:45:29.840", "01:45:29.840", "bare"),  # no final-line rule cutting a number out of a non-number answer
])
def test_prose_answers_and_refusals(text, answer, rule):
    from reasonledger.verifiers.answers import DEFAULT_RULES, extract_answer
    from reasonledger.verifiers.text import final_answer

    found = final_answer(text)
    assert (found.answer, found.rule) == (answer, rule)
    assert extract_answer("So the answer is No.", DEFAULT_RULES).answer is None  # math reads no prose


def _load_by_path(module_name: str, register: bool):
    """As verl (`custom_module`, put in sys.modules) and OpenRLHF (`reward_func`, not) load the file."""
    spec = importlib.util.spec_from_file_location(module_name, rewards.__file__)
    module = importlib.util.module_from_spec(spec)
    if register:
        sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        sys.modules.pop(module_name, None)
    return module


def test_verl_calls_single_with_extra_kwargs_and_batch_give_the_same_scores(run):
    verl = _load_by_path("custom_module", register=True)
    rows = _verl_rows(run)
    styles = benchmark_module("rewards_styles")
    wrong = styles.wrong_answers([r["reward_model"]["ground_truth"] for r in rows], [r["data_source"] for r in rows])
    completions = [(f"So the answer is {r['reward_model']['ground_truth']}." if i % 3 == 0 else
                    f"\\boxed{{{wrong[i]}}}" if i % 3 == 1 and wrong[i] else "no idea") for i, r in enumerate(rows)]
    # verl's reward loop passes extra keyword arguments; reward_kwargs from the config are merged in
    single = [verl.compute_score(data_source=r["data_source"], solution_str=c, ground_truth=r["reward_model"]["ground_truth"],
                                 extra_info={**r["extra_info"], "num_turns": None}, reward_router_address=None, sandbox_fusion_url=None)
              for r, c in zip(rows, completions)]
    # BatchRewardManager passes the columns of DataProto.non_tensor_batch: numpy object arrays
    sources, golds, infos = (np.array(column, dtype=object) for column in zip(
        *[(r["data_source"], r["reward_model"]["ground_truth"], r["extra_info"]) for r in rows]))
    batch = verl.compute_score_batch(data_sources=sources, solution_strs=completions, ground_truths=golds,
                                     extra_infos=infos, some_reward_kwarg=1)
    assert batch == single and all(isinstance(s, float) for s in single) and 0 < sum(single) < len(rows)
    assert verl.compute_score_batch(data_sources=[r["data_source"] for r in rows], solution_strs=completions,
                                    ground_truths=list(golds), extra_infos=list(infos)) == single  # lists too
    detailed = verl.compute_score_batch(data_sources=sources, solution_strs=completions, ground_truths=golds,
                                        extra_infos=infos, return_dict=True)
    assert [d["score"] for d in detailed] == single
    assert all(set(d) == {"score", "acc", "pred", "rule", "verifier"} for d in detailed)
    stated = [(d, r) for i, (d, r) in enumerate(zip(detailed, rows))
              if i % 3 == 0 and r["reward_model"]["ground_truth"].lstrip("-").isdigit()]
    assert stated and all(d["rule"] == "answer_is" and d["pred"] for d, _ in stated)
    assert all(d["verifier"].startswith(r["extra_info"]["verifier"] + "@") for d, r in stated)
    assert all(isinstance(d["pred"], str) and isinstance(d["rule"], str) for d in detailed)  # verl skips str metrics


def _other_expression(gold: str, target: int) -> str:
    """A different correct countdown expression: the operands of the first + or * swapped."""
    tree = ast.parse(gold, mode="eval")
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            node.left, node.right = node.right, node.left
            break
    other = ast.unparse(tree)
    value = eval(compile(ast.parse(other.replace("/", "*Fraction(1)/"), mode="eval"), "<expr>", "eval"), {"Fraction": Fraction})
    assert value == target
    return other


def test_openrlhf_reward_reads_the_verifier_from_the_label_so_other_correct_expressions_pass(run):
    openrlhf = _load_by_path("reward_func", register=False)
    rows = [json.loads(line) for line in (run / "exports" / "openrlhf.jsonl").read_text().splitlines()]
    countdown = [r for r in rows if r["datasource"] == "reasoning-gym/countdown"]
    assert countdown
    others = [_other_expression(r["answer"], json.loads(r["label"])["reference"]["metadata"]["target"]) for r in countdown]
    assert all(o.replace(" ", "") != r["answer"].replace(" ", "") for o, r in zip(others, countdown))
    prompts = ["<|im_start|>user\n" + r["input"][-1]["content"] + "<|im_end|>\n<|im_start|>assistant\n" for r in countdown]
    out = openrlhf.reward_func([p + f"<answer>{o}</answer><|im_end|>" for p, o in zip(prompts, others)], prompts,
                               [r["label"] for r in countdown])
    assert list(out["rewards"]) == [1.0] * len(countdown) == list(out["scores"])
    assert list(out["extra_logs"]["passed"]) == [1.0] * len(countdown)
    # OpenRLHF's single-turn agent executor calls it with one query at a time, from threads at once
    queries = [p + (f"<answer>{o}</answer>" if i % 2 else "no idea") + "<|im_end|>"
               for i, (p, o) in enumerate(zip(prompts, others))]
    labels = [r["label"] for r in countdown]

    async def one_at_a_time() -> list:
        return await asyncio.gather(*[asyncio.to_thread(openrlhf.reward_func, [q], [p], [label])
                                      for q, p, label in zip(queries, prompts, labels)])
    alone = [float(out["rewards"][0]) for out in asyncio.run(one_at_a_time())]
    assert alone == list(openrlhf.reward_func(queries, prompts, labels)["rewards"]) == [float(i % 2) for i in range(len(queries))]
    with pytest.raises(ValueError, match="not a reasonledger OpenRLHF label"):
        openrlhf.reward_func(["q"], ["p"], ["42"])


def test_a_verifier_with_judge_many_but_no_score_many_gives_scores_when_only_scores_are_asked():
    from reasonledger.verifiers import Verifier

    class Judging(Verifier):
        id, version = "judging", "1"

        def judge_many(self, pairs, answers=None):
            return [(response == reference, float(response == reference), {"extracted": response})
                    for reference, response in pairs]

    pairs = [("4", "4"), ("4", "5")]
    assert rewards._judge_group(Judging(), pairs, {}, score_only=True) == [1.0, 0.0]
    assert [(j.score, j.passed, j.verifier) for j in rewards._judge_group(Judging(), pairs, {}, score_only=False)] == \
        [(1.0, True, "judging@1"), (0.0, False, "judging@1")]
