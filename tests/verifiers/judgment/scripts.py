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


def _mentions_paris(prompt: str, heading: str) -> bool:
    return "Paris" in section(prompt, heading)


def contract_example(name: str) -> tuple[dict[str, Any], Any, str, str]:
    """(config, reference, a passing response, a failing one) for tests/test_contracts.py: scripted
    judges that pass exactly the responses naming Paris."""
    if name == "judge":
        config = scripted("contract-judge", lambda p: "Final Decision: " + (
            "CORRECT" if _mentions_paris(p, "Candidate's final answer") else "INCORRECT"))
        return config, "Paris", "The capital is <answer>Paris</answer>.", "<answer>Lyon</answer>"
    if name == "rubric":
        config = scripted("contract-rubric", lambda p: "Final Decision: " + (
            "MET" if _mentions_paris(p, "Response") else "NOT_MET"))
        rubric = {"provenance": "human", "items": [{"id": "paris", "title": "Names Paris", "weight": 1}]}
        return config, rubric, "Paris.", "Lyon."
    if name == "pairwise":
        config = scripted("contract-pairwise", lambda p: "Final Decision: Output " + (
            "(a)" if _mentions_paris(p, "Output (a)") else "(b)"))
        return config, {"input": "The capital of France?", "baseline": "Lyon."}, "Paris.", "Marseille."
    raise KeyError(name)
