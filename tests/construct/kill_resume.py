"""What the kill-and-resume tests share: a build run as its own process group against the test server
(`reasonledger build --endpoint`), and killed with SIGKILL once the server has answered enough."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any


def start_build(recipe: Path, out: Path, endpoint: str, **env: str) -> subprocess.Popen:
    """`reasonledger build RECIPE --out OUT --endpoint ENDPOINT` in a new session, with the caller's
    environment (less any endpoint of its own) plus `env`."""
    cmd = [sys.executable, "-m", "reasonledger.cli", "build", str(recipe), "--out", str(out), "--quiet",
           "--endpoint", endpoint]
    inherited = {k: v for k, v in os.environ.items() if k != "REASONLEDGER_ENDPOINT"}
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True,
                            env={**inherited, **env})


def kill_when_answered(process: subprocess.Popen, server: Any, answers: int, timeout: float) -> set[str]:
    """SIGKILL the build's process group once the server has answered `answers` requests (it must still
    be running then); the request bodies the server had answered."""
    deadline = time.monotonic() + timeout
    while sum(server.stats.answered.values()) < answers and time.monotonic() < deadline:
        time.sleep(0.005)
    assert process.poll() is None, "the build finished before the kill"
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return set(server.stats.answered)
