"""A package outside src/reasonledger (tests/plugin_pkg) adds an import format, a step, a verifier
and an output through the `reasonledger.plugins` entry-point group; a recipe names all four and
builds, on 1 and 2 local workers and on Ray, and `reasonledger plugins` lists them with their origin."""

from __future__ import annotations

import importlib
import json
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger import registry
from reasonledger.builtins import BUILTIN_COMMANDS
from reasonledger.records.targets import gold_answer
from reasonledger.engine.recipe import RecipeError
from reasonledger.engine.step import STEPS
from reasonledger.engine.outputs import OUTPUTS
from reasonledger.formats.importers import IMPORTERS
from reasonledger.product import build
from reasonledger.records.io import iter_valid
from reasonledger.verifiers.registry import VERIFIERS

PACKAGE = Path(__file__).resolve().parents[1] / "plugin_pkg"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The package installed as an installer would: its source and a .dist-info with its entry
    points on the path (worker processes get the same path), and the plugins loaded afresh."""
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text())["project"]
    site = tmp_path / "site"
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n")
    groups = project["entry-points"]
    (info / "entry_points.txt").write_text("".join(
        f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items()) for group, points in groups.items()))
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.syspath_prepend(str(PACKAGE / "src"))
    monkeypatch.setattr(registry, "_loaded", False)
    yield
    for table, name in ((STEPS, "prompt_length"), (VERIFIERS, "parity"), (OUTPUTS, "prompt_lengths"),
                        (IMPORTERS, "qa_lines"), (registry.registry("command"), "prompt_lengths")):
        if name in table.origins():
            table.remove(name)


def _recipe(tmp_path: Path, step: str = "prompt_length") -> Path:
    lines = [f"Give a number of the parity of {n}. | {answer}" for n, answer in enumerate(["4", "7", "x", "10"])]
    (tmp_path / "tasks.txt").write_text("\n".join([*lines, "a line with no answer"]) + "\n")
    recipe = tmp_path / "plugin.yaml"
    recipe.write_text(f"name: plugin\nseed: 1\nshard_rows: 1\nsources:\n  - type: file\n    path: tasks.txt\n"
                      f"    format: qa_lines\n"
                      f"steps:\n  - type: {step}\n    max_chars: 1000\n  - type: gold_check\noutputs: [verl, prompt_lengths]\n")
    return recipe


@pytest.mark.parametrize("workers", [1, 2])
def test_a_recipe_names_a_plugin_step_and_verifier_and_builds(installed: None, tmp_path: Path, workers: int) -> None:
    result = build(_recipe(tmp_path), tmp_path / "run", workers=workers, show_progress=False)
    kept = list(iter_valid(tmp_path / "run" / "data"))
    assert result.records == 3 and result.quarantined == 1 and all(r.meta["prompt_chars"] > 0 for r in kept)
    assert {v.verifier for r in kept for v in r.verdicts} == {"parity"}
    (rejected,) = iter_valid(tmp_path / "run" / "rejected")
    assert gold_answer(rejected.task.reference) == "x" and rejected.meta["rejection"]["reason"] == "gold_fails_verifier"
    lines = Path(result.outputs["prompt_lengths"]).read_text().splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == sorted(r.id for r in kept)


def test_plugins_lists_each_kind_with_its_origin(installed: None) -> None:
    from reasonledger.cli import app

    listed = json.loads(CliRunner().invoke(app, ["plugins", "--json"]).stdout)
    assert listed["step type"]["prompt_length"] == listed["verifier"]["parity"] == "rl-plugin-demo"
    assert listed["output"]["prompt_lengths"] == listed["import format"]["qa_lines"] == "rl-plugin-demo"
    assert listed["output"]["verl"] == listed["import format"]["gsm8k"] == "reasonledger"
    assert listed["step type"]["gold_check"] == "reasonledger" and listed["verifier"]["math"] == "reasonledger"


def test_a_plugin_adds_a_command_to_the_cli(installed: None, tmp_path: Path) -> None:
    import reasonledger.cli

    build(_recipe(tmp_path), tmp_path / "run", show_progress=False)
    try:
        cli = importlib.reload(reasonledger.cli)  # the app is made when the module loads: anew, with the plugin
        assert "prompt-lengths" in CliRunner().invoke(cli.app, ["--help"]).stdout
        shown = CliRunner().invoke(cli.app, ["prompt-lengths", str(tmp_path / "run" / "data")])
        assert shown.exit_code == 0 and len(shown.stdout.splitlines()) == 3
        assert json.loads(CliRunner().invoke(cli.app, ["plugins", "--json"]).stdout)["command"] == {
            **{name: "reasonledger" for name in BUILTIN_COMMANDS}, "prompt_lengths": "rl-plugin-demo"}
    finally:
        registry.registry("command").remove("prompt_lengths")
        importlib.reload(reasonledger.cli)


def test_an_unknown_step_names_the_plugins_among_the_known(installed: None, tmp_path: Path) -> None:
    with pytest.raises(RecipeError, match=r"unknown step type 'prompt_lenght'; known: .*prompt_length"):
        build(_recipe(tmp_path, "prompt_lenght"), tmp_path / "run", show_progress=False)


def test_ray_workers_load_the_plugins_too(installed: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    import sys

    monkeypatch.setenv("PYTHONPATH", ":".join(sys.path))  # a local Ray's workers start with the driver's environment
    out = tmp_path / "run"
    result = build(_recipe(tmp_path), out, executor="ray", workers=2, show_progress=False, shared_paths=[out])
    assert result.records == 3 and Path(result.outputs["prompt_lengths"]).read_text().count("\n") == 3
