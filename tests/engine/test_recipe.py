from pathlib import Path

import pytest

from reasonledger.generation.protocol import GeneratorSpec, redact_url
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


# -- what a shared recipe may not do: name secrets, read outside its folder, name unknown tasks --------------

GENERATING = BASE.replace("  - type: gold_check\n", """  - type: rollouts
    n: 2
    generator: {backend: openai, model: m, endpoint: "http://127.0.0.1:9/v1"KEY}
""")


@pytest.fixture(autouse=True)
def operator_settings_only_from_the_test(tmp_path, monkeypatch):
    """No setting of the developer's shell or config file leaks into these tests."""
    for name in ("REASONLEDGER_CONFIG", "REASONLEDGER_API_KEY_ENV", "REASONLEDGER_ALLOW_OUTSIDE_PATHS",
                 "REASONLEDGER_ENDPOINT", "REASONLEDGER_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))


def _user_config(tmp_path, monkeypatch, text):
    path = tmp_path / "operator.yaml"
    path.write_text(text)
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(path))


def test_a_recipe_cannot_name_an_arbitrary_secret_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "do-not-send")
    recipe = _write(tmp_path, GENERATING.replace("KEY", ", api_key_env: AWS_SECRET_ACCESS_KEY"))
    with pytest.raises(RecipeError, match=r"steps.0.generator.*api_key_env: the recipe asks for the key in "
                                          r"\$AWS_SECRET_ACCESS_KEY.*--api-key-env AWS_SECRET_ACCESS_KEY") as info:
        load_recipe(recipe)
    assert str(recipe) in str(info.value) and "do-not-send" not in str(info.value)


def test_the_user_names_the_key_variable_on_the_command_line_or_in_config(tmp_path, monkeypatch):
    recipe = _write(tmp_path, GENERATING.replace("KEY", ", api_key_env: MY_KEY"))
    monkeypatch.setenv("MY_KEY", "sk-mine")
    monkeypatch.setenv("REASONLEDGER_API_KEY_ENV", "MY_KEY")  # what `build --api-key-env MY_KEY` sets
    load_recipe(recipe)
    monkeypatch.delenv("REASONLEDGER_API_KEY_ENV")
    _user_config(tmp_path, monkeypatch, "api_key_env: [MY_KEY]\n")
    spec = GeneratorSpec.model_validate(load_recipe(recipe).steps[0].params()["generator"])
    assert spec.resolved_api_key() == "sk-mine"


def test_the_key_comes_from_the_default_or_the_chosen_variable_only(monkeypatch):
    monkeypatch.setenv("REASONLEDGER_ENDPOINT", "http://127.0.0.1:9/v1")
    endpoint = {"model": "m"}
    assert GeneratorSpec(**endpoint).resolved_api_key() is None
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    assert GeneratorSpec(**endpoint).resolved_api_key() == "sk-openai"
    monkeypatch.setenv("REASONLEDGER_API_KEY", "sk-ours")
    assert GeneratorSpec(**endpoint).resolved_api_key() == "sk-ours"
    monkeypatch.setenv("CHOSEN", "sk-chosen")
    monkeypatch.setenv("REASONLEDGER_API_KEY_ENV", "CHOSEN")
    assert GeneratorSpec(**endpoint, api_key_env="OPENAI_API_KEY").resolved_api_key() == "sk-chosen"


def _bearer(spec: GeneratorSpec) -> str | None:
    from reasonledger.generation.backends.http import OpenAIBackend

    backend = OpenAIBackend(spec)
    try:
        return backend.transport.session.headers.get("Authorization")
    finally:
        backend.close()


def test_the_default_key_goes_only_to_the_users_endpoint(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    monkeypatch.setenv("REASONLEDGER_ENDPOINT", "http://127.0.0.1:9/v1")  # what `build --endpoint` sets
    assert _bearer(GeneratorSpec(model="m")) == "Bearer sk-openai"
    monkeypatch.delenv("REASONLEDGER_ENDPOINT")
    # a recipe that picks its own endpoint does not get the user's default key
    recipe_endpoint = GeneratorSpec(model="m", endpoint="http://collector.example/v1")
    assert _bearer(recipe_endpoint) is None and "build --endpoint URL" in recipe_endpoint.key_withheld()
    assert _bearer(GeneratorSpec(model="m", endpoint="http://collector.example/v1", api_key_env="OPENAI_API_KEY")) is None
    monkeypatch.setenv("REASONLEDGER_API_KEY_ENV", "OPENAI_API_KEY")  # the user names it: sent
    assert _bearer(recipe_endpoint) == "Bearer sk-openai"


def test_the_users_endpoint_overrides_the_recipes(monkeypatch):
    spec = GeneratorSpec(model="m", endpoint="http://collector.example/v1")
    assert spec.resolved_endpoint() == "http://collector.example/v1" and spec.key_withheld()
    monkeypatch.setenv("REASONLEDGER_ENDPOINT", "http://127.0.0.1:9/v1")
    assert spec.resolved_endpoint() == "http://127.0.0.1:9/v1" and not spec.key_withheld()


def test_a_refusal_says_the_key_was_withheld(monkeypatch):
    from reasonledger.generation.backends.http import OpenAIBackend
    from reasonledger.generation.protocol import Failure, GenerationRequest
    from reasonledger.generation.openai_server import Fault, OpenAIServer, ServerThread

    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with ServerThread(OpenAIServer(lambda api, body: [], lambda api, body, i: Fault(status=401))) as server:
        backend = OpenAIBackend(GeneratorSpec(endpoint=server.url, model="m", retries=0))
        try:
            request = GenerationRequest("chat", {"model": "m", "messages": [{"role": "user", "content": "q"}], "seed": 0})
            failure = backend._runner.run(backend._attempt(request, 1))[0]
        finally:
            backend.close()
    assert isinstance(failure, Failure) and failure.status == 401 and "no key was sent" in failure.message


def test_a_recipe_endpoint_with_credentials_is_refused_without_printing_them(tmp_path):
    recipe = _write(tmp_path, GENERATING.replace('"http://127.0.0.1:9/v1"KEY', '"http://me:hunter2@127.0.0.1:9/v1?key=sk-live"'))
    with pytest.raises(RecipeError, match="carries credentials") as info:
        load_recipe(recipe)
    assert "hunter2" not in str(info.value) and "sk-live" not in str(info.value)
    assert redact_url("https://me:hunter2@h.example/v1?key=sk-live&x=1") == "https://***:***@h.example/v1?key=***&x=***"


def test_credentials_of_the_users_endpoint_are_never_printed(monkeypatch):
    from reasonledger.generation.backends.http import OpenAIBackend

    monkeypatch.setenv("REASONLEDGER_ENDPOINT", "http://me:hunter2@127.0.0.1:9/v1?key=sk-live")
    backend = OpenAIBackend(GeneratorSpec(model="m"))
    try:
        assert "hunter2" not in str(backend.describe()) and "***" in backend.describe()["endpoint"]
    finally:
        backend.close()
    backend = OpenAIBackend(GeneratorSpec(retries=0, timeout=5))  # no model: it asks the (refusing) server
    try:
        with pytest.raises(ValueError, match=r"http://\*\*\*:\*\*\*@127.0.0.1:9/v1/models\?key=\*\*\*") as info:
            _ = backend.model
        assert "hunter2" not in str(info.value) and "sk-live" not in str(info.value)
    finally:
        backend.close()


FILE_SOURCE = BASE.replace("type: reasoning_gym\n    tasks: [chain_sum]\n    size: 10",
                           "type: file\n    path: PATH\n    format: jsonl")


def _file_recipe(folder, path):
    folder.mkdir(exist_ok=True)
    return _write(folder, FILE_SOURCE.replace("PATH", str(path)))


@pytest.mark.parametrize("where", ["../outside.jsonl", "ABSOLUTE", "link.jsonl", "../*.jsonl", "sub/../../outside.jsonl"])
def test_source_paths_outside_the_recipes_folder_are_refused(tmp_path, where):
    (tmp_path / "outside.jsonl").write_text('{"prompt": "p"}\n')
    folder = tmp_path / "recipe"
    folder.mkdir()
    (folder / "sub").mkdir()
    (folder / "link.jsonl").symlink_to(tmp_path / "outside.jsonl")
    recipe = _file_recipe(folder, tmp_path / "outside.jsonl" if where == "ABSOLUTE" else where)
    with pytest.raises(RecipeError, match=r"sources.0.path: .* is outside the recipe's folder .*--allow-outside-paths"):
        load_recipe(recipe)


def test_system_files_are_refused_before_they_are_read(tmp_path):
    with pytest.raises(RecipeError, match="/etc/passwd is outside the recipe's folder"):
        load_recipe(_file_recipe(tmp_path / "r", "/etc/passwd"))


def test_the_user_may_allow_outside_paths(tmp_path, monkeypatch):
    (tmp_path / "outside.jsonl").write_text('{"prompt": "p", "answer": "1"}\n')
    recipe = _file_recipe(tmp_path / "recipe", "../outside.jsonl")
    monkeypatch.setenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS", "1")  # what `build --allow-outside-paths` sets
    load_recipe(recipe)
    monkeypatch.delenv("REASONLEDGER_ALLOW_OUTSIDE_PATHS")
    _user_config(tmp_path, monkeypatch, "allow_outside_paths: true\n")
    load_recipe(recipe)


def test_paths_inside_the_recipes_folder_load(tmp_path, monkeypatch):
    folder = tmp_path / "recipe"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "a.jsonl").write_text('{"prompt": "p", "answer": "1"}\n')
    load_recipe(_file_recipe(folder, "data/a.jsonl"))
    load_recipe(_file_recipe(folder, "data/*.jsonl"))
    monkeypatch.chdir(folder)  # a relative recipe path: its folder is the current one
    load_recipe("r.yaml")


def test_an_unknown_reasoning_gym_task_fails_at_load_with_the_known_names(tmp_path):
    with pytest.raises(RecipeError, match=r"sources.0.tasks.0: unknown reasoning-gym task 'chain_sm' "
                                          r"\(did you mean chain_sum.*\); known: .*leg_counting"):
        load_recipe(_write(tmp_path, BASE.replace("[chain_sum]", "[chain_sm]")))


def test_a_task_config_its_generator_refuses_fails_at_load(tmp_path):
    bad = "[{name: chain_sum, config: {min_terms: 5, max_terms: 2}}]"
    with pytest.raises(RecipeError, match="sources.0.tasks.0.config: chain_sum does not accept .*max_terms must be"):
        load_recipe(_write(tmp_path, BASE.replace("[chain_sum]", bad)))


def test_a_bad_operator_config_fails_the_recipe_at_load(tmp_path, monkeypatch):
    _user_config(tmp_path, monkeypatch, "limits: {code: {memory: 1}}\n")
    with pytest.raises(RecipeError, match="your reasonledger config: .*limits.code.memory: not a limit"):
        load_recipe(_write(tmp_path, BASE))


@pytest.mark.parametrize("step", ["verify", "gold_check"])
def test_a_step_naming_an_unknown_verifier_fails_at_load(tmp_path, step):
    text = BASE.replace("  - type: gold_check\n", f"  - type: {step}\n    verifier: mth\n")
    with pytest.raises(RecipeError, match=r"steps.0.verifier: .*unknown verifier 'mth'; known: code, (.+, )?exact, (.+, )?math"):
        load_recipe(_write(tmp_path, text))


REPLAY = Path(__file__).resolve().parents[2] / "examples" / "replay.yaml"


@pytest.mark.parametrize("replay, message", [
    ("[data/missing.jsonl]", "steps.0.generator.replay: no such file"),
    ("[/etc/passwd]", "steps.0.generator.replay: /etc/passwd is outside the recipe's folder"),
    ("[../README.md]", "steps.0.generator.replay: .*README.md is outside the recipe's folder"),
])
def test_replay_files_are_checked_at_load(replay, message):
    with pytest.raises(RecipeError, match=message):
        load_recipe(REPLAY, [f"steps.0.generator.replay={replay}"])


def test_a_recipe_cannot_turn_on_remote_code_by_itself(tmp_path, monkeypatch):
    spec = {"backend": "vllm", "model": "some/model", "vllm": {"trust_remote_code": True}}
    with pytest.raises(ValueError, match="vllm.trust_remote_code: a recipe may not by itself run code"):
        GeneratorSpec(**spec)
    _user_config(tmp_path, monkeypatch, "trust_remote_code: true\n")
    assert GeneratorSpec(**spec).vllm == {"trust_remote_code": True}


@pytest.mark.parametrize("options, message", [
    ("{prompt_feld: question}", "sources.0.options.prompt_feld: the jsonl importer has no such option; it takes: "
                                "prompt_field, answer_field"),
    ("{verifier: mth}", "sources.0.options.verifier: unknown verifier 'mth'; known: code, (.+, )?exact, (.+, )?math"),
])
def test_importer_options_are_checked_at_load(tmp_path, options, message):
    (tmp_path / "t.jsonl").write_text('{"question": "q", "answer": "1"}\n')
    text = FILE_SOURCE.replace("PATH", "t.jsonl").replace("format: jsonl", f"format: jsonl\n    options: {options}")
    with pytest.raises(RecipeError, match=message):
        load_recipe(_write(tmp_path, text))
    load_recipe(_write(tmp_path, FILE_SOURCE.replace("PATH", "t.jsonl").replace(
        "format: jsonl", "format: jsonl\n    options: {prompt_field: question, verifier: math}")))
