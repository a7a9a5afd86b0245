"""Issue 15: answers that plain rules missed. Each class has correct pairs (accepted, with the rule that
accepted them named in the evidence) and wrong counterparts that must stay rejected."""

import pytest

from reasonledger.verifiers.math import MathVerifier
from reasonledger.verifiers.math.equivalence import PRECISION_RULES
from reasonledger.verifiers.math.forms import FORM_RULES


@pytest.fixture(scope="module")
def v():
    return MathVerifier()


def _rules(verdict) -> set[str]:
    ev = verdict.evidence
    forms = ev.get("forms", {})
    return {r["rule"] for r in ev.get("precision_rules", [])} | set(forms.get("reference", [])) | set(forms.get("response", []))


# (class, reference, correct response, rule that must be recorded, wrong responses)
CLASSES = [
    ("rounded reference", "85.71", r"\boxed{\frac{600}{7}}", "reference_rounded", [r"\boxed{\frac{601}{7}}", r"\boxed{86}"]),
    ("rounded reference", "0.458", r"\boxed{\frac{27}{59}}", "reference_rounded", [r"\boxed{\frac{27}{58}}", r"\boxed{0.45}"]),
    ("exact and approximate", r"\frac{1+\sqrt{97}}{8} \approx 1.36", r"\boxed{\frac{1+\sqrt{97}}{8}}",
     "reference_exact_and_approximate", [r"\boxed{\frac{1-\sqrt{97}}{8}}", r"\boxed{1.35}", r"\boxed{\frac{1+\sqrt{98}}{8}}"]),
    ("percentage", r"41.4\%", r"\boxed{\sqrt{2}-1}", "percent_stated_precision", [r"\boxed{\sqrt{3}-1}", r"\boxed{\sqrt{2}}"]),
    ("mixed number", r"21 \dfrac{13}{14}", r"\boxed{\frac{307}{14}}", "mixed_number", [r"\boxed{\frac{273}{14}}", r"\boxed{21}"]),
    ("mixed number", r"-2\frac{1}{2}", r"\boxed{-\frac{5}{2}}", "mixed_number", [r"\boxed{-1}", r"\boxed{\frac{5}{2}}"]),
    ("named values", "b=-3, c=0", r"\boxed{-3,0}", "named_values_in_order", [r"\boxed{0,-3}", r"\boxed{-3,1}"]),
    ("named values", "p=3, q=4", r"\boxed{3,4}", "named_values_in_order", [r"\boxed{4,3}", r"\boxed{3,4,5}"]),
    ("ratio", "2:1", r"\boxed{2}", "ratio_value", [r"\boxed{\frac{1}{2}}", r"\boxed{3}"]),
    ("ratio", "5:8", r"\boxed{\frac{5}{8}}", "ratio_value", [r"\boxed{\frac{8}{5}}", r"\boxed{0.6}"]),
    ("set builder", r"\{x | x < \frac{3}{2}\} - \{-6\}", r"\boxed{(-\infty,-6)\cup(-6,\frac{3}{2})}", "set_difference",
     [r"\boxed{(-\infty,\frac{3}{2})}", r"\boxed{(-\infty,-6]\cup(-6,\frac{3}{2})}", r"\boxed{(-\infty,-6)\cup(-6,\frac{3}{2}]}"]),
    ("set builder", r"\{x \in \mathbb{R} : x \geq 1\}", r"\boxed{[1,\infty)}", "set_builder", [r"\boxed{(1,\infty)}"]),
    ("set builder", r"\{x | x < \frac{3}{2}, x \neq -6\}", r"\boxed{(-\infty,-6)\cup(-6,\frac{3}{2})}", "set_builder",
     [r"\boxed{(-\infty,\frac{3}{2})}", r"\boxed{(-\infty,-6)}"]),
    ("set builder", r"\{x \mid x \neq 2\}", r"\boxed{(-\infty,2)\cup(2,\infty)}", "set_builder", [r"\boxed{(-\infty,2]\cup(2,\infty)}"]),
    ("or", r"x<-1 \text{ or } x>2", r"\boxed{(-\infty,-1)\cup(2,\infty)}", "inequalities_or",
     [r"\boxed{(-\infty,-1]\cup(2,\infty)}", r"\boxed{(-1,2)}"]),
    ("pm tuples", r"(\pm 1, 2)", r"\boxed{(1,2),(-1,2)}", None, [r"\boxed{(1,2)}", r"\boxed{(1,2),(-1,-2)}"]),
    ("pm tuples", "(1,2),(-1,2)", r"\boxed{(\pm 1, 2)}", None, [r"\boxed{(\pm 1, -2)}", r"\boxed{(\pm 2, 1)}"]),
    ("periodic", r"x = \pi k", r"\boxed{x = n\pi}", "integer_parameter", [r"\boxed{x = 2n\pi}", r"\boxed{x = \pi a}"]),
    ("periodic", r"x=\frac{\pi}{2}+k\pi, k\in\mathbb{Z}", r"\boxed{\frac{\pi}{2}+n\pi}", "integer_parameter",
     [r"\boxed{\frac{\pi}{2}+2n\pi}", r"\boxed{\frac{\pi}{4}+n\pi}"]),
    ("qualifier", r"f(x) = 1 \text{ for all } x", r"\boxed{f(x)=1}", "qualifier", [r"\boxed{f(x)=x}", r"\boxed{f(x)=2}"]),
    ("qualifier", r"x = 2k\pi \text{ where } k \text{ is an integer}", r"\boxed{x = 2\pi m}", "integer_parameter",
     [r"\boxed{x = \pi m}", r"\boxed{x = 2\pi m + 1}"]),
    ("qualifier", r"f(x)=1", r"\boxed{f(x) = 1 \text{ for all } x}", "qualifier", [r"\boxed{f(x) = 0 \text{ for all } x}"]),
    ("degrees and minutes", r"60^\circ 42'", r"\boxed{60.7^\circ}", "degrees_minutes", [r"\boxed{60^\circ 24'}", r"\boxed{60.42^\circ}"]),
    ("degrees and minutes", "60°42′", r"\boxed{60.7^\circ}", "degrees_minutes", [r"\boxed{60.42^\circ}"]),
    ("circled digits", "③", r"\boxed{3}", "circled_digits", [r"\boxed{2}", r"\boxed{①③}"]),
    ("circled digits", "②③", r"\boxed{2, 3}", "circled_digits", [r"\boxed{2, 4}", r"\boxed{23}"]),
    ("full-width digits", "１２", r"\boxed{12}", "full_width", [r"\boxed{13}", r"\boxed{1, 2}"]),
    ("html sup", "2<sup>10</sup>", r"\boxed{1024}", "html_tags", [r"\boxed{1025}", r"\boxed{20}"]),
    ("html sup", "x<sup>2</sup>+1", r"\boxed{x^2+1}", "html_tags", [r"\boxed{2x+1}"]),
]


@pytest.mark.parametrize("cls, ref, good, rule, wrong", CLASSES, ids=[f"{c[0]}: {c[1]}" for c in CLASSES])
def test_class_accepts_with_its_rule_and_rejects_the_wrong_counterparts(v, cls, ref, good, rule, wrong):
    verdict = v.verify(ref, good)
    assert verdict.passed, (cls, verdict.evidence)
    if rule is not None:
        assert rule in _rules(verdict), verdict.evidence
        assert rule in PRECISION_RULES or rule in FORM_RULES  # every rule recorded is listed on the card
    for bad in wrong:
        out = v.verify(ref, bad)
        assert not out.passed, (cls, bad, out.evidence)
        assert out.evidence["method"] != "error", out.evidence


def test_precision_is_the_references_written_precision(v):
    # 600/7 = 85.714...: rounds to 85.71 and to 85.7, not to 85.72 or 85.8
    assert v.verify("85.7", r"\boxed{\frac{600}{7}}").passed
    assert not v.verify("85.72", r"\boxed{\frac{600}{7}}").passed
    assert not v.verify("85.8", r"\boxed{\frac{600}{7}}").passed
    # too few significant digits to state a precision: 0.5 is not 1/3, 0.3 is not 1/3
    assert not v.verify("0.3", r"\boxed{\frac{1}{3}}").passed
    # an integer reference gets no tolerance, and an approximate response is not rounded the other way
    assert not v.verify("86", r"\boxed{\frac{600}{7}}").passed
    assert not v.verify(r"\frac{600}{7}", r"\boxed{85.71}").passed
    assert not v.verify(r"\sqrt{2}", r"\boxed{1.414}").passed


def test_the_rule_is_recorded_with_its_precision(v):
    ev = v.verify("0.458", r"\boxed{\frac{27}{59}}").evidence
    (rule,) = ev["precision_rules"]
    assert rule == {"rule": "reference_rounded", "decimals": 3, "significant_digits": 3, "half_unit": "1/2000"}


def test_named_roots_keep_their_unordered_comparison(v):
    assert v.verify("3, 4", r"\boxed{x_1=4, x_2=3}").passed
    assert v.verify("x_1=3, x_2=4", r"\boxed{4, 3}").passed
    assert v.verify("x=3, x=4", r"\boxed{4, 3}").passed


def test_a_comma_list_of_inequalities_stays_a_system(v):
    # "x > -1, x < 2" is both at once (the interval), "x > -1 or x < 2" would be every real
    assert v.verify(r"x > -1, x < 2", r"\boxed{(-1, 2)}").passed
    assert not v.verify(r"x<-1 \text{ or } x>2", r"\boxed{\varnothing}").passed


def test_a_case_distinction_is_not_a_qualifier(v):
    piecewise = r"3 \text{ when } n \text{ is odd}, 5 \text{ when } n \text{ is even}"
    assert not v.verify(piecewise, r"\boxed{3}").passed
    assert not v.verify(r"f(x) = 1 \text{ for } x > 0", r"\boxed{f(x) = 1 \text{ for } x > 1}").passed


def test_a_fraction_after_a_product_is_not_a_mixed_number(v):
    assert not v.verify(r"2\frac{1}{2}x", r"\boxed{\frac{5}{2}x}").passed  # 2 * x/2 is x
    assert v.verify(r"3 \cdot \frac{1}{2}", r"\boxed{\frac{3}{2}}").passed
