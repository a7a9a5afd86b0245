"""The Ray executor: placement arithmetic, the shared-storage check, and on a local Ray the same bytes
as the local executor (and on a three-node cluster of raylets on this machine), a working resume
after SIGKILL, and nothing left running."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reasonledger.engine.build import Build
from reasonledger.product import build, write_card
from reasonledger.engine.executors import ExecutorError, make_executor, worker_share
from reasonledger.engine.executors.ray import PROBE_PREFIX, RayExecutor, check_probes, node_capacity, plan_placement
from reasonledger.engine.recipe import load_recipe

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["sources.0.size=300", "shard_rows=15"]  # 21 shards: enough to kill a build between two of them


def test_placement_spreads_workers_round_robin_within_each_nodes_capacity() -> None:
    assert plan_placement({"a": 4, "b": 2}, 5) == {"a": 3, "b": 2}
    assert plan_placement({"a": 1, "b": 8}, 3) == {"a": 1, "b": 2}
    assert plan_placement({"a": 4, "b": 2}, None) == {"a": 4, "b": 2}
    assert plan_placement({"a": 4, "b": 2}, 50) == {"a": 4, "b": 2}


def test_capacity_is_the_worker_resource_when_a_node_declares_it() -> None:
    nodes = [{"NodeID": "a", "Alive": True, "Resources": {"CPU": 8.0, "reasonledger_worker": 2.0}},
             {"NodeID": "b", "Alive": True, "Resources": {"CPU": 8.0}},
             {"NodeID": "c", "Alive": False, "Resources": {"CPU": 8.0, "reasonledger_worker": 4.0}}]
    assert node_capacity(nodes) == ({"a": 2}, "reasonledger_worker")
    assert node_capacity(nodes[1:]) == ({"b": 8}, "CPU")


def test_a_worker_that_cannot_see_the_run_directory_says_it_needs_shared_storage(tmp_path: Path) -> None:
    (tmp_path / f"{PROBE_PREFIX}abc").write_text("abc")
    check_probes({str(tmp_path): "abc"}, "node n1")
    with pytest.raises(ExecutorError, match="mounts at the same path"):
        check_probes({str(tmp_path): "other"}, "node n1")


def test_unknown_executors_and_misplaced_options_are_clear_errors() -> None:
    with pytest.raises(ExecutorError, match="available: local, ray"):
        make_executor("spark")
    with pytest.raises(ExecutorError, match="takes no address"):
        make_executor("local", 1, address="ray://head:10001")


def test_without_ray_the_error_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(ExecutorError, match=r"pip install 'reasonledger\[scaling\]'"):
        RayExecutor(1).start()


def _same_bytes(a: Path, b: Path) -> None:
    for folder in ("data", "exports"):
        files = sorted(p.relative_to(a) for p in (a / folder).rglob("*") if p.is_file())
        assert files, f"no files in {a / folder}"
        assert files == sorted(p.relative_to(b) for p in (b / folder).rglob("*") if p.is_file())
        for name in files:
            assert (a / name).read_bytes() == (b / name).read_bytes(), f"{name} differs"


def _living(pids: set[int]) -> set[int]:
    """The pids that still run (a zombie has finished)."""
    alive = set()
    for pid in pids:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            continue
        if state != "Z":
            alive.add(pid)
    return alive


def _descendants(root: int) -> set[int]:
    """root and every process below it (Ray's workers run in sessions of their own, so not one group)."""
    parents: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1]) if proc.name.isdigit() else None
        except (FileNotFoundError, ProcessLookupError, IndexError):
            continue
        if ppid is not None:
            parents.setdefault(ppid, []).append(int(proc.name))
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        found.add(pid)
        todo.extend(parents.get(pid, []))
    return found


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot of the quickstart, so every build in this module runs the same recipe."""
    folder = tmp_path_factory.mktemp("examples")
    shutil.copytree(ROOT / "examples" / "data", folder / "data")
    return Path(shutil.copy(ROOT / "examples" / "quickstart.yaml", folder / "quickstart.yaml"))


@pytest.fixture(scope="module")
def local_run(quickstart: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("local") / "run"
    build(quickstart, out, SMALL, executor="local", workers=2, show_progress=False)
    return out


def test_a_ray_build_killed_and_resumed_gives_the_local_bytes_and_leaves_nothing_running(
        quickstart: Path, local_run: Path, tmp_path: Path) -> None:
    """Every shard is computed by Ray workers (some before the kill, the rest on resume); the result
    must be byte-identical to the local executor's."""
    ray = pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    out = tmp_path / "run"
    cli = Path(sys.executable).parent / "reasonledger"
    args = [str(cli), "build", str(quickstart), "--out", str(out), "--executor", "ray", "--workers", "2", "--quiet"]
    for assignment in SMALL:
        args += ["--set", assignment]
    stage = out / "work" / "stage-00"
    process = subprocess.Popen(args, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 180
    while not list(stage.glob("shard-*.json")) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    started = _descendants(process.pid)  # the driver, the local Ray it started, and its workers
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while _living(started) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _living(started), "processes of the killed build are still running"
    done = len(list(stage.glob("shard-*.json")))
    assert 0 < done < 21 and not (stage / "done.json").exists(), f"not killed mid-stage ({done} shards done)"

    executor = RayExecutor(2, shared_paths=[out])
    try:
        Build(load_recipe(quickstart, SMALL), quickstart.parent, out, executor, show_progress=False).run(finish=write_card)
        node = ray.get_runtime_context().get_node_id()
        assert executor.placement == {node: 2}
        assert executor.shards_by_node == {node: 21 - done}  # only the unfinished shards ran again
    finally:
        executor.close()
    assert not ray.is_initialized()
    assert '"event": "resume"' in (out / "runlog.jsonl").read_text()
    assert not list(out.glob(f"{PROBE_PREFIX}*"))
    _same_bytes(local_run, out)


def test_the_tasks_of_a_dead_worker_go_to_the_others() -> None:
    ray = pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    executor = RayExecutor(2)
    try:
        executor.start()
        dead, _ = executor._actors[0]
        ray.kill(dead, no_restart=True)
        assert sorted(executor.map_unordered(abs, list(range(-20, 0)))) == list(range(1, 21))
        assert len(executor._actors) == 1 and sum(executor.shards_by_node.values()) == 20
    finally:
        executor.close()
    assert not ray.is_initialized()


def test_each_worker_closes_its_steps_before_it_is_stopped(tmp_path: Path) -> None:
    """A verification step's pool closes its verdict cache in every worker: no SQLite write-ahead log
    is left behind (killing the actors without closing their steps left one)."""
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    shutil.copytree(ROOT / "examples" / "data", tmp_path / "data")
    recipe = tmp_path / "gold.yaml"
    recipe.write_text("name: gold\nseed: 7\nshard_rows: 2\nsources:\n  - type: file\n    path: data/replay_tasks.jsonl\n"
                      "    format: jsonl\n    options: {prompt_field: question, answer_field: answer, verifier: math}\n"
                      "steps:\n  - type: gold_check\n")
    out = tmp_path / "run"
    build(recipe, out, executor="ray", workers=2, show_progress=False, shared_paths=[out])
    assert sorted(p.name for p in (out / "caches").iterdir()) == ["verdicts.sqlite"]


def test_a_failed_stage_cancels_what_is_left_and_still_stops_every_worker() -> None:
    ray = pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    executor = RayExecutor(2)
    try:
        with pytest.raises(ZeroDivisionError):
            list(executor.map_unordered(_one_over, list(range(5, -15, -1))))
        assert executor._pending  # tasks sent and not collected when the stage failed
    finally:
        executor.close()
    assert not executor._pending and not executor._actors and not ray.is_initialized()


def _one_over(n: int) -> float:
    return 1 / n


def test_on_a_three_node_cluster_each_worker_node_gets_a_worker_and_the_bytes_match(
        quickstart: Path, local_run: Path, tmp_path: Path) -> None:
    """Ray's own multi-node test harness (ray.cluster_utils.Cluster: one raylet per node on this
    machine): a head without CPUs and two nodes that declare one reasonledger_worker each."""
    pytest.importorskip("ray", reason="the Ray executor needs the scaling extra")
    from ray.cluster_utils import Cluster

    store = 100 * 1024 * 1024
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 0, "object_store_memory": store,
                                                            "include_dashboard": False})
    try:
        workers = [cluster.add_node(num_cpus=1, resources={"reasonledger_worker": 1}, object_store_memory=store)
                   for _ in range(2)]
        cluster.wait_for_nodes()
        out = tmp_path / "run"
        executor = RayExecutor(None, address=cluster.address, shared_paths=[out])
        try:
            Build(load_recipe(quickstart, SMALL), quickstart.parent, out, executor, show_progress=False).run(finish=write_card)
            nodes = {node.node_id for node in workers}
            assert executor.placement == dict.fromkeys(nodes, 1)  # the head, with no worker resource, gets none
            assert set(executor.shards_by_node) == nodes and sum(executor.shards_by_node.values()) == 21
            # every worker takes half of a recipe's rate limits
            assert list(executor.map_unordered(lambda _: worker_share(), [0, 1, 2])) == [2, 2, 2]
        finally:
            executor.close()
    finally:
        cluster.shutdown()
    _same_bytes(local_run, out)
