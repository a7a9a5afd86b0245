"""A per-item time limit on task generation: a stuck item is quarantined with its reason and the
shard goes on, every other item unchanged.

The real straggler: at the quickstart's seed, basic_arithmetic item 5000 enumerates the divisors of
a gcd near 2.2e18 one by one (~1.5e9 loop turns, about two minutes of CPU); its neighbours take
milliseconds. Elapsed times are checked only as deadline bounds, with a wide margin for a loaded machine.
"""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import pytest

from reasonledger.construct.time_limit import TimeLimitExceeded, call_with_time_limit

QUICKSTART_SEED = 20261126  # examples/quickstart.yaml
SLOW_ITEM = 5000  # basic_arithmetic at that seed
DEADLINE_S = 30  # for a 1 s limit; the item itself needs minutes


def spin() -> None:
    """A generator stuck in pure Python, the way reasoning-gym's slow items are."""
    while True:
        pass


def swallowing() -> None:
    """A generator whose own error handling catches Exception and tries again."""
    while True:
        try:
            spin()
        except Exception:
            continue


@pytest.fixture
def gym_source():
    pytest.importorskip("reasoning_gym", reason="needs the gym extra: pip install 'reasonledger[gym]'")
    from reasonledger.construct.sources import ReasoningGymSource

    def make(**params):
        return ReasoningGymSource(Path("."), QUICKSTART_SEED, tasks=["basic_arithmetic"], **params)

    return make


def test_the_quickstart_straggler_is_quarantined_within_the_limit_and_its_neighbours_are_unchanged(gym_source):
    from reasonledger.records.quarantine import BadRow

    limited = gym_source(size=SLOW_ITEM + 3, item_timeout_s=1)
    started = time.monotonic()
    rows = list(limited.read(SLOW_ITEM - 2, SLOW_ITEM + 3))
    assert time.monotonic() - started < DEADLINE_S
    bad = [r for r in rows if isinstance(r, BadRow)]
    assert [(b.file, b.line) for b in bad] == [("reasoning_gym:basic_arithmetic", SLOW_ITEM)]
    assert bad[0].reason.startswith("generation_timeout after 1s")
    assert bad[0].raw == f"seed={limited.describe()['tasks'][0]['seed']}/{SLOW_ITEM}".encode()
    # the items around it are exactly what an unlimited source generates
    unlimited = gym_source(size=SLOW_ITEM + 3, item_timeout_s=None)
    others = [r.model_dump(mode="json") for r in rows if not isinstance(r, BadRow)]
    expected = [r.model_dump(mode="json") for g in (SLOW_ITEM - 2, SLOW_ITEM - 1, SLOW_ITEM + 1, SLOW_ITEM + 2)
                for r in unlimited.read(g, g + 1)]
    assert len(others) == 4 and others == expected


def test_the_limit_holds_when_the_source_is_read_outside_the_main_thread(gym_source):
    from reasonledger.records.quarantine import BadRow

    source = gym_source(size=SLOW_ITEM + 2, item_timeout_s=1)
    rows: list = []
    reader = threading.Thread(target=lambda: rows.extend(source.read(SLOW_ITEM - 1, SLOW_ITEM + 2)), daemon=True)
    reader.start()
    reader.join(DEADLINE_S)
    assert not reader.is_alive(), "the slow item was not interrupted in a worker thread"
    assert [type(r).__name__ for r in rows] == ["Record", "BadRow", "Record"]
    assert isinstance(rows[1], BadRow) and rows[1].line == SLOW_ITEM


def test_a_build_through_the_straggler_quarantines_it_counts_it_and_finishes_the_shard(tmp_path):
    pytest.importorskip("reasoning_gym", reason="needs the gym extra: pip install 'reasonledger[gym]'")
    from reasonledger.product import build

    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(f"name: straggler\nseed: {QUICKSTART_SEED}\nshard_rows: 2502\nsources:\n"
                      "  - type: reasoning_gym\n    size: 5005\n    item_timeout_s: 1\n    tasks: [basic_arithmetic]\n")
    started = time.monotonic()
    result = build(recipe, tmp_path / "run", workers=2, show_progress=False)
    assert time.monotonic() - started < 10 * DEADLINE_S
    assert (result.records, result.quarantined) == (5004, 1)  # 5001-5003, after it in its shard, are kept
    (entry,) = [json.loads(line) for line in (tmp_path / "run" / "rejected" / "quarantine.jsonl").read_text().splitlines()]
    assert (entry["file"], entry["line"]) == ("reasoning_gym:basic_arithmetic", SLOW_ITEM)
    assert entry["reason"].startswith("generation_timeout after 1s")


def test_the_limit_defaults_to_ten_seconds_and_is_recorded(gym_source):
    assert gym_source(size=3).describe()["item_timeout_s"] == 10.0
    assert gym_source(size=3, item_timeout_s=None).describe()["item_timeout_s"] is None
    with pytest.raises(ValueError, match="item_timeout_s"):
        gym_source(size=3, item_timeout_s=0)


@pytest.mark.parametrize("generator", [spin, swallowing])
def test_a_stuck_call_in_the_main_thread_is_interrupted_and_sigprof_is_left_as_it_was(generator):
    before = signal.getsignal(signal.SIGPROF)
    started = time.monotonic()
    with pytest.raises(TimeLimitExceeded):
        call_with_time_limit(generator, 0.2)
    assert time.monotonic() - started < DEADLINE_S
    assert signal.getsignal(signal.SIGPROF) == before and signal.getitimer(signal.ITIMER_PROF)[0] == 0


@pytest.mark.parametrize("generator", [spin, swallowing])
def test_a_stuck_call_in_another_thread_is_interrupted(generator):
    outcome: list[str] = []

    def run() -> None:
        try:
            call_with_time_limit(generator, 0.2)
        except TimeLimitExceeded:
            outcome.append("interrupted")

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(DEADLINE_S)
    assert outcome == ["interrupted"]


def test_someone_elses_sigprof_handler_and_timer_are_not_touched():
    fired: list[int] = []
    previous = signal.signal(signal.SIGPROF, lambda signum, frame: fired.append(signum))
    try:
        signal.setitimer(signal.ITIMER_PROF, 60)
        with pytest.raises(TimeLimitExceeded):
            call_with_time_limit(spin, 0.2)  # by the watchdog, not by their signal or timer
        remaining = signal.getitimer(signal.ITIMER_PROF)[0]
        assert 0 < remaining <= 60 and not fired
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def test_a_call_within_the_limit_returns_its_value_and_its_errors_pass_through():
    assert call_with_time_limit(lambda: 42, 5) == 42
    assert call_with_time_limit(lambda: 42, None) == 42
    with pytest.raises(ZeroDivisionError):
        call_with_time_limit(lambda: 1 / 0, 5)
    assert signal.getitimer(signal.ITIMER_PROF)[0] == 0


def test_the_limit_counts_cpu_time_so_waiting_is_not_cut_off():
    """A loaded machine (the call waits for a core) must not change which items are quarantined."""
    assert call_with_time_limit(lambda: time.sleep(0.5) or 7, 0.2) == 7
    result: list[int] = []
    waiter = threading.Thread(target=lambda: result.append(call_with_time_limit(lambda: time.sleep(0.5) or 7, 0.2)))
    waiter.start()
    waiter.join(DEADLINE_S)
    assert result == [7]
