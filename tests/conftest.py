"""Shared fixtures. Real public data lives in ../shared/data beside the checkout (never copied here)."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("REASONLEDGER_SHARED_DATA", ROOT.parent / "shared" / "data"))


@pytest.fixture
def shared_data() -> Path:
    """The real data folder; tests that need it skip with a clear message when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA} (set REASONLEDGER_SHARED_DATA)")
    return SHARED_DATA


def benchmark_module(name: str) -> ModuleType:
    """benchmarks/NAME.py loaded as a module (benchmarks/ is scripts, not a package), for tests that
    check what a benchmark measures."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
