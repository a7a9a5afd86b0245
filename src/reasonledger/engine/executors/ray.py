"""The Ray executor: the same shard tasks as the local executor, on a local Ray or a Ray cluster.

Workers are long-lived Ray actors pinned to nodes (hard node affinity), spread round-robin over the
nodes up to each node's capacity: the `reasonledger_worker` custom resource when any node declares it
(`ray start --resources='{"reasonledger_worker": 4}'`), else its CPUs. An actor runs shard after shard
in one process, and `run_record_shard` caches the instantiated recipe per process, so every generator
client and sandbox pool a step creates is built once per worker and lives on that worker's node:
a node with N workers holds N generator clients and N sandbox pools.

Shard tasks read and write the run directory, so on a multi-node cluster it must be on storage that
every node mounts at the same path (NFS, a cluster filesystem). Pass it in `shared_paths` and each
worker checks, before its first shard, that it sees the probe file the driver wrote there. The
driver's REASONLEDGER_* environment settings (the generator endpoint, say) are passed to every worker.

Ray is heavy and optional (`pip install 'reasonledger[scaling]'`); it is imported only here, and only
when a Ray build starts.
"""

from __future__ import annotations

import atexit
import os
import secrets
import socket
import time
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from reasonledger.engine.executors.base import WORKERS_ENV, ExecutorError

WORKER_RESOURCE = "reasonledger_worker"
PROBE_PREFIX = ".reasonledger-probe-"
SETTINGS_PREFIX = "REASONLEDGER_"  # environment settings (e.g. REASONLEDGER_ENDPOINT) every worker must see
IN_FLIGHT_PER_WORKER = 2  # one running, one queued: a worker never waits for the driver
CLOSE_SECONDS = 60.0  # how long `close` lets the workers close their steps before it kills them
LOCAL_OBJECT_STORE_BYTES = 256 * 1024 * 1024  # shard tasks exchange small markers, not records


def _ray() -> Any:
    # Ray reports usage statistics by default; a data tool does not send them on its users' behalf
    # (RAY_USAGE_STATS_ENABLED=1 turns them back on).
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise ExecutorError("--executor ray needs Ray: pip install 'reasonledger[scaling]'") from None
    return ray


def plan_placement(capacity: dict[str, int], workers: int | None) -> dict[str, int]:
    """Workers per node: round-robin over the nodes (so every node gets clients and sandboxes),
    never more on a node than its capacity; all of the capacity when `workers` is None."""
    total = sum(capacity.values()) if workers is None else min(workers, sum(capacity.values()))
    plan = dict.fromkeys(capacity, 0)
    while sum(plan.values()) < total:
        for node in sorted(capacity):
            if plan[node] < capacity[node] and sum(plan.values()) < total:
                plan[node] += 1
    return {node: n for node, n in plan.items() if n}


def node_capacity(nodes: Sequence[dict[str, Any]]) -> tuple[dict[str, int], str]:
    """Worker slots per alive node, and the resource they were counted in."""
    alive = [n for n in nodes if n.get("Alive")]
    resource = WORKER_RESOURCE if any(WORKER_RESOURCE in n.get("Resources", {}) for n in alive) else "CPU"
    capacity = {n["NodeID"]: int(n.get("Resources", {}).get(resource, 0)) for n in alive}
    return {node: slots for node, slots in capacity.items() if slots > 0}, resource


def check_probes(probes: dict[str, str], where: str) -> None:
    """Each shared path must hold the driver's probe file with the driver's token."""
    for path, token in probes.items():
        probe = Path(path) / f"{PROBE_PREFIX}{token}"
        try:
            seen = probe.read_text(encoding="utf-8")
        except OSError:
            seen = None
        if seen != token:
            raise ExecutorError(
                f"{path} on {where} is not the driver's {path}: on a multi-node Ray cluster the run directory "
                f"must be on storage that every node mounts at the same path (NFS or a cluster filesystem)")


class ShardWorker:
    """One Ray actor: runs shard tasks one after another in a long-lived process on its node."""

    def __init__(self, probes: dict[str, str]) -> None:
        import ray

        self.node = ray.get_runtime_context().get_node_id()
        check_probes(probes, f"node {self.node} ({socket.gethostname()})")

    def ready(self) -> str:
        return self.node

    def run(self, fn: Callable[[Any], Any], task: Any) -> Any:
        return fn(task)

    def close(self) -> str:
        """Close the steps this process set up (verifier pools and their sandboxes, generator clients),
        as a pool worker does when it exits: `ray.kill` alone would end the actor without it."""
        from reasonledger.engine.worker import close_worker

        close_worker()
        return self.node


class RayExecutor:
    """`map_unordered` over Ray actors; starts a local Ray when there is no address and none is running,
    and in that case shuts it down on `close()` (or at exit)."""

    name = "ray"

    def __init__(self, workers: int | None = None, address: str | None = None,
                 shared_paths: Sequence[str | Path] = ()) -> None:
        self.workers, self.address = workers, address
        self.shared_paths = [str(Path(p).resolve()) for p in shared_paths]
        self.placement: dict[str, int] = {}
        self.shards_by_node: Counter[str] = Counter()
        self._actors: list[tuple[Any, str]] = []
        self._pending: dict[Any, tuple[int, Any]] = {}  # tasks sent and not yet collected
        self._probes: dict[str, str] = {}
        self._owns_ray = False
        atexit.register(self.close)

    # -- session --------------------------------------------------------------------------------
    def _connect(self) -> Any:
        ray = _ray()
        if ray.is_initialized():
            return ray
        options: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False, "logging_level": "ERROR",
                                   "namespace": "reasonledger"}
        try:
            if self.address:
                ray.init(address=self.address, **options)
            else:
                ray.init(num_cpus=self.workers or os.cpu_count() or 1,
                         object_store_memory=LOCAL_OBJECT_STORE_BYTES, **options)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            where = f"the Ray cluster at {self.address}" if self.address else "a local Ray"
            raise ExecutorError(f"could not start or reach {where}: {exc}") from None
        self._owns_ray = True
        return ray

    def _write_probes(self) -> None:
        token = secrets.token_hex(8)
        for path in self.shared_paths:
            Path(path).mkdir(parents=True, exist_ok=True)
            for stale in Path(path).glob(f"{PROBE_PREFIX}*"):  # left by a killed build of this run
                stale.unlink(missing_ok=True)
            (Path(path) / f"{PROBE_PREFIX}{token}").write_text(token, encoding="utf-8")
            self._probes[path] = token

    def start(self) -> None:
        """Start (or reach) Ray and the workers now; otherwise the first `map_unordered` does it."""
        if self._actors:
            return
        ray = self._connect()
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        capacity, resource = node_capacity(ray.nodes())
        if not capacity:
            raise ExecutorError(f"the Ray cluster has no node with a free {resource} for a worker")
        self.placement = plan_placement(capacity, self.workers)
        self._write_probes()
        actor_class = ray.remote(ShardWorker)
        settings = {k: v for k, v in os.environ.items() if k.startswith(SETTINGS_PREFIX)}
        settings[WORKERS_ENV] = str(sum(self.placement.values()))
        for node, count in sorted(self.placement.items()):
            options: dict[str, Any] = {
                "num_cpus": 1, "max_restarts": 1, "max_task_retries": 1,
                "scheduling_strategy": NodeAffinitySchedulingStrategy(node_id=node, soft=False)}
            if resource == WORKER_RESOURCE:
                options["resources"] = {WORKER_RESOURCE: 1}
            options["runtime_env"] = {"env_vars": settings}
            self._actors += [(actor_class.options(**options).remote(self._probes), node) for _ in range(count)]
        try:
            ray.get([actor.ready.remote() for actor, _ in self._actors])
        except ray.exceptions.RayError as exc:
            raise ExecutorError(f"a Ray worker failed to start: {_cause(exc)}") from None

    # -- running --------------------------------------------------------------------------------
    def map_unordered(self, fn: Callable[[Any], Any], tasks: list[Any]) -> Iterator[Any]:
        """Results as they complete; a task whose worker died is given to another worker
        (shard tasks are idempotent: each writes its outputs atomically, its marker last)."""
        if not tasks:
            return
        self.start()
        ray = _ray()
        queue = deque(tasks)
        pending = self._pending  # kept on the executor so that `close` can cancel what is left
        pending.clear()
        alive = dict(enumerate(self._actors))

        def submit(worker: int) -> None:
            if queue and worker in alive:
                task = queue.popleft()
                pending[alive[worker][0].run.remote(fn, task)] = (worker, task)

        for worker in list(alive):
            for _ in range(IN_FLIGHT_PER_WORKER):
                submit(worker)
        while pending:
            [done], _ = ray.wait(list(pending), num_returns=1)
            worker, task = pending.pop(done)
            try:
                result = ray.get(done)
            except ray.exceptions.RayTaskError as exc:
                raise exc.as_instanceof_cause() from None
            except ray.exceptions.RayActorError as exc:
                if worker in alive:
                    self._actors.remove(alive.pop(worker))  # later stages do not use it either
                if not alive:
                    raise ExecutorError(f"every Ray worker died; the last error: {_cause(exc)}") from None
                queue.appendleft(task)
                for other in alive:
                    while queue and sum(1 for w, _ in pending.values() if w == other) < IN_FLIGHT_PER_WORKER:
                        submit(other)
                continue
            self.shards_by_node[alive[worker][1]] += 1
            submit(worker)
            yield result

    def close(self) -> None:
        """Stop the workers, remove the probes, and shut down a Ray this executor started. Also after a
        failed stage: tasks not yet run are cancelled, and each worker closes its steps (within
        CLOSE_SECONDS) before it is killed."""
        if self._actors:
            ray = _ray()
            for ref in self._pending:
                ray.cancel(ref)
            self._pending.clear()
            # One after another: SQLite removes a shared file's write-ahead log only when its last
            # connection closes, and two connections closing at once can each see the other open.
            deadline = time.monotonic() + CLOSE_SECONDS
            for actor, _ in self._actors:
                try:
                    ray.get(actor.close.remote(), timeout=max(0.0, deadline - time.monotonic()))
                except ray.exceptions.RayError:  # GetTimeoutError is one
                    pass  # a dead or stuck worker is killed all the same
            for actor, _ in self._actors:
                ray.kill(actor)
            self._actors = []
        for path, token in self._probes.items():
            (Path(path) / f"{PROBE_PREFIX}{token}").unlink(missing_ok=True)
        self._probes = {}
        if self._owns_ray:
            _ray().shutdown()
            self._owns_ray = False


def _cause(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__
