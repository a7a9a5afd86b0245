"""Scripted judges for the judgment tests: functions the `scripted` generation backend calls with each
request, registered under a name the judge's config carries (so its config hash pins the script)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from reasonledger.generation.backends.scripted import SCRIPTS


def scripted(name: str, answer: Callable[[str], str], **config: Any) -> dict[str, Any]:
    """A judge config answered by `answer(user message)`; `name` registers it in this process."""
    SCRIPTS.add(name, lambda request, sample: answer(request.payload["messages"][-1]["content"]))
    return {"model": f"scripted-{name}", "backend": "scripted", "backend_options": {"script": name}, **config}


def section(prompt: str, title: str) -> str:
    """The text under a `# title` heading of a rendered template, up to the next heading."""
    match = re.search(rf"^# {re.escape(title)}[^\n]*\n(.*?)(?=\n\n(?:# |Write at most)|\Z)", prompt, re.DOTALL | re.MULTILINE)
    if match is None:
        raise AssertionError(f"no section {title!r} in the judge prompt")
    return match.group(1)
