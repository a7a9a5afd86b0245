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


@pytest.mark.parametrize("task", EVALUATING + ["number_sorting", "bitwise_arithmetic"])
def test_gold_answers_still_pass(task):
    verifier = get_verifier("reasoning_gym")
    for index in range(3):
        reference = _reference(task, index=index)
        answer = reference["answer"] if task != "n_queens" else reference["metadata"]["valid_answers"][0]
        verdict = verifier.verify(reference, f"<answer>{answer}</answer>")
        assert verdict.passed, (task, answer, verdict.evidence)


def test_the_grammars_accept_what_models_write_and_nothing_that_names_code():
    from reasonledger.verifiers.reasoning_gym_safety import algebra, arithmetic, python_literal

    for ok in ("98 + 92 + 95 - 28 - 20", "(25 - 5) * 4 / 2", "42*(30 - 4 - 23)"):
        assert arithmetic(ok) is None
    for bad in ("9**9**9**9", "__import__('os')", "1+1 = 2", "x", "1" * 300, "2\n+3"):
        assert arithmetic(bad), bad
    for ok in ("-2*x**3*cos(x) + 6*x**2*sin(x) + C", "-4*(-2*x - 8)**(3/2)/3 + C", "x^2/2 + 3.5*x", "exp(x) + log(x)",
               "sqrt(y) + E + pi", "3*Integral(x**3*cos(3*x), x) + C", ""):
        assert algebra(ok) is None, ok
    for bad in ("x.func", "S(1)", "N(x)", "__import__", "lambda: 1", "'x'", "x[0]", "ｓｉｎ(x)", "1e999",
                "0x1f", "x!", "sympify(x)", "x;y", "x\ny", "exec(x)"):
        assert algebra(bad), bad
    for ok in ("[[1, 0], [0, 1]]", "['A', 'B']", "1 2 3\n4 5 6", "_ Q _\nQ _ _", "ABCDE xyz!", " [1, -2]"):
        assert python_literal(ok) is None, ok
    from reasonledger.verifiers.reasoning_gym_safety import bitwise_problem

    assert bitwise_problem("((0xc3ce << 0x3) + (0x1907 - 0x7de4))") is None
    for bad in ("1 << 0xffffffffff", "1 << (2 * 3)", "0xa.real", "exec(0xa)", "1 ** 99"):
        assert bitwise_problem(bad), bad
    for bad in ("ABCDE", "[1] * 10**9", "print(1)", "[x for x in range(9)]", "  open('f')", "\nopen('f')", "a.b"):
        assert python_literal(bad), bad


def test_a_reference_that_would_run_code_is_refused(tmp_path):
    verifier = get_verifier("reasoning_gym")
    target = tmp_path / "ran.txt"
    reference = {**_reference("number_sorting"), "answer": _writes(target)}
    verdict = verifier.verify(reference, "<answer>['1.0']</answer>")
    assert not target.exists() and (verdict.score, verdict.evidence["reason"]) == (0.0, "unsafe_reference")
    integration = _reference("simple_integration")
    integration["metadata"]["integrand"] = _writes(target)
    verdict = verifier.verify(integration, f"<answer>{integration['answer']}</answer>")
    assert not target.exists() and verdict.evidence["reason"] == "unsafe_reference"


def test_a_slow_sympy_answer_is_cut_off_at_the_deadline():
    verifier = get_verifier("reasoning_gym", timeout=1.0)
    verdict = verifier.verify(_reference("polynomial_multiplication"), "<answer>9**9**9**9</answer>")
    assert (verdict.passed, verdict.score) == (False, 0.0) and "timed out" in verdict.evidence["reason"]


def _marked(value, mark):
    if isinstance(value, str):
        return value + mark
    if isinstance(value, dict):
        return {k: _marked(v, mark) for k, v in value.items()}
    return value


def test_every_scorer_that_evaluates_text_is_checked(monkeypatch):
    """Traces eval/exec/compile while every reasoning-gym dataset scores marked answers and references:
    the datasets whose answer (or reference) text reaches them must be exactly the checked ones."""
    import builtins

    from reasoning_gym.factory import DATASETS

    from reasonledger.verifiers.reasoning_gym_safety import ANSWER_CHECKS, REFERENCE_CHECKS

    mark, current, seen = "7777", [None], {"answer": set(), "reference": set()}
    for name in ("eval", "exec", "compile"):
        real = getattr(builtins, name)

        def traced(source, *args, _real=real, **kwargs):
            if current[0] and isinstance(source, str) and mark in source:
                seen[current[0][1]].add(current[0][0])
            return _real(source, *args, **kwargs)
        monkeypatch.setattr(builtins, name, traced)
    for name in sorted(DATASETS):
        if name == "composite":  # scores through its member datasets only
            continue
        dataset = reasoning_gym.create_dataset(name, size=1, seed=1)
        entry = dataset[0]
        for answer in (mark, f"[{mark}]", f"[[{mark}]]", f"1+{mark}", f"x+{mark}", f"{entry['answer']} {mark}"):
            current[0] = (name, "answer")
            try:
                dataset.score_answer(answer, entry)
            except Exception:
                pass
        current[0] = (name, "reference")
        for marked in ({**entry, "answer": f"{mark}"}, {**entry, "answer": f"1+{mark}"}, _marked(entry, mark)):
            try:
                dataset.score_answer(str(entry["answer"]), marked)
            except Exception:
                pass
        current[0] = None
    assert seen["answer"] == set(ANSWER_CHECKS)
    assert seen["reference"] == set(REFERENCE_CHECKS)


def test_the_audit_names_each_evaluating_line_of_the_installed_reasoning_gym():
    from pathlib import Path

    from reasonledger.verifiers.reasoning_gym_safety import ANSWER_CHECKS, REFERENCE_CHECKS, WHERE

    assert set(WHERE) == set(ANSWER_CHECKS) | set(REFERENCE_CHECKS)
    root = Path(reasoning_gym.__file__).parent
    for spots in WHERE.values():
        for spot in spots:
            place, call = spot.split(" ", 1)
            path, line = place.split(":")
            assert call in (root / path).read_text().splitlines()[int(line) - 1], spot


def test_the_sympy_worker_cannot_write_even_if_code_got_past_the_grammar(tmp_path, monkeypatch):
    from reasonledger.verifiers import reasoning_gym_safety

    monkeypatch.setattr(reasoning_gym_safety, "refusal", lambda *args: None)  # as if a grammar had a hole
    target = tmp_path / "ran.txt"
    verdict = get_verifier("reasoning_gym").verify(_reference("simple_integration"), f"<answer>{_writes(target)}</answer>")
    assert not target.exists() and (verdict.passed, verdict.score) == (False, 0.0)


def test_the_sympy_worker_cannot_read_data_even_if_code_got_past_the_grammar(tmp_path, monkeypatch):
    """Its Landlock view holds the interpreter's own files only: code that slipped a grammar could read a
    secret into a score before, now it cannot; reading a file of the interpreter still works (the control)."""
    from reasonledger.verifiers import reasoning_gym_safety
    from reasonledger.verifiers.code.lockdown import landlock_abi

    if not landlock_abi():
        pytest.skip("this kernel offers no Landlock: the worker's reads are not narrowed here")
    monkeypatch.setattr(reasoning_gym_safety, "refusal", lambda *args: None)  # as if a grammar had a hole
    reference = _reference("simple_integration")
    secret = tmp_path / "secret.txt"
    secret.write_text("s3cret")

    def scored_when_readable(path) -> float:
        reads = f"__import__('pathlib').Path({str(path)!r}).read_text()"
        answer = f"({reference['answer']}) if len({reads}) > 0 else 0"
        return get_verifier("reasoning_gym").verify(reference, f"<answer>{answer}</answer>").score

    import sympy

    assert scored_when_readable(sympy.__file__) == 1.0  # the interpreter's own files: readable
    assert scored_when_readable(secret) == 0.0  # the user's: not
