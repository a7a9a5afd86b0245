"""Every judgment test sees only the operator config it writes (never the developer's own file) and
starts a fresh judge-call count; `allow_judges` is the operator opening the door for data-named judges."""

from __future__ import annotations

import pytest

from reasonledger.verifiers.judgment import budget


@pytest.fixture(autouse=True)
def _own_operator_config(tmp_path, monkeypatch):
    monkeypatch.delenv("REASONLEDGER_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    budget.reset()
    yield
    budget.reset()


def operator_config(tmp_path, monkeypatch, text: str) -> None:
    path = tmp_path / "operator.yaml"
    path.write_text(text)
    monkeypatch.setenv("REASONLEDGER_CONFIG", str(path))


@pytest.fixture
def allow_judges(tmp_path, monkeypatch):
    """The operator lets data name scripted and replayed judges, up to a million requests a run."""
    operator_config(tmp_path, monkeypatch,
                    "limits:\n  judgment: {allow: true, max_calls: 1000000, backends: [scripted, replay]}\n")
