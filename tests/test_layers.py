"""The import-layer contract in pyproject.toml (`[tool.importlinter]`) still catches what it is there for.

`make test` runs `lint-imports` on the real tree; these tests run it on a copy of the source with the same
contracts, first as it is (it passes), then with one planted upward import and one planted cycle (each fails,
naming the planted import). If the contracts are loosened until they stop catching either, these tests fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


@pytest.fixture(scope="module")
def contracts() -> str:
    """pyproject.toml, whose `[tool.importlinter]` table holds the contracts."""
    assert LINT_IMPORTS.exists(), "lint-imports is not installed: pip install -e '.[test]'"
    text = (ROOT / "pyproject.toml").read_text()
    assert tomllib.loads(text)["tool"]["importlinter"]["contracts"], "no import contract in pyproject.toml"
    return text


def _lint(tmp_path: Path, contracts: str, plant: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run lint-imports over a copy of src/ with `plant` (path under the copy -> source) added."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "reasonledger", src / "reasonledger",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for relative, text in plant.items():
        (src / relative).write_text(text)
    (tmp_path / "pyproject.toml").write_text(contracts)
    env = {**os.environ, "PYTHONPATH": str(src)}  # ahead of the editable install's path to the real tree
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_copied_tree_keeps_every_contract(tmp_path, contracts):
    """The control: without a plant the copy passes, so the failures below come from the plants."""
    result = _lint(tmp_path, contracts, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_an_import_from_a_lower_room_to_a_higher_one_fails(tmp_path, contracts):
    result = _lint(tmp_path, contracts, {
        "reasonledger/records/planted.py": '"""Planted by tests/test_layers.py."""\nfrom reasonledger.cards import release\n',
    })
    assert result.returncode == 1, result.stdout + result.stderr
    assert "reasonledger.records is not allowed to import reasonledger.cards" in result.stdout
    assert "reasonledger.records.planted -> reasonledger.cards.release" in result.stdout


def test_a_cycle_between_two_modules_of_one_room_fails(tmp_path, contracts):
    result = _lint(tmp_path, contracts, {
        "reasonledger/verifiers/planted_a.py": "from reasonledger.verifiers import planted_b\n",
        "reasonledger/verifiers/planted_b.py": "from reasonledger.verifiers import planted_a\n",
    })
    assert result.returncode == 1, result.stdout + result.stderr
    assert "No cycles are allowed in reasonledger.verifiers" in result.stdout
    assert "planted_" in result.stdout
