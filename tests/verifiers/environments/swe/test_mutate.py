"""Single-site mutants: every operator fires, each mutant is one line away from the gold, the order is fixed."""

from __future__ import annotations

import difflib

from reasonledger.verifiers.environments.swe.instances import CodeTask, draw
from reasonledger.verifiers.environments.swe.mutate import OPERATORS, mutants, normalise

GOLD = normalise('''
def f(xs: list[int], n: int = 3) -> int:
    total = 0
    for i in range(1, len(xs)):
        if xs[i] > xs[i - 1] and n % 2 == 1:
            total += xs[i] * 2
    while total > 100 or not xs:
        total = total // 2
    return total if xs[:n] else total - n / 4 & 7
''')


def test_every_operator_fires_and_each_mutant_is_one_line_from_the_gold():
    found = list(mutants(GOLD))
    assert {m.operator for m in found} == set(OPERATORS)
    gold_lines = GOLD.splitlines()
    for m in found:
        lines = m.program.splitlines()
        assert len(lines) == len(gold_lines), m.mutant_id
        changed = [i for i, (a, b) in enumerate(zip(gold_lines, lines)) if a != b]
        assert len(changed) == 1, (m.mutant_id, list(difflib.unified_diff(gold_lines, lines, lineterm="")))
        assert changed[0] + 1 == m.line, m.mutant_id  # the site's line is where the edit is
    assert len({m.program for m in found}) == len(found)  # no two mutants are the same program


def test_annotations_are_not_sites():
    for m in mutants(GOLD):
        head = m.program.splitlines()[0]  # only the default value may change on the def line
        assert head.startswith("def f(xs: list[int], n: int=") and head.endswith(") -> int:"), m.mutant_id


def test_examples_of_each_kind():
    programs = {m.program for m in mutants(normalise("def g(a, b):\n    return a - b < 0\n"))}
    assert "def g(a, b):\n    return a + b < 0" in programs  # operator flip
    assert "def g(a, b):\n    return b - a < 0" in programs  # swapped operands
    assert "def g(a, b):\n    return a - b <= 0" in programs  # comparison flip
    assert "def g(a, b):\n    return a - b < 1" in programs  # constant n -> n + 1
    assert "def g(a, b):\n    return 0 < a - b" in programs  # swapped comparison
    called = {m.program for m in mutants(normalise("def k(xs):\n    return sorted(divmod(7, 2), reverse=True)\n"))}
    assert "def k(xs):\n    return sorted(divmod(2, 7), reverse=True)" in called  # swapped arguments
    assert "def k(xs):\n    return sorted(divmod(7, 2), reverse=False)" in called  # True -> False
    sliced = {m.program for m in mutants(normalise("def h(s):\n    return s[1:len(s)]\n"))}
    assert "def h(s):\n    return s[2:len(s)]" in sliced
    assert "def h(s):\n    return s[1:len(s) + 1]" in sliced


def test_draw_is_fixed_by_seed_and_task():
    task = CodeTask("mbpp", "7", "", "f", {}, GOLD, {})
    first = [m.mutant_id for m in draw(task, seed=0, per_task=5)]
    assert first == [m.mutant_id for m in draw(task, seed=0, per_task=5)]
    assert first != [m.mutant_id for m in draw(task, seed=1, per_task=5)]
    other = CodeTask("mbpp", "8", "", "f", {}, GOLD, {})
    assert first != [m.mutant_id for m in draw(other, seed=0, per_task=5)]
