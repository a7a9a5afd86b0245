"""Reading BFCL's data files: JSON objects one after another (one a line, though a file may lack its
final newline), questions joined to their possible answers by `id`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SINGLE_TURN = ("simple_python", "multiple", "parallel", "parallel_multiple", "live_simple")
MULTI_TURN = ("multi_turn_base", "multi_turn_miss_param")


def read_objects(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, object) for each JSON value in the file, however lines are broken between them.
    A value that does not parse raises ValueError naming the file and line."""
    text = Path(path).read_text(encoding="utf-8")
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        line = text.count("\n", 0, position) + 1
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{line}: not JSON ({exc.msg}); BFCL files hold one JSON object a line") from None
        yield line, value


def category_paths(root: Path, category: str) -> tuple[Path, Path]:
    """The question file and the possible-answer file of a category under BFCL's data folder."""
    name = f"BFCL_v4_{category}.json"
    return Path(root) / "question" / name, Path(root) / "possible_answer" / name


def load_category(root: Path, category: str) -> list[dict[str, Any]]:
    """Each question with its `ground_truth` merged in (matched by id; a question with no answer
    raises ValueError naming it)."""
    questions, answers = category_paths(root, category)
    truth = {row["id"]: row["ground_truth"] for _, row in read_objects(answers)}
    entries = []
    for line, row in read_objects(questions):
        if row.get("id") not in truth:
            raise ValueError(f"{questions}:{line}: question {row.get('id')!r} has no possible answer in {answers}")
        entries.append({**row, "ground_truth": truth[row["id"]]})
    return entries
