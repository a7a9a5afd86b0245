"""Parsing, normalisation and equivalence through the verifier's one call, with its evidence."""

import json

import pytest

from reasonledger.verifiers import get_verifier
from reasonledger.verifiers.math import MathVerifier


@pytest.fixture(scope="module")
def v():
    return get_verifier("math")


EQUAL = [
    ("10/9", r"\frac{10}{9}"), ("-10/9", r"-\dfrac{10}{9}"), ("1/3", r"$\frac13$"), ("1", r"$\frac3{3}$"),
    (r"\sqrt{3}", r"$\sqrt3$"), ("1/3", r"$\left( \frac{1}{3} \right)$"), ("1/3", r"$\frac{1}{3} \text{meters}$"),
    ("7425000", "7,425,000"), ("1000", "1 000"), ("1000", "1000.0"), ("14916", r"$\boxed{14{,}916}$"),
    ("32349", r"$\boxed{32,\! 349}$"), ("2.74", "Soucis : 2,74 $ a.."), ("0.4", ".4"), ("1000.99", "$1,000.99"),
    (r"$28\%$", "28 percent"), (r"$28\%$", r"$\boxed{28 pct}"), (r"$90^\circ$", r"\boxed{90^{\circ}}"),
    ("1.5e-3", r"$1.5 \times 10^{-3}$"), ("0.0015", "1.5e-3"), (r"\pi", r"$\boxed{\pi}$"),
    (r"\frac{9}{4}\pi", r"$\boxed{\frac94\pi}$"), (r"e^{i\pi}", "-1"), (r"(1, +\infty)", r"$(1, \infty)$"),
    (r"\sqrt{2}+\sqrt{5}", r"\boxed{\sqrt 5+\sqrt 2}"), (r"$3\sqrt{13}$", r"$\sqrt{117}$"),
    (r"$\frac{x+2}{7}$", r"$\frac{x}{7}+\frac{2}{7}$"), (r"$\tan^2(y)+1$", r"$\sec^2(y)$"),
    ("$(6,31,-1)$", r"$(p,q,r) = \boxed{(6,31,-1)}$"), ("$[0,1)$", "$[0,1)$"), ("$x = 3$", "3"), ("3", "$x=3$"),
    (r"$x \in [-2,7]$", r"$[-2, 7]$"), (r"$-2 \le x \le 7$", r"$x \in [-2,7]$"), ("$x < 1$", "$-x > -1$"),
    ("$x^2/4 + y^2/3 = 1$", "$x^2/16 + y^2/12 = 1/4$"), (r"$\{1,2,3\}$", r"$\{3,1,2\}$"), ("$-2,1$", r"\boxed{1,-2}"),
    (r"$\pm 2021$", "${-2021, 2021}$"), (r"$1 \pm \sqrt{19}$", r"$1+\sqrt{19}, 1-\sqrt{19}$"),
    (r"$a_3 = 2, a_{37} = 19$", r"$\boxed{a_{37} = 19, \quad a_3 = 2}$"),
    (r"\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}", r"$\left[\begin{array}{cc}1 & 2 \\3 & 4\end{array}\right]$"),
    (r"\begin{pmatrix}6 & 8 \\ 10 & 12\end{pmatrix}", r"$\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix} + \begin{pmatrix}5 & 6 \\ 7 & 8\end{pmatrix}$"),
    (r"$125$ miles", r"The distance is $\boxed{125\textnormal{ miles}}.$"), (r"$\text{Evelyn}$", r"\boxed{\text{Evelyn}}"),
    ("$2+3i$", "$3i+2$"), (r"\frac{8}{3}", "2.6667"), ("$0.\\overline{3}$", "1/3"), ("$204_5$", r"\boxed{204_5}"),
    ("$12:00$", "$12:00$"), (r"$\frac{1}{12}$", "$0.0833333333333333$"), ("4.123105625617661", r"$\sqrt{17}$"),
    (r"\text{C}", r"\boxed{\text{(C)}}"), ("E", "$E$"),
]

NOT_EQUAL = [
    ("2", "AZYUK2A"), ("$[0,9)$", "$[0,1)$"), ("$(0,9)$", "$[0,9)$"), ("$x > 5$", "$x < 5$"), ("$a +3z = 0$", "$0$"),
    ("$7 = 11a+c$", "$11a+c$"), ("$(3,1)$", "${1,3}$"), (r"$\pm 2021$", "$2021$"), ("$12:00$", "$1:00$"),
    ("$4$", r"$4\sqrt{2}$"), ("$2$", r"$\frac{1+\sqrt{5}}{2}$"), ("$x+2n+1$", "$x+1$"), ("$(a+5)(b+2)$", "$(+5)(b+2)$"),
    ("5", "500"), (r"\pi", "3.14"), (r"\frac{1}{3}", "0.33"), (r"\frac{1}{2^{98}}", r"\frac{1}{2^{99}}"),
    (r"\frac{1}{2006!}", r"\frac{1}{2004!}"), (r"1-\frac{1}{\mathrm{e}}", r"1+\frac{1}{\mathrm{e}}"),
    (r"$1, 3, 5, \ldots, 2n-1$", r"$1, 2, \ldots, n$"), ("0.0000001", "0.0000003"), ("1e-30", "2e-30"),
    ("16386.20", "16386.17"), ("$1112112_3$", r"\boxed{1112122_3}"), ("$x=1$", "$y=1$"), ("$f(x)$", "$f(y)$"),
    (r"$(\tfrac{27}{8},\tfrac{15}{8})$", r"\boxed{(0, 0)}"), ("32349", r"$\boxed{32, 349}$"), ("d", r"$\text{E}$"),
    ("A", "The answer is B"), (r"$\begin{pmatrix}1 & 2 \\ 3 & 4\end{pmatrix}$", r"$\begin{pmatrix}1 & 2 \\ 3 & 5\end{pmatrix}$"),
]


@pytest.mark.parametrize("reference,response", EQUAL)
def test_equal(v, reference, response):
    verdict = v.verify(reference, response)
    assert verdict.passed, verdict.evidence


@pytest.mark.parametrize("reference,response", NOT_EQUAL)
def test_not_equal(v, reference, response):
    verdict = v.verify(reference, response)
    assert not verdict.passed, verdict.evidence
    assert verdict.evidence["reason"]


def test_order_matters_for_tuples_not_for_sets(v):
    assert not v.verify("$(1, 2)$", "$(2, 1)$").passed
    assert v.verify(r"$\{1, 2\}$", r"$\{2, 1\}$").passed
    assert v.verify("$1, 2$", "$2, 1$").passed  # a bare list of answers is a set of solutions
    assert not v.verify(r"$(1,2,3)$", r"$\{1,2,3\}$").passed


def test_relative_tolerance_is_recorded_and_never_absolute(v):
    near = v.verify(r"\sqrt{2}", "1.4142136")
    assert near.passed and near.evidence["method"] in ("numeric", "rounded_decimal")
    tiny = v.verify("1e-20", "1.5e-20")
    assert not tiny.passed
    assert tiny.evidence["detail"]["rel_tol"] == pytest.approx(1e-6)


def test_evidence_has_extraction_normal_forms_method_and_reason(v):
    verdict = v.verify({"answer": "$\\frac{1}{2}$"}, "Thus the probability is $\\boxed{0.25}$.")
    ev = verdict.evidence
    assert ev["extracted"] == "0.25" and ev["rule"] == "boxed"
    assert ev["reference_extracted"] == "\\frac{1}{2}" and ev["reference_rule"] == "reference"
    assert "normalized" in ev and "normalized_reference" in ev
    assert ev["method"] and ev["reason"]
    json.dumps(verdict.model_dump())  # JSON-serialisable
    assert verdict.verifier == "math" and verdict.version == MathVerifier.version and verdict.config_hash


def test_no_answer_is_said_so(v):
    verdict = v.verify("42", "I am not sure about this one.")
    assert not verdict.passed
    assert verdict.evidence["method"] == "extraction"
    assert "no answer" in verdict.evidence["reason"]


def test_reference_may_be_a_whole_solution(v):
    solution = "Half of 16 is 8.\nSo she keeps 8 and sells 8 * 2 = 16.\n#### 16"
    assert v.verify(solution, "The answer is $16$.").passed
    assert not v.verify(solution, "The answer is $18$.").passed


def test_units_are_dropped_and_recorded(v):
    verdict = v.verify("15", r"$\boxed{15\mbox{ cm}^2}$")
    assert verdict.passed
    assert verdict.evidence["units_dropped"] == ["cm"]


def test_config_changes_the_hash_and_the_verdict():
    loose = MathVerifier(strict_labels=False)
    assert loose.config_hash != MathVerifier().config_hash
    assert loose.verify("$x=1$", "$y=1$").passed
    with pytest.raises(TypeError):
        MathVerifier(no_such_option=1)


def test_verify_many_keeps_order_and_matches_verify(v):
    pairs = [(str(i), f"The answer is {i if i % 3 else i + 1}.") for i in range(300)]
    many = v.verify_many(pairs, workers=2, chunk=50)
    assert [x.passed for x in many] == [v.verify(r, p).passed for r, p in pairs]
    assert [x.passed for x in many] == [bool(i % 3) for i in range(300)]
    v.close()


def test_card_has_the_issue_fields_and_renders(v):
    from reasonledger.verifiers.math.card import CALIBRATION, card_json, card_markdown

    card = v.card()
    for key in ("checks", "formats", "known_false_positives", "known_false_negatives", "calibration", "limits", "methods"):
        assert card[key]
    text = card_markdown(card)
    assert "Known false positives" in text and card["id"] in text
    json.dumps(card, default=str)
    # the shipped card files are what the code and calibration.json render (benchmarks/math_verify_bench.py writes them)
    assert (CALIBRATION.parent / "card.json").read_text(encoding="utf-8") == card_json(card)
    assert (CALIBRATION.parent / "card.md").read_text(encoding="utf-8") == text


def test_cli_check_prints_the_verdict():
    from typer.testing import CliRunner

    from reasonledger.cli import app

    result = CliRunner().invoke(app, ["check", "math", "--reference", "1/2", "--response", r"so \boxed{0.5}"])
    assert result.exit_code == 0, result.output
    verdict = json.loads(result.output[result.output.index("{"):])
    assert verdict["passed"] is True and verdict["verifier"] == "math"
