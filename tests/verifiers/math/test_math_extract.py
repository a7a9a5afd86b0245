"""Extraction: every rule, the rule recorded, and no first-number fallback."""

import pytest

from reasonledger.verifiers.math.extract import choice_letter, extract_answer, extract_choice, find_boxes


@pytest.mark.parametrize("text,answer,rule", [
    (r"so $x = \boxed{\frac{1}{2}}$.", r"\frac{1}{2}", "boxed"),
    (r"nested \boxed{\frac{a}{\sqrt{b^{2}}}} end", r"\frac{a}{\sqrt{b^{2}}}", "boxed"),
    (r"it is \fbox{42}", "42", "boxed"),
    (r"first \boxed{3}. Wait, recheck... \boxed{5}", "5", "boxed"),
    (r"$\boxed{1}$ and $\boxed{2}$", "1, 2", "boxed"),
    (r"\boxed{(2, 2)} \quad \text{and} \quad \boxed{(6, 2)}", "(2, 2), (6, 2)", "boxed"),
    ("The final answer is $7.78$. I hope it is correct.", "7.78", "answer_is"),
    ("Blah 12 blah. So the answer is 34.", "34", "answer_is"),
    ("Final Answer: The largest $n$ is 34.", "34", "answer_colon"),
    ("Janet sells 9 eggs.\nShe makes 18 dollars.\n#### 18", "18", "hashes"),
    ("work...\nAnswer: 1,234", "1,234", "answer_colon"),
    ("<think>maybe 3</think><answer>4</answer>", "4", "answer_tag"),
    ("She makes 9 * 2 = 18 every day.\nA: 18", "18", "final_line"),
    ("Therefore, there are 12 distinct sequences. I hope it is correct.", "12", "final_line"),
    ("Answer $ \\frac{1}{2} \\$ = \\frac{10}{9} $", "\\frac{1}{2} \\$ = \\frac{10}{9}", "final_line"),
])
def test_rules_fire_and_are_recorded(text, answer, rule):
    got = extract_answer(text)
    assert got is not None
    assert got.text == answer
    assert got.rule == rule


def test_boxes_far_apart_or_not_joined_by_a_connector_stay_apart():
    assert extract_answer(r"\boxed{1} no no no no no \boxed{2}").text == "2"
    assert extract_answer(r"\boxed{1} papers and \boxed{2} bins").text == "1, 2"


def test_an_unclosed_box_runs_to_the_end():
    assert find_boxes(r"\boxed{x = 1")[-1][2] == "x = 1"


@pytest.mark.parametrize("text", ["AZYUK2A", "No numbers here at all.", "", "The value is unknown.\n\n", "Answer $ \n 9 \n $"])
def test_nothing_extracted_is_none_never_the_first_number(text):
    assert extract_answer(text) is None


def test_no_first_number_fallback_when_final_line_has_none():
    text = "We start with 17 apples and 4 pears.\nSo the result follows from the above."
    assert extract_answer(text) is None


def test_inline_math_does_not_cross_lines_but_display_math_does():
    assert extract_answer("Answer \\[ \n 9 \n \\]").text == "9"
    assert extract_answer("Answer $$ \n 9 \n $$").text == "9"


def test_reference_taken_whole_when_short():
    got = extract_answer("$21,16$ or $11$", reference=True)
    assert got.rule == "reference" and got.text == "21,16 or 11"


@pytest.mark.parametrize("text,letter", [
    ("The answer is A.", "A"), ("Final answer is B", "B"), ("A. Because B is not valid", "A"),
    ("Because B is valid", "B"), (r"so \boxed{\text{(C)}}", "C"), ("Answer: (D)", "D"),
])
def test_multiple_choice_letters(text, letter):
    got = extract_choice(text, "ABCD")
    assert got is not None and got.text == letter


def test_no_choice_when_none_is_given():
    assert extract_choice("No valid answer here", "ABCD") is None
    assert extract_choice("A robe takes two bolts", "ABCD") is None


def test_choice_letter_of_references():
    assert choice_letter(r"$\text{E}$") == "E"
    assert choice_letter(r"\boxed{\text{(C)}}") == "C"
    assert choice_letter("d") is None
    assert choice_letter("12") is None
