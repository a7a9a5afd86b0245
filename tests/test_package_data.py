"""What a built wheel ships, checked without building one: every data file under src/reasonledger is
matched by a `[tool.setuptools.package-data]` glob (setuptools expands them as `glob(recursive=True)`
does), every folder of modules is a package (`packages.find` skips one without `__init__.py`), and
every judge template the code names is a listed, pinned file that `importlib.resources` sees."""

from __future__ import annotations

import glob
import tomllib
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "reasonledger"


def _patterns() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["packages"]["find"]["where"] == ["src"]
    return config["package-data"]["reasonledger"]


def _shipped_by_globs(package: Path = PACKAGE) -> set[str]:
    return {name for pattern in _patterns() for name in glob.glob(pattern, root_dir=package, recursive=True)
            if (package / name).is_file()}


def _unshipped(package: Path = PACKAGE) -> list[str]:
    """Data files under `package` that no package-data glob matches: a wheel would leave them out."""
    files = {str(path.relative_to(package)) for path in package.rglob("*")
             if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts}
    return sorted(files - _shipped_by_globs(package))


def test_every_data_file_in_the_package_is_matched_by_a_package_data_glob():
    assert "verifiers/judgment/templates/SHA256SUMS" in _shipped_by_globs()
    missing = _unshipped()
    assert not missing, f"not in any [tool.setuptools.package-data] glob of pyproject.toml, so not in a wheel: {missing}"


def test_the_check_names_a_data_file_no_glob_matches(tmp_path):
    for name in ("verifiers/judgment/templates/new_judge.txt", "verifiers/math/card.json", "cards/new_card.toml",
                 "verifiers/judgment/prompts/extra.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert _unshipped(tmp_path) == ["cards/new_card.toml", "verifiers/judgment/prompts/extra.txt"]


def test_every_folder_of_modules_is_a_package():
    folders = {path.parent for path in PACKAGE.rglob("*.py") if "__pycache__" not in path.parts}
    assert PACKAGE / "verifiers" / "judgment" in folders
    assert not sorted(str(f.relative_to(PACKAGE)) for f in folders if not (f / "__init__.py").is_file())


def _named_templates() -> set[str]:
    """Every template id the code names: each verifier's defaults and LLMBar's strategies."""
    from reasonledger.verifiers.judgment import judge, llmbar, rubric
    from reasonledger.verifiers.judgment.pairwise import PairwiseConfig
    from reasonledger.verifiers.judgment.same_problem import SameProblemConfig

    named = {*judge._TEMPLATE_BY_MODE.values(), *rubric._TEMPLATE_BY_AGGREGATION.values(),
             PairwiseConfig.model_fields["template"].default, SameProblemConfig.model_fields["template"].default}
    named |= {t for pair in llmbar.STRATEGIES.values() for t in pair if t}
    return named


def test_every_template_the_code_names_is_listed_shipped_and_seen_by_importlib_resources():
    from reasonledger.verifiers.judgment.templates import load_template, template_ids

    folder = resources.files("reasonledger.verifiers.judgment").joinpath("templates")
    seen = {entry.name for entry in folder.iterdir() if entry.is_file()}
    listed = set(template_ids())
    named = _named_templates()
    assert {"equivalence", "pairwise", "rubric_item", "llmbar_swap", "same_problem"} <= named
    assert named <= listed, f"named by the code but not in SHA256SUMS: {sorted(named - listed)}"
    assert seen == {f"{t}.txt" for t in listed} | {"SHA256SUMS"}, "templates folder and SHA256SUMS disagree"
    globbed = _shipped_by_globs()
    assert {f"verifiers/judgment/templates/{name}" for name in seen} <= globbed
    for template_id in named:
        assert load_template(template_id).sha256
