"""LaTeX and plain-text answers to a small expression tree, without sympy.

A hand-written tokenizer and recursive-descent parser: it takes microseconds where a LaTeX
grammar through ANTLR takes tens of milliseconds, it never evaluates anything (so it cannot
hang), and it keeps what a comparison needs and sympy loses: whether `(0,1)` was written with
parentheses, that `28\\%` was a percentage, which words were units, where `\\pm` stood.

Nodes are plain tuples `(kind, ...)`, hashable and picklable:

    ('num', Fraction, is_decimal)   ('sym', name)   ('const', 'pi'|'e'|'i'|'oo')
    ('add', terms)  ('neg', x)  ('pmt', x) [a ±x term]  ('mul', factors)  ('inv', x)  ('pow', b, e)
    ('func', name, args)  ('ufunc', name, args)  ('idx', name, sub)  ('fact', x)  ('abs', x)
    ('root', x, n)  ('pct', x)  ('base', digits, base)  ('text', s)  ('ellipsis',)
    ('tuple', items)  ('list', items)  ('set', items)  ('interval', lo, hi, lo_closed, hi_closed)
    ('union', parts)  ('inter', parts)  ('setminus', a, b)  ('matrix', rows)
    ('rel', parts, ops)  ('ratio', parts)  ('sum'|'prod', var, lo, hi, body)
"""

from __future__ import annotations

import re
from fractions import Fraction

from reasonledger.verifiers.math.limits import Limits, Pathological

Node = tuple


class ParseError(ValueError):
    """The answer is not an expression this parser understands."""


# ---------------------------------------------------------------------------------------------
# tokens

FUNCTIONS = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "arcsec", "arccsc", "arccot",
    "sinh", "cosh", "tanh", "coth", "ln", "log", "exp", "gcd", "lcm", "max", "min", "det", "sgn", "arg",
}
PLAIN_FUNCTIONS = FUNCTIONS | {"sqrt", "abs", "floor", "ceil"}
RELATIONS = {
    "le": "<=", "leq": "<=", "leqslant": "<=", "leqq": "<=", "ge": ">=", "geq": ">=", "geqslant": ">=",
    "geqq": ">=", "lt": "<", "gt": ">", "ne": "!=", "neq": "!=", "approx": "~", "simeq": "~", "thickapprox": "~",
    "equiv": "=", "doteq": "=", "in": "in", "notin": "notin", "to": "to", "rightarrow": "to", "mapsto": "to",
    "longrightarrow": "to", "subset": "subset", "subseteq": "subset",
}
OPERATORS = {
    "cdot": "*", "times": "*", "ast": "*", "div": "/", "pm": "pm", "mp": "mp", "cup": "cup", "cap": "cap",
    "setminus": "setminus", "backslash": "setminus", "colon": ":", "mid": "|", "vert": "|", "lvert": "|",
    "rvert": "|", "lVert": "|", "rVert": "|", "langle": "(", "rangle": ")", "lbrace": "lset", "rbrace": "rset",
    "lbrack": "[", "rbrack": "]", "lfloor": "lfloor", "rfloor": "rfloor", "lceil": "lceil", "rceil": "rceil",
    "prime": "'", "land": "sep", "wedge": "sep", "lor": "sep", "vee": "sep", "ldots": "ellipsis",
    "vdots": "ellipsis", "ddots": "ellipsis", "circ": "deg", "degree": "deg", "%": "%", "neg": "", "not": "",
    "bigcup": "cup", "bigcap": "cap",
}
CONSTANTS = {"pi": "pi", "infty": "oo", "infinity": "oo", "infin": "oo", "imath": "i", "jmath": "i"}
TEXT_COMMANDS = {"text", "textbf", "textit", "textnormal", "textrm", "textsf", "texttt", "mbox", "hbox", "textup", "emph"}
DECORATIONS = {"vec", "hat", "bar", "tilde", "widehat", "widetilde", "dot", "ddot", "overrightarrow", "mathbb", "mathcal", "mathfrak", "mathscr", "underline", "overleftrightarrow"}
MATRIX_ENVS = {"pmatrix", "bmatrix", "Bmatrix", "vmatrix", "Vmatrix", "matrix", "smallmatrix", "array", "psmallmatrix", "bsmallmatrix"}

UNIT_WORDS = {
    "cm", "mm", "km", "m", "kg", "mg", "g", "lb", "lbs", "oz", "ft", "yd", "mi", "hr", "hrs", "min", "mins", "sec",
    "secs", "mph", "kph", "kmh", "ml", "mL", "l", "L", "s", "h", "in", "units", "unit", "sq", "cu", "dollars",
    "dollar", "cents", "cent", "yuan", "usd", "euros", "euro", "rs", "inches", "inch", "feet", "foot", "meters",
    "meter", "metres", "metre", "miles", "mile", "hours", "hour", "minutes", "minute", "seconds", "second",
    "days", "day", "weeks", "week", "months", "month", "years", "year", "degrees", "degree", "square", "cubic",
    "grams", "gram", "kilograms", "liters", "litres", "liter", "gallons", "gallon", "pounds", "pound", "ounces",
    "people", "students", "points", "ways", "times", "apples", "pages", "boxes", "balls", "cookies", "pieces",
}
SEP_WORDS = {"and", "or", "und", "et"}
_INEQUALITIES = {"<", ">", "<=", ">="}
_SEP_TEXTS = SEP_WORDS | {""}  # a \text{} that only separates items
PERCENT_WORDS = {"percent", "pct", "percentage", "percents"}
PLAIN_CONSTANTS = {"pi": "pi", "inf": "oo", "infty": "oo", "infinity": "oo"}
FUNCTION_LETTERS = set("fghFGHW")

# measurement units by what they measure the same way: `5 cm` is not `5 m`; counting nouns
# ("5 apples") and words not listed here are not compared
_UNIT_SPELLINGS = {
    "m": "m meter meters metre metres", "cm": "cm centimeter centimeters centimetre centimetres",
    "mm": "mm millimeter millimeters millimetre millimetres", "km": "km kilometer kilometers kilometre kilometres",
    "kg": "kg kilogram kilograms", "g": "g gram grams", "mg": "mg milligram milligrams", "lb": "lb lbs pound pounds",
    "oz": "oz ounce ounces", "ft": "ft foot feet", "yd": "yd yard yards", "mi": "mi mile miles", "in": "in inch inches",
    "h": "h hr hrs hour hours", "min": "min mins minute minutes", "s": "s sec secs second seconds",
    "day": "day days", "week": "week weeks", "month": "month months", "year": "year years",
    "ml": "ml milliliter milliliters millilitre millilitres", "l": "l liter liters litre litres",
    "gal": "gal gallon gallons", "dollar": "dollar dollars usd", "cent": "cent cents", "euro": "euro euros",
    "yuan": "yuan", "degree": "degree degrees deg", "mph": "mph", "kmh": "kmh kph",
}
UNIT_CANON = {spelling: canon for canon, spellings in _UNIT_SPELLINGS.items() for spelling in spellings.split()}


def measurement_units(words: list[str]) -> frozenset[str]:
    """The canonical measurement units among the unit words a parse dropped (`mL` is `ml`; `m` is never `M`)."""
    out = set()
    for phrase in words:
        for word in re.findall(r"[A-Za-z]+", phrase):
            canon = UNIT_CANON.get(word if len(word) <= 2 else word.lower())
            if canon is None and word.lower() in ("ml", "l"):
                canon = UNIT_CANON[word.lower()]
            if canon is not None:
                out.add(canon)
    return frozenset(out)


_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+(?![a-zA-Z]))?|\.\d+", re.ASCII)
_DIGITS = frozenset("0123456789")
_LETTERS = re.compile(r"[A-Za-z]+")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.DOTALL)
_THOUSANDS_TAIL = re.compile(r",\d{3}(?!\d)", re.ASCII)
_SPACE_THOUSANDS_TAIL = re.compile(r" \d{3}(?![\d.])", re.ASCII)
_DECIMALS = re.compile(r"\.\d+", re.ASCII)
_REPEATING = re.compile(r"(\d*)\.(\d*)\\(?:overline|dot)\{?(\d+)\}?", re.ASCII)


def _repeating_decimal(m: re.Match[str]) -> str:
    whole, fixed, rep = m.group(1) or "0", m.group(2), m.group(3)
    num = int(whole + fixed + rep) - int(whole + fixed)
    den = (10 ** len(rep) - 1) * 10 ** len(fixed)
    return f"({num}/{den})"


def tokenize(text: str, limits: Limits) -> list[tuple[str, object]]:
    """Tokens as (kind, value). Thousands separators are resolved here, where bracket depth is known."""
    text = _REPEATING.sub(_repeating_decimal, text)
    out: list[tuple[str, object]] = []
    i, n = 0, len(text)
    depth = 0
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        if c in _DIGITS or (c == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            if m is None:  # pragma: no cover - a digit always starts a number
                raise ParseError(f"unexpected number at {text[i:i + 12]!r}")
            num = m.group(0)
            j = m.end()
            intpart = num.split(".")[0]
            if "." not in num and "e" not in num.lower() and 1 <= len(intpart) <= 3 and not intpart.startswith("0"):
                groups = 0
                k = j
                while (t := _THOUSANDS_TAIL.match(text, k)) is not None:
                    groups += 1
                    k = t.end()
                if groups and (depth == 0 or groups >= 2):
                    num = text[i:k].replace(",", "")
                    j = k
                    if j < n and text[j] == "." and j + 1 < n and text[j + 1] in _DIGITS:
                        d = _DECIMALS.match(text, j)
                        num += d.group(0)
                        j = d.end()
                elif not groups:
                    k = j
                    while (t := _SPACE_THOUSANDS_TAIL.match(text, k)) is not None:
                        groups += 1
                        k = t.end()
                    if groups:
                        num = text[i:k].replace(" ", "")
                        j = k
            out.append(("num", num))
            i = j
            continue
        if c.isalpha():
            m = _LETTERS.match(text, i)
            if m is None:
                raise ParseError(f"unexpected letter {c!r} (U+{ord(c):04X}): only Latin letters are read as variables; "
                                 "look-alike letters from other scripts (Cyrillic, Greek) are not taken for Latin ones")
            word = m.group(0)
            i = m.end()
            _letters(word, out)
            continue
        if c == "\\":
            if text.startswith("\\\\", i):
                out.append(("op", "rowsep"))
                i += 2
                continue
            m = _COMMAND.match(text, i)
            if m is None:  # a lone trailing backslash
                i += 1
                continue
            name = m.group(1)
            i = m.end()
            if name in ("{", "}"):
                out.append(("op", "lset" if name == "{" else "rset"))
                depth += 1 if name == "{" else -1
            elif name in ("%",):
                out.append(("op", "%"))
            elif name in ("|",):
                out.append(("op", "|"))
            elif name in ("&", "#", "_"):
                continue
            elif name in TEXT_COMMANDS:
                content, i = _braced(text, i)
                out.append(("text", content.strip()))
            elif name in ("begin", "end"):
                env, i = _braced(text, i)
                env = env.strip()
                out.append(("begin" if name == "begin" else "end", env))
                if name == "begin" and env == "array":
                    _, i = _braced(text, i)  # column spec
            elif name in DECORATIONS:
                content, i = _braced(text, i)
                out.append(("id", f"{name}{{{content.strip()}}}"))
            elif name in RELATIONS:
                out.append(("rel", RELATIONS[name]))
            elif name in OPERATORS:
                if OPERATORS[name]:
                    out.append(("op", OPERATORS[name]))
            elif name in CONSTANTS:
                out.append(("const", CONSTANTS[name]))
            elif name in FUNCTIONS:
                out.append(("func", name))
            elif name in ("frac", "sqrt", "binom", "boxed", "fbox", "sum", "prod", "int", "iint", "oint", "lim", "overline", "choose"):
                out.append(("cmd", name))
            elif name in ("emptyset", "varnothing"):
                out.append(("op", "emptyset"))
            elif name == "over":
                out.append(("op", "/"))
            else:
                out.append(("id", name))  # greek letters and unknown commands are symbols
            continue
        if c == "*" and text.startswith("**", i):
            out.append(("op", "^"))
            i += 2
            continue
        two = text[i : i + 2]
        if two in ("<=", ">=", "!=", "=<", "=>", "=="):
            out.append(("rel", {"=<": "<=", "=>": ">=", "==": "="}.get(two, two)))
            i += 2
            continue
        if c in "<>=":
            out.append(("rel", c))
            i += 1
            continue
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        if c in "+-*/^_!()[]{},;:|&'%":
            out.append(("op", c))
            i += 1
            continue
        if c in "?\"`@#~.":
            i += 1
            continue
        raise ParseError(f"unexpected character {c!r}")
    if len(out) > limits.max_tokens:
        raise Pathological(f"{len(out):,} tokens exceed the limit of {limits.max_tokens:,}")
    return out


def _letters(word: str, out: list[tuple[str, object]]) -> None:
    low = word.lower()
    if low in SEP_WORDS:
        out.append(("sep", low))
    elif low in PERCENT_WORDS:
        out.append(("op", "%"))
    elif word in PLAIN_FUNCTIONS:
        out.append(("func", word))
    elif low in PLAIN_CONSTANTS and word != "Pi":
        out.append(("const", PLAIN_CONSTANTS[low]))
    elif len(word) >= 2 and (low in UNIT_WORDS or len(word) >= 4):
        # words: units after a number, or a textual answer
        if len(word) > 4 and (low.startswith("and") or low.startswith("or")) and word[3 if low.startswith("and") else 2].isupper():
            cut = 3 if low.startswith("and") else 2
            out.append(("sep", low[:cut]))
            _letters(word[cut:], out)
            return
        out.append(("word", word))
    elif len(word) == 3 and low.startswith("or") and word[2].isupper():
        out.append(("sep", "or"))
        out.append(("id", word[2]))
    else:
        for ch in word:
            out.append(("id", ch))


def _braced(text: str, i: int) -> tuple[str, int]:
    """The content of the brace group at text[i:] (after spaces) and the index after it."""
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    if i >= n or text[i] != "{":
        # single-token argument: \text x
        if i < n:
            return text[i], i + 1
        return "", i
    depth = 0
    for j in range(i, n):
        if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
            depth += 1
        elif text[j] == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
    raise ParseError("unbalanced braces")


# ---------------------------------------------------------------------------------------------
# parser

_ATOM_START_OPS = {"(", "{", "|", "lfloor", "lceil", "lset"}


def num_node(text: str) -> Node:
    """('num', value, ulp): ulp is the unit of the last written digit of a decimal (2.6667 -> 1/10000), 0 for integers."""
    try:
        value = Fraction(text)
    except (ValueError, ZeroDivisionError) as exc:  # pragma: no cover - regex guarantees the form
        raise ParseError(f"bad number {text!r}") from exc
    mantissa, _, exp = text.lower().partition("e")
    if "." not in mantissa and not exp:
        return ("num", value, 0)
    decimals = len(mantissa.partition(".")[2])
    ulp = Fraction(1, 10**decimals) * Fraction(10) ** int(exp or 0)
    return ("num", value, ulp)


class Parser:
    """Recursive descent over the token list; `units` collects the words dropped as units."""

    def __init__(self, tokens: list[tuple[str, object]], limits: Limits) -> None:
        self.toks = tokens
        self.i = 0
        self.limits = limits
        self.units: list[str] = []
        self.abs_depth = 0

    # -- helpers
    def peek(self, k: int = 0) -> tuple[str, object]:
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else ("eof", None)

    def take(self) -> tuple[str, object]:
        tok = self.peek()
        self.i += 1
        return tok

    def at(self, kind: str, value: object = None) -> bool:
        k, v = self.peek()
        return k == kind and (value is None or v == value)

    def expect(self, kind: str, value: object = None) -> None:
        if not self.at(kind, value):
            raise ParseError(f"expected {value or kind}, found {self.peek()[1]!r}")
        self.i += 1

    # -- grammar
    def parse(self) -> Node:
        if not self.toks:
            raise ParseError("empty answer")
        node = self.semilist(end=("eof",))
        if not self.at("eof"):
            raise ParseError(f"unexpected {self.peek()[1]!r}")
        return node

    def semilist(self, end: tuple[str, ...]) -> Node:
        groups = [self.commalist(end)]
        while self.at("op", ";"):
            self.take()
            if self._at_end(end):
                break
            groups.append(self.commalist(end))
        if len(groups) == 1:
            return groups[0]
        return ("list", tuple(("tuple", g[1]) if g[0] == "list" else g for g in groups))

    def _at_end(self, end: tuple[str, ...]) -> bool:
        k, v = self.peek()
        return k == "eof" or (k == "op" and v in end) or (k == "end")

    def _at_sep(self) -> bool:
        k, v = self.peek()
        return (k == "op" and v == ",") or k == "sep" or self._is_sep_text()

    def commalist(self, end: tuple[str, ...]) -> Node:
        items = [self.relation()]
        joined_by_or = False
        while self._at_sep():
            while self._at_sep():
                joined_by_or |= str(self.take()[1]).strip(" ,").lower() == "or"
            if self._at_end(end) or self.at("op", ";"):
                break
            items.append(self.relation())
            if len(items) > self.limits.max_items:
                raise Pathological(f"more than {self.limits.max_items} items")
        if len(items) == 1:
            return items[0]
        if joined_by_or and all(x[0] == "rel" and set(x[2]) <= _INEQUALITIES for x in items):
            return ("or", tuple(items))  # x < -1 or x > 2: a union, where a comma list of inequalities is a system
        return ("list", tuple(items))

    def relation(self) -> Node:
        parts = [self._ratio_or_setexpr()]
        ops: list[str] = []
        while self.at("rel"):
            ops.append(str(self.take()[1]))
            parts.append(self._ratio_or_setexpr())
        if not ops:
            return parts[0]
        if ops == ["in"]:
            return ("in", parts[0], parts[1])
        return ("rel", tuple(parts), tuple(ops))

    def _ratio_or_setexpr(self) -> Node:
        first = self.setexpr()
        if not self.at("op", ":"):
            return first
        parts = [first]
        while self.at("op", ":") and self._ratio_ahead():
            self.take()
            parts.append(self.setexpr())
        return first if len(parts) == 1 else ("ratio", tuple(parts))

    def _ratio_ahead(self) -> bool:
        k, _ = self.peek(1)
        return k in ("num", "id", "const", "func", "cmd") or self.peek(1) in (("op", "("), ("op", "-"))

    def setexpr(self) -> Node:
        left = self._difference(self.expr())
        while self.at("op", "cup") or self.at("op", "cap") or self.at("op", "setminus"):
            op = self.take()[1]
            right = self.expr()
            if op == "cup":
                left = ("union", (left[1] if left[0] == "union" else (left,)) + (right,))
            elif op == "cap":
                left = ("inter", (left, right))
            else:
                left = ("setminus", left, right)
        return left

    def _difference(self, node: Node) -> Node:
        """`A - {p}` for a set A (set-builder, interval, union) is a set difference, not a subtraction."""
        if node[0] == "add" and len(node[1]) == 2 and node[1][0][0] in ("setbuilder", "interval", "union") \
                and node[1][1][0] == "neg" and node[1][1][1][0] == "set":
            return ("setminus", node[1][0], node[1][1][1])
        return node

    def expr(self) -> Node:
        terms: list[Node] = []
        sign = "+"
        if self.at("op", "+") or self.at("op", "-") or self.at("op", "pm") or self.at("op", "mp"):
            sign = str(self.take()[1])
        while True:
            t = self.term()
            terms.append(t if sign == "+" else ("neg", t) if sign == "-" else ("pmt", t))
            if self.at("op", "+") or self.at("op", "-") or self.at("op", "pm") or self.at("op", "mp"):
                sign = str(self.take()[1])
                while self.at("op", "+") or self.at("op", "-"):  # "+-3", "- -3"
                    s2 = self.take()[1]
                    sign = "-" if (sign == "-") != (s2 == "-") else "+" if sign in "+-" else sign
            else:
                break
        return terms[0] if len(terms) == 1 else ("add", tuple(terms))

    def _starts_atom(self) -> bool:
        k, v = self.peek()
        if k in ("num", "id", "const", "func", "cmd", "begin"):
            return True
        if k == "op" and v in _ATOM_START_OPS:
            return not (v == "|" and self.abs_depth > 0)
        return False

    def term(self) -> Node:
        factors = [self.unary()]
        while True:
            k, v = self.peek()
            if k == "op" and v == "*":
                self.take()
                factors.append(self.unary())
            elif k == "op" and v == "/":
                self.take()
                factors.append(("inv", self.unary()))
            elif k in ("word", "text") and not self._is_sep_text():
                self._unit()
            elif k == "op" and v == "deg":
                self.take()
                self.units.append("degree")
            elif k == "op" and v == "%":
                self.take()
                prod = factors[0] if len(factors) == 1 else ("mul", tuple(factors))
                factors = [("pct", prod)]
            elif self._starts_atom():
                factors.append(self.power())
            else:
                break
        return factors[0] if len(factors) == 1 else ("mul", tuple(factors))

    def _is_sep_text(self) -> bool:
        k, v = self.peek()
        return k == "text" and str(v).strip(" ,").lower() in _SEP_TEXTS

    def _unit(self) -> None:
        k, v = self.take()
        if str(v).strip():
            self.units.append(str(v).strip())
        if self.at("op", "^"):
            self.take()
            self.power()

    def unary(self) -> Node:
        if self.at("op", "-"):
            self.take()
            return ("neg", self.unary())
        if self.at("op", "+"):
            self.take()
            return self.unary()
        if self.at("op", "pm"):
            self.take()
            return ("add", (("pmt", self.unary()),))
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        if self.at("op", "^"):
            self.take()
            if self.at("op", "deg"):
                self.take()
                self.units.append("degree")
                return base
            if self.at("op", "{") and self.peek(1) == ("op", "deg"):
                self.i += 3 if self.peek(2) == ("op", "}") else 2
                self.units.append("degree")
                return base
            exp = self.exponent()
            node: Node = ("pow", base, exp)
            return self._postfix_ops(node)
        return base

    def exponent(self) -> Node:
        if self.at("op", "-"):
            self.take()
            return ("neg", self.exponent())
        if self.at("op", "+"):
            self.take()
            return self.exponent()
        if self.at("op", "{"):
            return self.group()
        if self.at("num"):
            return num_node(str(self.take()[1]))
        return self.power()

    def postfix(self) -> Node:
        return self._postfix_ops(self.atom())

    def _postfix_ops(self, node: Node) -> Node:
        while True:
            if self.at("op", "!") and not (self.peek(1) == ("rel", "=")):
                self.take()
                node = ("fact", node)
            elif self.at("op", "_"):
                self.take()
                node = self._subscript(node)
            elif self.at("op", "'"):
                self.take()
                if node[0] == "sym":
                    node = ("sym", node[1] + "'")
                elif node[0] == "ufunc":
                    node = ("ufunc", node[1] + "'", node[2])
                else:
                    raise ParseError("prime on an expression")
            else:
                return node

    def _sub_text(self) -> tuple[str, Node | None]:
        """A simple subscript as text (`a_{37}` is the name a_37), or the node of an expression subscript."""
        if self.at("op", "{"):
            start = self.i
            sub = self.group()
            inner = self.toks[start + 1 : self.i - 1]
            if inner and all(k in ("num", "word") for k, _ in inner):
                return "".join(str(v) for _, v in inner), None
            if all(k in ("id", "word") for k, _ in inner) and len(inner) > 1:
                return "".join(str(v) for _, v in inner), None
            return "", sub
        k, v = self.take()
        if k == "num":
            return str(v), None
        if k in ("id", "const"):
            return "", ("sym", str(v))
        raise ParseError("bad subscript")

    def _subscript(self, node: Node) -> Node:
        text, sub = self._sub_text()
        if node[0] == "num" and sub is None and text.isdigit() and not node[2]:
            base = int(text)
            digits = str(node[1].numerator)
            if 2 <= base <= 36 and all(int(d, 36) < base for d in digits):
                return ("base", digits, base)
            raise ParseError(f"{digits} is not a base-{base} numeral")
        if node[0] == "sym":
            if sub is None:
                return ("sym", f"{node[1]}_{text}")
            return ("idx", node[1], sub)
        raise ParseError("subscript on an expression")

    def group(self) -> Node:
        """A {...} group: one item, or a list when it holds commas."""
        self.expect("op", "{")
        if self.at("op", "}"):
            self.take()
            raise ParseError("empty group")
        node = self.semilist(end=("}",))
        self.expect("op", "}")
        return node

    def arg(self) -> Node:
        """A macro argument: a brace group, or one token (`\\frac12`, `\\sqrt3`)."""
        if self.at("op", "{"):
            return self.group()
        k, v = self.peek()
        if k == "num":
            s = str(v)
            self.take()
            if len(s) > 1 and s[0].isdigit():
                self.toks.insert(self.i, ("num", s[1:]))
                return num_node(s[0])
            return num_node(s)
        if k in ("id", "const", "cmd", "func"):
            return self.atom()
        raise ParseError("missing argument")

    def atom(self) -> Node:
        k, v = self.peek()
        if k == "num":
            self.take()
            return num_node(str(v))
        if k == "id":
            self.take()
            name = str(v)
            if name in FUNCTION_LETTERS and self.at("op", "("):
                args = self._paren_args()
                return ("ufunc", name, args)
            if name in ("e", "i"):
                return ("const", name)
            return ("sym", name)
        if k == "const":
            self.take()
            return ("const", str(v))
        if k == "func":
            return self._function()
        if k == "cmd":
            return self._command()
        if k == "begin":
            return self._environment()
        if k in ("text", "word"):
            self.take()
            text = str(v).strip()
            inner = text.strip("() ")
            if re.fullmatch(r"-?\d+(\.\d+)?", inner) and text == inner:
                return num_node(inner)
            return ("text", text)
        if k == "op":
            if v in ("(", "["):
                return self._bracket()
            if v == "{":
                return self.group()
            if v == "lset":
                return self._set()
            if v == "|":
                self.take()
                self.abs_depth += 1
                inner = self.expr()
                self.abs_depth -= 1
                self.expect("op", "|")
                return ("abs", inner)
            if v in ("lfloor", "lceil"):
                self.take()
                inner = self.expr()
                self.expect("op", "rfloor" if v == "lfloor" else "rceil")
                return ("func", "floor" if v == "lfloor" else "ceil", (inner,))
            if v == "ellipsis":
                self.take()
                return ("ellipsis",)
            if v == "emptyset":
                self.take()
                return ("set", ())
        raise ParseError(f"unexpected {v!r}")

    def _paren_args(self) -> tuple[Node, ...]:
        self.expect("op", "(")
        items = [self.relation()]
        while self.at("op", ","):
            self.take()
            items.append(self.relation())
        self.expect("op", ")")
        return tuple(items)

    def _bracket(self) -> Node:
        opener = str(self.take()[1])
        items: list[Node] = []
        if self.at("op", ")") or self.at("op", "]"):
            raise ParseError("empty brackets")
        while True:
            items.append(self.relation())
            if self.at("op", ",") or self.at("op", ";"):
                self.take()
                if len(items) > self.limits.max_items:
                    raise Pathological(f"more than {self.limits.max_items} items")
                continue
            break
        if not (self.at("op", ")") or self.at("op", "]")):
            raise ParseError(f"unclosed {opener}")
        closer = str(self.take()[1])
        if len(items) == 1:
            if opener == "(" and closer == ")" or opener == "[" and closer == "]":
                return items[0]
            raise ParseError("half-open bracket around one item")
        if opener == "[" or closer == "]":
            if len(items) == 2:
                return ("interval", items[0], items[1], opener == "[", closer == "]")
            if opener == "[" and closer == "]":
                return ("tuple", tuple(items))
            raise ParseError("mismatched brackets")
        return ("tuple", tuple(items))

    def _set(self) -> Node:
        self.take()
        items: list[Node] = []
        if self.at("op", "rset"):
            self.take()
            return ("set", ())
        builder = self._set_builder()
        if builder is not None:
            return builder
        while True:
            items.append(self.relation())
            if self.at("op", "|") or self.at("op", ":"):
                raise ParseError("set-builder notation")
            if self._at_sep():
                while self._at_sep():
                    self.take()
                if len(items) > self.limits.max_items:
                    raise Pathological(f"more than {self.limits.max_items} items")
                continue
            break
        self.expect("op", "rset")
        return ("set", tuple(items))

    def _set_builder(self) -> Node | None:
        """`{x | cond}`, `{x : cond}`, `{x \\in S | cond}` as ("setbuilder", name, cond); None if not one."""
        k, v = self.peek()
        if k != "id" or len(str(v)) != 1:
            return None
        ahead = 1
        if self.peek(1) == ("rel", "in"):
            ahead = 3
        if self.peek(ahead) not in (("op", "|"), ("op", ":")):
            return None
        for _ in range(ahead + 1):
            self.take()
        cond = self.commalist(("rset",))
        self.expect("op", "rset")
        return ("setbuilder", str(v), cond)

    def _function(self) -> Node:
        name = str(self.take()[1])
        power: Node | None = None
        base: Node | None = None
        for _ in range(2):
            if self.at("op", "^"):
                self.take()
                power = self.exponent()
            elif self.at("op", "_"):
                self.take()
                base = self.arg()
        if power is not None and power == ("neg", ("num", Fraction(1), 0)) and name in ("sin", "cos", "tan", "sec", "csc", "cot"):
            name, power = "arc" + name, None
        if name == "sqrt":
            arg = self.arg() if not self.at("op", "(") else self._paren_group()
            node: Node = ("root", arg, ("num", Fraction(2), 0))
        elif self.at("op", "("):
            args = self._paren_args()
            node = ("func", name, args)
        else:
            node = ("func", name, (self._function_operand(),))
        if name == "log" and base is not None:
            node = ("func", "logb", (node[2][0], base))
        elif name in ("abs", "floor", "ceil") and len(node[2]) == 1:
            node = ("abs", node[2][0]) if name == "abs" else node
        if power is not None:
            node = ("pow", node, power)
        return node

    def _paren_group(self) -> Node:
        self.expect("op", "(")
        inner = self.expr()
        self.expect("op", ")")
        return inner

    def _function_operand(self) -> Node:
        """`\\sin 2x`, `\\sin b \\cos a`: implicit products up to the next function or operator."""
        if self.at("op", "{"):
            return self.group()
        factors = [self.power()]
        while True:
            k, v = self.peek()
            if k in ("num", "id", "const") or (k == "cmd" and v in ("frac", "sqrt")):
                factors.append(self.power())
            else:
                break
        return factors[0] if len(factors) == 1 else ("mul", tuple(factors))

    def _command(self) -> Node:
        name = str(self.take()[1])
        if name == "frac":
            a = self.arg()
            b = self.arg()
            return ("mul", (a, ("inv", b)))
        if name in ("binom", "choose"):
            a = self.arg()
            b = self.arg()
            return ("func", "binom", (a, b))
        if name == "sqrt":
            index: Node = ("num", Fraction(2), 0)
            if self.at("op", "["):
                self.take()
                index = self.expr()
                self.expect("op", "]")
            return ("root", self.arg(), index)
        if name in ("boxed", "fbox"):
            return self.arg()
        if name == "overline":
            return self.arg()
        if name in ("sum", "prod"):
            return self._big_operator(name)
        raise ParseError(f"\\{name} is not supported")

    def _big_operator(self, name: str) -> Node:
        var = lo = hi = None
        for _ in range(2):
            if self.at("op", "_"):
                self.take()
                sub = self.arg()
                if sub[0] == "rel" and sub[2] == ("=",) and sub[1][0][0] == "sym":
                    var, lo = sub[1][0][1], sub[1][1]
                else:
                    raise ParseError("unsupported sum index")
            elif self.at("op", "^"):
                self.take()
                hi = self.arg()
        if var is None or hi is None or lo is None:
            raise ParseError("sum without bounds")
        body = self.term()
        return (name, var, lo, hi, body)

    def _environment(self) -> Node:
        env = str(self.take()[1])
        if env not in MATRIX_ENVS:
            raise ParseError(f"environment {env} is not supported")
        rows: list[list[Node]] = [[]]
        while True:
            if self.at("end"):
                self.take()
                break
            if self.at("eof"):
                raise ParseError("unclosed environment")
            if self.at("op", "rowsep"):
                self.take()
                rows.append([])
                continue
            if self.at("op", "&"):
                self.take()
                if not rows[-1]:
                    raise ParseError("empty cell")
                continue
            rows[-1].append(self.expr())
        rows = [r for r in rows if r]
        if not rows or len({len(r) for r in rows}) != 1:
            raise ParseError("ragged matrix")
        node: Node = ("matrix", tuple(tuple(r) for r in rows))
        if env in ("vmatrix", "Vmatrix"):
            node = ("func", "det", (node,))
        return node


_DECIMAL_COMMA = re.compile(r"^(-?)(\d+),(\d+)$")


def prepare(normalized: str, plain: bool = False) -> str:
    """A `normalize`d answer with plain-text decimal commas resolved (`2,74` is 2.74 in prose)."""
    s = normalized
    if plain:
        m = _DECIMAL_COMMA.match(s.strip())
        if m and (len(m.group(3)) != 3 or m.group(2) == "0" or len(m.group(2)) > 3):
            s = f"{m.group(1)}{m.group(2)}.{m.group(3)}"
    return s


def parse(prepared: str, limits: Limits) -> tuple[Node, list[str]]:
    """The tree of one `prepare`d answer and the unit words dropped from it."""
    toks = tokenize(prepared, limits)
    p = Parser(toks, limits)
    try:
        node = p.parse()
    except RecursionError as exc:
        raise Pathological("expression nests too deeply to parse") from exc
    return node, p.units
