"""The local executor: results of every task, and each pool worker knowing how many share the build."""

from __future__ import annotations

from reasonledger.engine.executors import LocalExecutor, worker_share


def test_pool_workers_know_how_many_share_the_builds_limits(monkeypatch):
    monkeypatch.delenv("REASONLEDGER_WORKERS", raising=False)
    assert sorted(LocalExecutor(2).map_unordered(abs, [-3, -1, -2])) == [1, 2, 3]
    assert list(LocalExecutor(2).map_unordered(_share, list(range(4)))) == [2] * 4
    assert list(LocalExecutor(3).map_unordered(_share, [0, 1])) == [2, 2]  # a pool no larger than the tasks
    assert list(LocalExecutor(1).map_unordered(_share, [0])) == [1]  # inline, in this process
    assert worker_share() == 1


def _share(_: int) -> int:
    return worker_share()
