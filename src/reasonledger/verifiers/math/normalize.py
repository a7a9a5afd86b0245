"""String-level clean-up of one extracted answer before it is parsed.

Only rewrites that never change the mathematical value belong here: presentation commands
(`\\left`, `\\displaystyle`, spacing), frac/binom variants, Unicode symbols, thousands separators
and doubled backslashes from JSON-escaped text. Units, percent signs and text are kept for the
parser, which knows where they stand.
"""

from __future__ import annotations

import re

_UNICODE = {
    "\u2212": "-", "\u2013": "-", "\u2014": "-", "\u00d7": "\\times ", "\u00f7": "\\div ", "\u00b7": "\\cdot ",
    "\u22c5": "\\cdot ", "\u2264": "\\le ", "\u2265": "\\ge ", "\u2260": "\\ne ", "\u03c0": "\\pi ",
    "\u221e": "\\infty ", "\u221a": "\\sqrt", "\u00b0": "^\\circ ", "\u00b2": "^2", "\u00b3": "^3",
    "\u00b1": "\\pm ", "\u2213": "\\mp ", "\u222a": "\\cup ", "\u2229": "\\cap ", "\u2208": "\\in ",
    "\u2248": "\\approx ", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "", "\u2061": "",
    "\uff0c": ",", "\u3001": ",", "\uff1a": ":", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    "\u2026": "\\ldots ", "\u00bd": "(1/2)", "\u00bc": "(1/4)", "\u00be": "(3/4)", "\u20ac": " ", "\u00a3": " ",
}
_UNICODE_RE = re.compile("|".join(re.escape(k) for k in _UNICODE))

# `\\frac` in JSON-escaped text is `\frac`; a real row break `\\` is followed by a non-letter.
_DOUBLE_BACKSLASH_CMD = re.compile(
    r"(?<!\\)\\\\(?=(?:frac|dfrac|tfrac|cfrac|sqrt|text|textbf|textnormal|mathrm|mathbf|mbox|left|right|pi|boxed|"
    r"cdot|times|div|le|leq|ge|geq|lt|gt|ne|neq|infty|begin|end|sin|cos|tan|sec|csc|cot|log|ln|exp|pm|mp|circ|in|"
    r"cup|cap|quad|qquad|alpha|beta|gamma|theta|lambda|mu|sigma|omega|phi|over|approx|dots|ldots|cdots|binom|"
    r"overline|angle|triangle|sum|prod|int|lim|to|infty|emptyset|varnothing|\{|\})(?![a-zA-Z]))"
)

_DROP_COMMANDS = re.compile(
    r"\\(?:left|right|bigl|bigr|Bigl|Bigr|biggl|biggr|Biggl|Biggr|big|Big|bigg|Bigg|middle)(?![a-zA-Z])\.?"
    r"|\\(?:displaystyle|textstyle|scriptstyle|limits|nolimits|nonumber|notag|mathstrut|strut|"
    r"allowbreak|noindent|centering|rm|bf|it|cal)(?![a-zA-Z])"
    r"|\\(?:h|v)space\*?\{[^{}]*\}|\\(?:phantom|hphantom|vphantom)\{[^{}]*\}|\\label\{[^{}]*\}|\\tag\*?\{[^{}]*\}"
)
_SPACES = re.compile(r"\\q?quad|(?<!\\)\\[,;:!> ]|\\enspace|\\thinspace|\\medspace|\\thickspace|\\negthinspace|~")
_FRAC_VARIANTS = re.compile(r"\\[dtc]frac(?![a-zA-Z])")
_BINOM_VARIANTS = re.compile(r"\\[dt]binom(?![a-zA-Z])")
_STYLE_WRAP = re.compile(
    r"\\(?:mathrm|mathbf|mathit|mathsf|mathtt|boldsymbol|bm|mathnormal|operatorname\*?|mathop|rm|textup|up)\s*\{([^{}]*)\}"
)
# Thousands separators written for typesetting: 14{,}916, 32,\!349, 1\,000, 11,\! 111
_THOUSANDS_BRACED = re.compile(r"(?<=\d)\s*\{\s*,\s*\}\s*(?=\d{3}(?!\d))")
_THOUSANDS_BANG = re.compile(r"(?<=\d),\s*\\!\s*(?=\d{3}(?!\d))")
_THOUSANDS_THIN = re.compile(r"(?<=\d)\\,(?=\d{3}(?!\d))")
_STRAY_ENV = re.compile(r"\\(?:begin|end)\{(?:align\*?|aligned|equation\*?|gather\*?|gathered|eqnarray\*?|split|center|flalign\*?|multline\*?)\}")
_ARROWS = re.compile(r"\\(?:Rightarrow|Longrightarrow|implies|therefore|because|iff|Leftrightarrow)(?![a-zA-Z])")


def normalize_unicode(text: str) -> str:
    return _UNICODE_RE.sub(lambda m: _UNICODE[m.group(0)], text)


def normalize(answer: str) -> str:
    """The answer with presentation removed; the value is unchanged."""
    s = normalize_unicode(answer)
    s = _DOUBLE_BACKSLASH_CMD.sub(r"\\", s)
    s = s.replace("\\$", " ").replace("$", " ")
    s = _STRAY_ENV.sub(" ", s)
    s = _DROP_COMMANDS.sub("", s)
    s = _FRAC_VARIANTS.sub(r"\\frac", s)
    s = _BINOM_VARIANTS.sub(r"\\binom", s)
    for _ in range(3):  # nested \mathrm{\mathbf{x}}
        t = _STYLE_WRAP.sub(_unwrap_style, s)
        if t == s:
            break
        s = t
    s = _THOUSANDS_BRACED.sub("", s)
    s = _THOUSANDS_BANG.sub("", s)
    s = _THOUSANDS_THIN.sub("", s)
    s = _SPACES.sub(" ", s)
    s = _ARROWS.sub(" ", s)
    s = s.replace("\\dots", "\\ldots").replace("\\cdots", "\\ldots").replace("\\ldotss", "\\ldots")
    s = " ".join(s.split()).strip(" ;")
    return s[:-1].rstrip() if s.endswith(".") else s


_FUNCTION_NAMES = {
    "sin", "cos", "tan", "sec", "csc", "cot", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
    "ln", "log", "exp", "gcd", "lcm", "max", "min", "det", "arg", "deg",
}


def _unwrap_style(m: re.Match[str]) -> str:
    inner = m.group(1).strip()
    if inner in _FUNCTION_NAMES:
        return f"\\{inner} "
    if inner in ("e", "i", "d"):
        return f" {inner} "
    return "{" + inner + "}" if len(inner) > 1 else f" {inner} "


_TEXT_WRAP = re.compile(r"\\text(?:bf|it|rm|normal|sf|tt)?\s*\{([^{}]*)\}|\\mbox\s*\{([^{}]*)\}")
_COMMAND_THEN_LETTER = re.compile(r"(\\[a-zA-Z]+) (?=[a-zA-Z])")


def compact(normalized: str) -> str:
    """A whitespace-free form of a `normalize`d answer for the string comparison (braces kept: `\\frac{1}{23}` is not `\\frac{12}{3}`)."""
    s = _TEXT_WRAP.sub(lambda m: m.group(1) or m.group(2) or "", normalized)
    s = _COMMAND_THEN_LETTER.sub(r"\1{}", s)  # keep `\\pi r` apart from `\\pir`
    return s.replace(" ", "")
