"""The batch reward over worker processes: the same scores and dicts as the single call, on real
quickstart rows; workers locked down; a dead or failing worker an error, never a wrong score."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

import reasonledger.rewards as rewards
from reasonledger import reward_workers
from reasonledger.product import build
from reasonledger.verifiers.code import lockdown
from tests.conftest import benchmark_module

# every test here scores the quickstart's reasoning-gym rows
pytest.importorskip("reasoning_gym", reason="reasoning-gym is not installed (the gym extra)")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> tuple[list, list, list, list]:
    """8 completions a row (the gold in five styles, a wrong answer twice, "I don't know.") on a 300-task build."""
    out = tmp_path_factory.mktemp("reward_workers") / "quickstart"
    build(ROOT / "examples" / "quickstart.yaml", out, ["sources.0.size=300"], workers=2, show_progress=False)
    return benchmark_module("rewards_throughput").workload(out / "exports")


def test_the_batch_over_two_workers_equals_the_single_call(work):
    sources, completions, golds, infos = work
    assert len(completions) >= reward_workers.MIN_JOBS
    single = [rewards.compute_score(data_source=s, solution_str=c, ground_truth=g, extra_info=i)
              for s, c, g, i in zip(*work)]
    dicts = [rewards.compute_score(data_source=s, solution_str=c, ground_truth=g, extra_info=i, return_dict=True)
             for s, c, g, i in zip(*work)]
    before = reward_workers.stats.get("batches", 0)
    assert rewards.compute_score_batch(data_sources=sources, solution_strs=completions, ground_truths=golds,
                                       extra_infos=infos, reward_workers=2) == single
    assert rewards.compute_score_batch(data_sources=sources, solution_strs=completions, ground_truths=golds,
                                       extra_infos=infos, return_dict=True, reward_workers=2) == dicts
    assert reward_workers.stats["batches"] == before + 2  # both went to the workers
    assert 0 < sum(single) < len(single)  # passes and failures both


def test_batches_from_two_threads_at_once_get_their_own_scores(work):
    halves = [tuple(column[i::2] for column in work) for i in (0, 1)]
    expected = [rewards.compute_score_batch(*half, reward_workers=0) for half in halves]
    got: list = [None, None]

    def call(i: int) -> None:
        got[i] = rewards.compute_score_batch(*halves[i], reward_workers=2)

    threads = [threading.Thread(target=call, args=(i,)) for i in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == expected


def test_worker_count(monkeypatch):
    monkeypatch.setenv(reward_workers.ENV, "1")
    assert reward_workers.worker_count() == 1
    assert reward_workers.worker_count(3) == 3  # the keyword wins
    assert reward_workers.spread("reasonledger.rewards:_judge_chunk", [("exact", "{}", '"a"', "a")] * 4096, (True,),
                                 reward_workers.worker_count()) is None  # 1: the caller judges it
    monkeypatch.setenv(reward_workers.ENV, "two")
    with pytest.raises(ValueError, match="REASONLEDGER_REWARD_WORKERS='two': give a whole number"):
        reward_workers.worker_count()
    monkeypatch.delenv(reward_workers.ENV)
    assert reward_workers.worker_count() == min(len(__import__("os").sched_getaffinity(0)), reward_workers.DEFAULT_MAX)


PROBE = '''
import os, sys
def write(chunk, path):
    open(path, "w").write("x")
    return chunk
def die(chunk):
    os._exit(3)
def fail(chunk):
    raise ValueError("no such task")
'''


@pytest.fixture()
def pool(tmp_path, monkeypatch):
    """A pool of its own whose workers can import a probe module from tmp_path."""
    (tmp_path / "reward_probe.py").write_text(PROBE)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pool = reward_workers._Pool()
    yield pool
    pool.close()


@pytest.mark.skipif(not lockdown.landlock_abi(), reason="the kernel offers no Landlock, so workers cannot be read-only")
def test_workers_cannot_write(pool, tmp_path):
    target = tmp_path / "written"
    with pytest.raises(reward_workers.RewardWorkerError, match="PermissionError"):
        pool.run("reward_probe:write", [[1]], (str(target),), 2)
    assert not target.exists()


def test_a_worker_that_dies_or_fails_is_an_error_and_the_next_batch_gets_new_workers(pool):
    with pytest.raises(reward_workers.RewardWorkerError, match=r"died while judging a batch.*exit code 3"):
        pool.run("reward_probe:die", [[1], [2]], (), 2)
    assert pool.workers == []
    with pytest.raises(reward_workers.RewardWorkerError, match="failed on 1 jobs: ValueError: no such task"):
        pool.run("reward_probe:fail", [[1]], (), 2)
    assert pool.run("reasonledger.rewards:_judge_chunk", [[("exact", "{}", '"4"', "4")], [("exact", "{}", '"4"', "5")]],
                    (True,), 2) == [1.0, 0.0]


def test_workers_that_cannot_start_leave_the_batch_to_the_caller(pool):
    with pytest.warns(RuntimeWarning, match="could not load no_such_module.*batches are judged in the calling process"):
        assert pool.run("no_such_module:judge", [[1]], (), 2) is None
    assert pool.run("reasonledger.rewards:_judge_chunk", [[1]], (True,), 2) is None  # refused for good in this process


def test_workers_start_the_sympy_workers_of_their_verifiers(pool):
    """polynomial_multiplication is scored in the reasoning_gym sympy worker, math's symbolic checks in
    sympy workers: a locked-down reward worker starts them and gets the scores the caller gets."""
    import json

    import reasoning_gym

    jobs = []
    for entry in reasoning_gym.create_dataset("polynomial_multiplication", size=3, seed=1):
        reference = json.dumps({"dataset": "polynomial_multiplication", "answer": entry["answer"],
                                "metadata": entry["metadata"], "question": entry["question"]})
        jobs += [("reasoning_gym", "{}", reference, f"The answer is {entry['answer']}."),
                 ("reasoning_gym", "{}", reference, "x**2 + 1")]
    jobs += [("math", "{}", json.dumps("x^2-1"), "the answer is (x-1)(x+1)"), ("math", "{}", json.dumps("3"), "4")]
    here = rewards._judge_chunk(jobs, False)
    assert [j[0] for j in here] == [1.0, 0.0] * 3 + [1.0, 0.0]
    assert pool.run("reasonledger.rewards:_judge_chunk", [jobs[:4], jobs[4:]], (False,), 2) == here


def test_jobs_needing_the_network_stay_in_the_calling_process():
    assert rewards._lane_job(("math", "{}", '"1"', "1")) and rewards._lane_job(("reasoning_gym", '{"dataset": "x"}', "{}", ""))
    assert not rewards._lane_job(("math", '{"fallback": {"judge": "j"}}', '"1"', "1"))  # a model judge behind the rules
    assert not rewards._lane_job(("judge", "{}", '"1"', "1")) and not rewards._lane_job(("code", "{}", "{}", ""))
