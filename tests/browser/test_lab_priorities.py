"""The browser harness's kernel priorities and pauses (:meth:`LabServer.order_kernels`,
:meth:`LabServer.kernels_paused`), without a browser.

Stand-in "kernels" are sleeping child processes of this one (the stand-in "server") whose
command line names a connection file, each a session of its own, as jupyter_client starts real
kernels.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import types
import uuid
from pathlib import Path

import pytest

from .lab import LabServer

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="needs Linux's /proc (the harness falls back)"
)


@pytest.fixture
def fake_server():
    """A LabServer whose sessions API lists three notebooks, each with a sleeping process as
    its kernel; yields (server, {notebook: pid})."""
    procs, sessions = {}, []
    try:
        for name in ("a.ipynb", "b.ipynb", "c.ipynb"):
            kid = str(uuid.uuid4())
            procs[name] = subprocess.Popen(
                [sys.executable, "-c", "import time; time.sleep(60)", "-f", f"kernel-{kid}.json"],
                start_new_session=True,
            )
            sessions.append({"path": name, "kernel": {"id": kid}})
        # a session whose kernel process is gone is left out, not an error
        sessions.append({"path": "gone.ipynb", "kernel": {"id": str(uuid.uuid4())}})
        server = LabServer.__new__(LabServer)  # no server: this process and a sessions API
        server.proc = types.SimpleNamespace(pid=os.getpid())
        server.api = lambda path, method="GET": sessions if path == "sessions" else {}
        yield server, {name: proc.pid for name, proc in procs.items()}
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def test_kernel_pids_found_by_connection_file(fake_server):
    server, pids = fake_server
    assert server.kernel_pids() == pids


def test_order_kernels_lowers_priority_in_order(fake_server):
    server, pids = fake_server
    given = server.order_kernels(["a.ipynb", "b.ipynb", "c.ipynb", "gone.ipynb"], first=5, step=7)
    assert given == {"a.ipynb": 5, "b.ipynb": 12, "c.ipynb": 19}  # capped at 19
    for name, nice in given.items():
        pid = pids[name]
        for task in Path(f"/proc/{pid}/task").iterdir():
            assert os.getpriority(os.PRIO_PROCESS, int(task.name)) == nice, (name, task.name)
        autogroup = Path(f"/proc/{pid}/autogroup")
        if autogroup.exists():  # Linux with autogroup scheduling: the session's niceness
            assert autogroup.read_text().split()[-1] == str(nice), autogroup.read_text()


def _state(pid: int) -> str:
    """A process's state letter from /proc (R running, S sleeping, T stopped, ...)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_kernels_paused_stops_the_others_and_resumes_them(fake_server):
    server, pids = fake_server
    with server.kernels_paused(but="b.ipynb"):
        assert _stopped(pids, {"a.ipynb", "c.ipynb"}) == {"a.ipynb", "c.ipynb"}
    assert _stopped(pids, set()) == set()


def _stopped(pids: dict[str, int], want: set[str]) -> set[str]:
    """The names whose process is stopped, once that is ``want`` (signals arrive
    asynchronously) or after 2 s."""
    deadline = time.monotonic() + 2
    while True:
        stopped = {name for name, pid in pids.items() if _state(pid) == "T"}
        if stopped == want or time.monotonic() > deadline:
            return stopped
        time.sleep(0.01)


def test_kill_kernels_kills_exactly_the_kernels(fake_server):
    server, pids = fake_server
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        server.kill_kernels()
        for pid in pids.values():
            assert os.waitpid(pid, 0)[1] == signal.SIGKILL, pid
        assert bystander.poll() is None  # a child without a connection file is no kernel
    finally:
        bystander.kill()
        bystander.wait()
