"""What every registered step and verifier promises, checked over the registries rather than one by one.

A step: a registry name equal to its `name`, a scope, a pydantic `Params` that refuses unknown params, so a
misspelt param fails when the recipe loads (naming the step and the param), and a `process`. A verifier:
an `id` equal to its registry name, a semantic version, a family, a label source, and `verify`/`verify_many`
returning `Verdict`s stamped with its id, version and config hash, agreeing with each other.
A plugin added to either registry is taken in here; a built-in verifier without an example below fails
the test that lists them, so a new verifier cannot go unchecked.
"""

from __future__ import annotations

import json
import re
import typing

import pytest
from pydantic import BaseModel, ValidationError

from reasonledger.engine.recipe import RecipeError, load_recipe
from reasonledger.engine.step import Step, known_steps, step_class
from reasonledger.records.model import LabelSource, Verdict
from reasonledger.verifiers import available_verifiers, get_verifier, verifier_class
from reasonledger.verifiers.base import Family
from reasonledger.verifiers.registry import VERIFIERS

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$")

# ---------------------------------------------------------------------------------------------- steps


@pytest.mark.parametrize("name", known_steps())
def test_a_step_is_registered_under_its_name_with_a_scope_and_a_process(name):
    cls = step_class(name)
    assert issubclass(cls, Step) and cls.name == name
    assert cls.scope in ("record", "global")
    assert cls.process is not Step.process, f"{cls.__name__} does not implement process()"


@pytest.mark.parametrize("name", known_steps())
def test_a_steps_params_are_a_model_that_refuses_unknown_params(name):
    cls = step_class(name)
    assert isinstance(cls.Params, type) and issubclass(cls.Params, BaseModel)
    assert cls.Params.model_config.get("extra") == "forbid", f"{cls.__name__}.Params accepts any param"
    with pytest.raises(ValidationError, match="no_such_param"):
        cls(no_such_param=1)
    required = [key for key, field in cls.Params.model_fields.items() if field.is_required()]
    if required:
        with pytest.raises(ValidationError, match=required[0]):
            cls()
    else:  # the defaults make a step whose params survive the run log's JSON and hash alike
        step = cls()
        again = cls(**json.loads(json.dumps(step.params.model_dump(mode="json"))))
        assert again.params == step.params and again.params_hash == step.params_hash


@pytest.mark.parametrize("name", known_steps())
def test_a_misspelt_step_param_fails_when_the_recipe_loads(tmp_path, name):
    (tmp_path / "tasks.jsonl").write_text(json.dumps({"question": "2+2?", "answer": "4"}) + "\n")
    recipe = {
        "name": "contract",
        "sources": [{"type": "file", "path": "tasks.jsonl", "format": "jsonl",
                     "options": {"prompt_field": "question", "answer_field": "answer", "verifier": "exact"}}],
        "steps": [{"type": name, "no_such_param": 1}],
    }
    path = tmp_path / "recipe.yaml"
    path.write_text(json.dumps(recipe))  # JSON is YAML
    with pytest.raises(RecipeError, match=r"steps\.0") as info:
        load_recipe(path)
    assert "no_such_param" in str(info.value)


# ------------------------------------------------------------------------------------------ verifiers


def _reasoning_gym_example() -> tuple[dict, typing.Any, str, str]:
    reasoning_gym = pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (the gym extra)")
    entry = reasoning_gym.create_dataset("chain_sum", size=1, seed=5)[0]
    reference = {"dataset": "chain_sum", "answer": entry["answer"], "metadata": {}}
    return {}, reference, f"<answer>{entry['answer']}</answer>", "<answer>banana</answer>"


def _environment_example() -> tuple[dict, typing.Any, str, str]:
    from tests.verifiers.environments import counter

    counter.register()  # a tiny environment: the episode is its conversation as JSON
    return ({}, counter.spec(), json.dumps(counter.conversation(("add", {"n": 2}, "2"))),
            json.dumps(counter.conversation(("add", {"n": 1}, "1"))))


def _judgment_example(name: str) -> tuple[dict, typing.Any, str, str]:
    from tests.verifiers.judgment.scripts import contract_example

    return contract_example(name)  # scripted judges: no judge model on these machines


# name -> () -> (config, reference, a response that passes, one that fails)
EXAMPLES: dict[str, typing.Callable[[], tuple[dict, typing.Any, str, str]]] = {
    "exact": lambda: ({}, "Paris", "The capital is <answer>Paris</answer>.", "<answer>Lyon</answer>"),
    "math": lambda: ({}, "1/2", r"So the answer is \boxed{\frac{1}{2}}.", r"\boxed{0.6}"),
    "code": lambda: ({"time_limit": 5.0, "slots": 1},
                     {"format": "call", "fn_name": "f", "cases": [{"args": [2], "expected": 4}]},
                     "```python\ndef f(x):\n    return x * 2\n```", "def f(x):\n    return x + 3\n"),
    "reasoning_gym": _reasoning_gym_example,
    "environment": _environment_example,
    **{name: (lambda name=name: _judgment_example(name)) for name in ("judge", "rubric", "pairwise")},
}


def test_every_built_in_verifier_has_an_example_here():
    built_in = {name for name, origin in VERIFIERS.origins().items() if origin == "reasonledger"}
    assert built_in == set(EXAMPLES), "add an example for each new verifier to EXAMPLES"


@pytest.mark.parametrize("name", available_verifiers())
def test_a_verifier_declares_its_id_version_family_and_label_source(name):
    try:
        cls = verifier_class(name)
    except KeyError as exc:  # a built-in whose optional extra is not installed (reasoning_gym without [gym])
        pytest.skip(str(exc))
    assert cls.id == name
    assert SEMVER.match(cls.version), f"{name} version {cls.version!r} is not a semantic version"
    assert cls.family in typing.get_args(Family)
    assert cls.label_source in typing.get_args(LabelSource)


@pytest.mark.parametrize("name", available_verifiers())
def test_verify_and_verify_many_return_stamped_verdicts_that_agree(name):
    if name not in EXAMPLES:  # a third party's verifier: its own tests hold its examples
        pytest.skip(f"no example for the plugin verifier {name!r}")
    config, reference, right, wrong = EXAMPLES[name]()
    verifier = get_verifier(name, **config)
    try:
        single = [verifier.verify(reference, right), verifier.verify(reference, wrong)]
        many = verifier.verify_many([(reference, right), (reference, wrong), (reference, right)])
        twin_hash = get_verifier(name, **config).config_hash
        card = verifier.card()
    finally:
        verifier.close()
    assert [v.passed for v in single] == [True, False], [v.evidence for v in single]
    assert [v.passed for v in many] == [True, False, True], [v.evidence for v in many]
    for verdict in single + many:
        assert isinstance(verdict, Verdict)
        assert (verdict.verifier, verdict.version) == (verifier.id, verifier.version)
        assert verdict.config_hash == verifier.config_hash == twin_hash
        assert verdict.label_source == verifier.label_source
        assert 0.0 <= verdict.score <= 1.0
    assert [v.score for v in many[:2]] == [v.score for v in single]
    assert (card["id"], card["version"], card["family"]) == (verifier.id, verifier.version, verifier.family)

