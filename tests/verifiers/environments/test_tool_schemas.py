"""Every environment shows its tools one way, `Environment.tool_schemas()`: by default built from the
tool methods' signatures and docstrings, overridden where the tools come with the task (BFCL)."""

from __future__ import annotations

from typing import Any, Literal

import pytest

from reasonledger.registry import registry
from reasonledger.verifiers.environments.base import Environment, json_schema
from reasonledger.verifiers.environments.swe.shell_fs import shell_tasks

SINGLE_TURN_TASK = {"id": "simple_0", "question": [[{"role": "user", "content": "area?"}]],
                    "function": [{"name": "geometry.area", "description": "Area of a triangle.",
                                  "parameters": {"type": "dict", "properties": {"base": {"type": "float"}},
                                                 "required": ["base"]}}],
                    "ground_truth": [{"geometry.area": {"base": [10.0]}}]}
MULTI_TURN_TASK = {"id": "multi_0", "involved_classes": ["MathAPI", "TwitterAPI"], "initial_config": {},
                   "excluded_function": ["post_tweet"], "question": [], "ground_truth": []}
SWE_TASK = {"file": "solution.py", "program": "def f():\n    return 1\n", "reference": "", "fail_to_pass": [],
            "pass_to_pass": []}


class Shop(Environment):
    id = "test_shop"
    version = "1.0.0"
    tools = {"buy": "buy", "browse": "browse"}

    def buy(self, item: str, count: int, mode: Literal["gift", "self"] = "self", note: str | None = None,
            tags: list[str] | None = None, extra: dict[str, Any] | None = None) -> str:
        """Buy an item.

        Charges the card on file."""
        return item

    def browse(self) -> list:
        """List the items."""
        return []


def test_the_default_reads_each_tool_method_signature_and_docstring():
    schemas = {s["function"]["name"]: s for s in Shop().tool_schemas()}
    assert list(schemas) == ["browse", "buy"]
    buy = schemas["buy"]
    assert buy["type"] == "function"
    assert buy["function"]["description"] == "Buy an item.\n\nCharges the card on file."
    assert buy["function"]["parameters"] == {"type": "object", "required": ["item", "count"], "properties": {
        "item": {"type": "string"}, "count": {"type": "integer"}, "mode": {"enum": ["gift", "self"]},
        "note": {"type": "string"}, "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "object"}}}
    assert schemas["browse"]["function"]["parameters"] == {"type": "object", "properties": {}, "required": []}


@pytest.mark.parametrize("hint, schema", [
    (float, {"type": "number"}), (bool, {"type": "boolean"}), (list, {"type": "array"}),
    (tuple[int, ...], {"type": "array"}), (int | str, {}), (Any, {}),
])
def test_json_schema_of_an_annotation(hint, schema):
    assert json_schema(hint) == schema


def _environment(name: str, tmp_path) -> Environment:
    cls = registry("environment")[name]
    if name.startswith("tau_"):
        return cls(data_root=tmp_path)  # the tools need no data
    env = cls()
    task = {"function_call": SINGLE_TURN_TASK, "bfcl_multiturn": MULTI_TURN_TASK, "swe_lite": SWE_TASK,
            "shell_fs": shell_tasks()[0]}[name]
    env.reset(task)
    return env


@pytest.mark.parametrize("name", ["tau_airline", "tau_retail", "function_call", "bfcl_multiturn", "swe_lite",
                                  "shell_fs"])
def test_every_builtin_environment_shows_its_tools_through_the_method(name, tmp_path):
    env = _environment(name, tmp_path)
    schemas = env.tool_schemas()
    assert schemas and all(s["type"] == "function" and s["function"]["parameters"]["type"] == "object"
                           for s in schemas)
    names = {s["function"]["name"] for s in schemas}
    if env.tools:
        assert names == set(env.tools)
    elif name == "function_call":
        assert names == {"geometry_area"}  # BFCL's dotted name as OpenAI allows it
        assert schemas[0]["function"]["parameters"]["properties"] == {"base": {"type": "number"}}
    else:  # the task's API classes, the excluded tool left out
        assert "add" in names and "get_user_stats" in names and "post_tweet" not in names
