"""Model output is read as calls with JSON or `ast`, literal values only; nothing is evaluated."""

from __future__ import annotations

import pytest

from reasonledger.verifiers.environments.bfcl.calls import (
    CallParseError,
    ParsedCall,
    bind_positional,
    parse_calls,
)


def test_python_calls_with_dotted_names_and_literals():
    calls = parse_calls("[math.factorial(number=5), g(x=-1.5, y=[1, (2, 3)], z={'a': None, 'b': True})]")
    assert calls == [
        ParsedCall("math.factorial", (), {"number": 5}),
        ParsedCall("g", (), {"x": -1.5, "y": [1, [2, 3]], "z": {"a": None, "b": True}}),
    ]


def test_positional_arguments_are_kept_and_named_by_the_tool():
    (call,) = parse_calls("sort('report.pdf')")
    assert call.args == ("report.pdf",)
    assert bind_positional(call, ["file_name"]) == {"file_name": "report.pdf"}
    with pytest.raises(CallParseError, match="at most 0"):
        bind_positional(call, [])
    with pytest.raises(CallParseError, match="both by position and by name"):
        bind_positional(ParsedCall("f", ("a",), {"x": "b"}), ["x"])


@pytest.mark.parametrize("text", [
    '[{"name": "f", "arguments": {"a": 1}}]',
    '{"name": "f", "arguments": "{\\"a\\": 1}"}',
    '[{"f": {"a": 1}}]',
    '{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{\\"a\\": 1}"}}',
    "```python\nf(a=1)\n```",
])
def test_json_and_fenced_forms(text):
    assert parse_calls(text) == [ParsedCall("f", (), {"a": 1})]


@pytest.mark.parametrize("text", [
    "f(a=__import__('os').system('true'))",  # a call inside the arguments
    "f(a=os.environ)",                        # a name or attribute as a value
    "f(a=1 + 1)",                             # an operator
    "f(a=(lambda: 1)())",
    "f(**{'a': 1})",
    "f(*[1])",
    "f(a=1, a=2)",
    "x",                                      # not a call
    "open('x').read()",                       # the called thing is a call
    "f(a=b'bytes')",
    "f(a=",                                   # not Python
    '{"name": "f", "arguments": {"a": NaN}}',  # not a finite number
    '{"name": "f", "arguments": "{\\"a\\": Infinity}"}',
])
def test_anything_but_literal_calls_is_refused(text):
    with pytest.raises(CallParseError):
        parse_calls(text)


def test_json_that_is_not_calls_is_refused_with_the_reason():
    with pytest.raises(CallParseError, match="not an object"):
        parse_calls('["f"]')
    with pytest.raises(CallParseError, match="arguments must be an object"):
        parse_calls('{"name": "f", "arguments": [1]}')
    with pytest.raises(CallParseError, match="at most"):
        parse_calls("f(a='" + "x" * 300_000 + "')")


def test_empty_output_is_no_calls():
    assert parse_calls("   ") == []
    assert parse_calls("[]") == []
