"""`function_call`: BFCL's single-turn check, on hand-made cases and on BFCL's shipped gold answers."""

from __future__ import annotations

from collections import Counter

import pytest

from reasonledger.verifiers.environments.base import ToolCall
from reasonledger.verifiers.environments.bfcl.ast_check import GoldError, check_calls, gold_answer
from reasonledger.verifiers.environments.bfcl.calls import ParsedCall, parse_calls
from reasonledger.verifiers.environments.bfcl.data import SINGLE_TURN, load_category
from reasonledger.verifiers.environments.bfcl.function_call import FunctionCallEnvironment
from reasonledger.verifiers.environments.bfcl.mutants import single_turn_mutants


def schema(name, properties, required=()):
    return {"name": name, "description": "", "parameters": {
        "type": "dict", "properties": {key: ({"type": kind} if isinstance(kind, str) else kind)
                                       for key, kind in properties.items()}, "required": list(required)}}


AREA = schema("calc.area", {"base": "integer", "height": "float", "unit": "string"}, ["base", "height"])
AREA_GOLD = [{"calc.area": {"base": [10], "height": [5.0], "unit": ["units", ""]}}]


def verdict(functions, text, gold):
    return check_calls(functions, parse_calls(text), gold)


@pytest.mark.parametrize("text", [
    "calc.area(base=10, height=5.0)",
    "calc.area(base=10, height=5)",            # an int where a float is expected
    "calc.area(base=10, height=5.0, unit='Units')",
    "calc_area(base=10, height=5.0)",          # dots written as underscores
    '[{"name": "calc.area", "arguments": {"base": 10, "height": 5.0, "unit": "units"}}]',
])
def test_gold_equivalents_pass(text):
    assert verdict([AREA], text, AREA_GOLD).valid


@pytest.mark.parametrize("text, error", [
    ("calc.volume(base=10, height=5.0)", "wrong_func_name"),
    ("calc.area(height=5.0)", "missing_required"),
    ("calc.area(base=11, height=5.0)", "value_error:others"),
    ("calc.area(base=10.0, height=5.0)", "type_error:simple"),  # a float where an int is expected
    ("calc.area(base=10, height=5.0, unit='cm')", "value_error:string"),
    ("calc.area(base=10, height=5.0, colour='red')", "unexpected_param"),
    ("calc.area(10, 5.0)", "positional_args"),
    ("[calc.area(base=10, height=5.0), calc.area(base=10, height=5.0)]", "wrong_count"),
])
def test_defects_are_rejected_with_their_reason(text, error):
    result = verdict([AREA], text, AREA_GOLD)
    assert not result.valid and result.error_type == error


def test_an_optional_gold_parameter_must_be_given_unless_marked_with_empty_string():
    gold = [{"calc.area": {"base": [10], "height": [5.0], "unit": ["units"]}}]
    assert verdict([AREA], "calc.area(base=10, height=5.0)", gold).error_type == "missing_optional"
    # "" marks omission; as in BFCL an explicit empty string passes only for a string parameter
    assert verdict([AREA], "calc.area(base=10, height=5.0, unit='')", AREA_GOLD).valid


def test_string_normalisation_follows_bfcl():
    f = schema("when", {"date": "string"}, ["date"])
    gold = [{"when": {"date": ["April 1, 2024"]}}]
    assert verdict([f], "when(date='april 1 2024')", gold).valid
    assert verdict([f], "when(date='April 2, 2024')", gold).error_type == "value_error:string"


def test_nested_lists_and_dicts():
    f = schema("plan", {"stops": {"type": "array", "items": {"type": "string"}},
                        "budget": "dict",
                        "legs": {"type": "array", "items": {"type": "dict"}}}, ["stops"])
    gold = [{"plan": {"stops": [["Paris", "Rome"]], "budget": [{"min": [100], "max": [200, ""]}, ""],
                      "legs": [[{"mode": ["train"]}, {"mode": ["bus", "coach"]}], ""]}}]
    assert verdict([f], "plan(stops=['paris', 'ROME'], budget={'min': 100}, legs=[{'mode': 'train'}, {'mode': 'coach'}])", gold).valid
    assert verdict([f], "plan(stops=['Rome', 'Paris'])", gold).error_type == "value_error:list"
    assert verdict([f], "plan(stops=['Paris', 3])", gold).error_type == "type_error:nested"
    assert verdict([f], "plan(stops=['Paris', 'Rome'], budget={'max': 200})", gold).error_type == "value_error:dict_key"
    assert verdict([f], "plan(stops=['Paris', 'Rome'], budget={'min': 100, 'cur': 1})", gold).error_type == "value_error:dict_key"
    assert verdict([f], "plan(stops=['Paris', 'Rome'], legs=[{'mode': 'train'}])", gold).error_type == "value_error:list_dict_count"


def test_empty_allowed_list_means_the_empty_array_and_is_refused_for_other_types():
    f = schema("record", {"faq": {"type": "array", "items": {"type": "string"}}, "note": "string"}, ["faq"])
    gold = [{"record": {"faq": []}}]
    assert verdict([f], "record(faq=[])", gold).valid
    assert not verdict([f], "record(faq=['x'])", gold).valid
    assert not verdict([f], "record()", gold).valid
    assert gold_answer([f], gold) == [ParsedCall("record", (), {"faq": []})]
    with pytest.raises(GoldError, match="empty allowed list"):
        verdict([f], "record(faq=[], note='x')", [{"record": {"faq": [[]], "note": []}}])


def test_parallel_calls_match_in_any_order_even_where_greedy_matching_fails():
    f = schema("f", {"x": "integer", "y": "integer"}, ["x"])
    # gold 0 accepts either model call; gold 1 only the first: BFCL's greedy order would pair gold 0 with
    # model call 0 and then fail gold 1
    gold = [{"f": {"x": [1, 2], "y": ["", 5]}}, {"f": {"x": [1], "y": ["", 5]}}]
    assert verdict([f], "[f(x=1), f(x=2)]", gold).valid
    assert verdict([f], "[f(x=2), f(x=1, y=5)]", gold).valid
    assert not verdict([f], "[f(x=2), f(x=2)]", gold).valid


def test_multiple_picks_the_gold_function():
    g = schema("g", {"x": "integer"}, ["x"])
    assert verdict([AREA, g], "g(x=3)", [{"g": {"x": [3]}}]).valid
    assert verdict([AREA, g], "calc.area(base=10, height=5.0)", [{"g": {"x": [3]}}]).error_type == "wrong_func_name"


def test_environment_records_calls_and_checks_tool_calls_or_text():
    task = {"id": "t", "function": [AREA], "ground_truth": AREA_GOLD}
    env = FunctionCallEnvironment()
    env.reset(task)
    assert env.step(ToolCall("calc_area", {"base": 10, "height": 5.0})).ok
    assert env.step(ToolCall("nope", {})).error_kind == "unknown_tool"
    assert env.step(ToolCall("calc.area", {"depth": 1})).error_kind == "bad_arguments"
    assert len(env.state()["calls"]) == 3
    (component,) = env.check(task, [], [ToolCall("calc.area", {"base": 10, "height": 5.0})])
    assert component.name == "calls" and component.passed
    (component,) = env.check(task, ["thinking...", "[calc.area(base=10, height=5)]"], [])
    assert component.passed
    (component,) = env.check(task, ["calc.area(base=os.environ)"], [])
    assert not component.passed and component.evidence["error_type"] == "parse_error"


def test_bfcl_gold_answers_pass_and_simple_mutants_are_rejected(bfcl_root):
    entries = [entry for category in SINGLE_TURN for entry in load_category(bfcl_root, category)]
    assert len(entries) == 1258  # 400 + 200 + 200 + 200 + 258 entries, counted by parsing
    failed = [entry["id"] for entry in entries
              if not check_calls(entry["function"], gold_answer(entry["function"], entry["ground_truth"]),
                                 entry["ground_truth"]).valid]
    assert failed == []
    kinds = Counter()
    accepted = []
    for entry in entries:
        for mutant in single_turn_mutants(entry):
            kinds[mutant.kind] += 1
            if check_calls(entry["function"], mutant.calls, entry["ground_truth"]).valid:
                accepted.append((entry["id"], mutant.kind, mutant.where))
    print(f"single-turn: {len(entries)} gold answers pass; mutants rejected: {dict(kinds)}")
    assert accepted == []
    gold_calls = sum(len(entry["ground_truth"]) for entry in entries)
    assert kinds["renamed_function"] == kinds["unexpected_argument"] == gold_calls == 2005
    assert kinds["dropped_required"] > 3000 and kinds["wrong_value"] > 5000
