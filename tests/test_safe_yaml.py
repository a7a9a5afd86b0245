"""YAML from strangers: alias bombs, deep nesting and huge values are refused quickly with a clear error."""

import pytest
import yaml

from reasonledger import safe_yaml
from reasonledger.engine.recipe import RecipeError, load_recipe


def _bomb(levels=9, width=9) -> str:
    text = "a0: &a0 [" + ", ".join(['"lol"'] * width) + "]\n"
    for i in range(1, levels):
        text += f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]\n"
    return text


def test_plain_documents_load_as_yaml_safe_load_does():
    text = "name: x\nbase: &b {k: 1, l: [1, 2]}\nother: *b\nwhen: 2024-01-02\nn: .nan\n"
    assert repr(safe_yaml.safe_load(text)) == repr(yaml.safe_load(text))
    assert safe_yaml.safe_load("") is None


@pytest.mark.parametrize("text, message", [
    (_bomb(), "more than 100,000 values once its aliases"),
    ("a: &x [1, *x]\n", "refers to a value that contains it"),
    ("x: " + "[" * 200_000 + "]" * 200_000, "nested more than 64 levels"),
    ("- " * 10_000 + "1", "nested more than 64 levels"),
    ("x: '" + "y" * (5 * 1024 * 1024) + "'", "over the 4,194,304 accepted"),
])
def test_hostile_yaml_is_refused(text, message):
    with pytest.raises(safe_yaml.YAMLLimitError, match=message):
        safe_yaml.safe_load(text)


def test_a_recipe_alias_bomb_is_a_recipe_error(tmp_path):
    plain = "name: bomb\nsources: [{type: file, path: x.jsonl, format: gsm8k}]\n"
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(plain + "card:\n  " + _bomb().replace("\n", "\n  "))
    with pytest.raises(RecipeError, match="not valid YAML: the YAML stands for more than 100,000 values"):
        load_recipe(recipe)
    recipe.write_text(plain)
    flow_bomb = "{" + _bomb().strip().replace("\n", ", ") + "}"
    with pytest.raises(RecipeError, match="--set card.x: the value is not valid YAML: the YAML stands for more"):
        load_recipe(recipe, overrides=["card.x=" + flow_bomb])


def test_validation_errors_quote_a_bounded_prefix_of_a_huge_value(tmp_path):
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text("name: [" + ", ".join(["'" + "z" * 1000 + "'"] * 3000) + "]\n"
                      "seed: '" + "s" * 1_000_000 + "'\nsources: []\n")
    with pytest.raises(RecipeError) as caught:
        load_recipe(recipe)
    message = str(caught.value)
    assert "name:" in message and "seed:" in message and len(message) < 2000
