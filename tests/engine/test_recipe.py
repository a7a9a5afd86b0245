import pytest

from reasonledger.engine.recipe import RecipeError, apply_override, load_recipe

BASE = """
name: t
seed: 1
sources:
  - type: reasoning_gym
    tasks: [chain_sum]
    size: 10
steps:
  - type: gold_check
outputs: [verl]
"""


def _write(tmp_path, text):
    path = tmp_path / "r.yaml"
    path.write_text(text)
    return path


def test_valid_recipe_and_overrides(tmp_path):
    recipe = load_recipe(_write(tmp_path, BASE), ["sources.0.size=200", "steps.0.batch=8", "seed=7"])
    assert recipe.sources[0].params()["size"] == 200 and recipe.steps[0].params()["batch"] == 8 and recipe.seed == 7


@pytest.mark.parametrize("text, override, message", [
    (BASE.replace("size: 10", "size: -3"), None, "sources.0.size: Input should be greater than 0"),
    (BASE.replace("size: 10", "size: 10\n    colour: red"), None, "sources.0.colour: Extra inputs are not permitted"),
    (BASE.replace("type: gold_check", "type: gold_chek"), None, "steps.0.type: unknown step type 'gold_chek'"),
    (BASE.replace("type: reasoning_gym", "type: nowhere"), None, "sources.0.type: unknown source type 'nowhere'"),
    (BASE.replace("name: t\n", ""), None, "name: Field required"),
    (BASE, "shard_rows=zero", "shard_rows: Input should be a valid integer"),
    (BASE, "sources.3.size=1", "sources.3 is not an index of a list of 1"),
    (BASE, "nonsense", "expected KEY=VALUE"),
])
def test_errors_name_the_bad_key(tmp_path, text, override, message):
    with pytest.raises(RecipeError) as info:
        load_recipe(_write(tmp_path, text), [override] if override else [])
    assert message in str(info.value)


def test_file_source_path_is_checked(tmp_path):
    text = BASE.replace("type: reasoning_gym\n    tasks: [chain_sum]\n    size: 10", "type: file\n    path: missing.jsonl")
    with pytest.raises(RecipeError, match="sources.0.path: no such file"):
        load_recipe(_write(tmp_path, text))


def test_override_parses_yaml_values():
    data = {"a": {"b": [1, 2]}}
    apply_override(data, "a.b.1=[3, 4]")
    apply_override(data, "a.c=true")
    assert data == {"a": {"b": [1, [3, 4]], "c": True}}
