"""Code from a response: the response itself, or a fenced block when it is a chat answer."""

from __future__ import annotations

import re

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)^[ \t]*\1[ \t]*$", re.S | re.M)
_PY = {"python", "py", "python3", "py3", ""}


def extract_code(response: str) -> tuple[str, dict]:
    """(code, how): the last ```python block (or the last untagged one) when fences are present,
    the whole response otherwise. `how` goes into the verdict's evidence."""
    blocks = [(m.group(2).lower(), m.group(3)) for m in _FENCE.finditer(response)]
    if not blocks:
        return response, {"source": "whole_response"}
    py = [i for i, (lang, _) in enumerate(blocks) if lang in _PY]
    if not py:
        return response, {"source": "whole_response", "fences": len(blocks), "note": "no python fence"}
    tagged = [i for i in py if blocks[i][0]]
    idx = (tagged or py)[-1]
    return blocks[idx][1], {"source": "markdown_fence", "fences": len(blocks), "chosen": idx, "language": blocks[idx][0] or None}
