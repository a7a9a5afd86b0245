"""BFCL's shipped data (question, possible_answer, multi_turn_func_doc) under the shared data folder."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def bfcl_root(shared_data: Path) -> Path:
    root = shared_data / "bfcl"
    if not (root / "question").is_dir():
        pytest.skip(f"BFCL data not found at {root} (see ../shared/data/README.md)")
    return root
