"""Model answers never reach the reasoning-gym scorers that run text as Python (eval, sympy's parse_expr)."""

import pytest
import reasoning_gym

from reasonledger.construct.sources import _json_safe
from reasonledger.verifiers import get_verifier


def _reference(task: str, index: int = 0, seed: int = 5) -> dict:
    entry = reasoning_gym.create_dataset(task, size=index + 1, seed=seed)[index]
    return {"dataset": task, "answer": entry["answer"], "metadata": _json_safe(entry["metadata"])}


def _writes(path) -> str:
    return f"__import__('pathlib').Path({str(path)!r}).write_text('ran')"


EVALUATING = ["countdown", "puzzle24", "polynomial_multiplication", "simple_integration", "intermediate_integration",
              "binary_matrix", "n_queens", "spiral_matrix", "string_insertion"]


@pytest.mark.parametrize("task", EVALUATING)
def test_an_answer_that_would_run_code_is_refused_and_never_runs(task, tmp_path):
    target = tmp_path / "ran.txt"
    verdict = get_verifier("reasoning_gym").verify(_reference(task), f"<answer>{_writes(target)}</answer>")
    assert not target.exists()
    assert (verdict.passed, verdict.score, verdict.evidence["reason"]) == (False, 0.0, "unsafe_answer")
    assert "Python" in verdict.evidence["unsafe"]
