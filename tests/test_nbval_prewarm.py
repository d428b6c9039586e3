"""The nbval kernel pre-warmer (lessons/conftest.py): hand-over, mismatch, failure, clean-up."""

from __future__ import annotations

import threading

import pytest

from course_utils._nbval_prewarm import WARM_CODE, KernelPrewarmer, prewarm_enabled


class FakeKernel:
    started: list = []

    def __init__(self, name, cwd=None, startup_timeout=60, fail_warm=False):
        self.name, self.cwd, self.alive, self.executed = name, cwd, True, []
        self.thread = threading.current_thread().name
        kernel = self

        class KC:
            def execute(self, code, **kwargs):
                kernel.executed.append((code, kwargs))
                if fail_warm:
                    raise RuntimeError("import failed")
                return "msg-1"

        self.kc = KC()
        FakeKernel.started.append(self)

    def await_reply(self, msg_id, timeout=None):
        assert msg_id == "msg-1"

    await_idle = await_reply

    def is_alive(self):
        return self.alive

    def stop(self):
        self.alive = False


@pytest.fixture(autouse=True)
def _fresh():
    FakeKernel.started = []


def _run(warm, plan):
    warm.plan([("py", cwd) for cwd in plan], startup_timeout=7)
    got = []
    for i, cwd in enumerate(plan):
        warm.set_current(i)
        got.append(warm.running_kernel("py", cwd=cwd, startup_timeout=7))
    warm.close()
    return got


def test_each_notebook_gets_its_own_kernel_the_later_ones_warmed_in_the_background():
    warm = KernelPrewarmer(FakeKernel)
    got = _run(warm, ["a", "b", "c"])
    assert [k.cwd for k in got] == ["a", "b", "c"]
    assert len({id(k) for k in got}) == 3 and len(FakeKernel.started) == 3  # none left over
    assert warm.hits == 2
    assert got[0].executed == []  # the first one is started when asked for, cold
    for k in got[1:]:
        assert k.thread == "nbval-prewarm"
        ((code, kwargs),) = k.executed
        assert code == WARM_CODE
        assert kwargs["silent"] is True and kwargs["store_history"] is False


def test_a_kernel_prepared_for_other_settings_is_stopped_and_a_cold_one_started():
    warm = KernelPrewarmer(FakeKernel)
    warm.plan([("py", "a"), ("py", "b")], startup_timeout=7)
    warm.set_current(0)
    warm.running_kernel("py", cwd="a", startup_timeout=7)
    warm.set_current(1)
    other = warm.running_kernel("py", cwd="elsewhere", startup_timeout=7)
    assert other.cwd == "elsewhere" and warm.hits == 0
    prepared = [k for k in FakeKernel.started if k.cwd == "b"]
    assert len(prepared) == 1 and not prepared[0].alive


def test_a_failed_warm_up_falls_back_to_a_cold_kernel():
    def start(name, cwd=None, startup_timeout=60):
        return FakeKernel(name, cwd, startup_timeout, fail_warm=cwd == "b")

    warm = KernelPrewarmer(start)
    got = _run(warm, ["a", "b"])
    assert got[1].cwd == "b" and got[1].alive and got[1].executed == []
    assert warm.hits == 0
    failed = [k for k in FakeKernel.started if k.executed]
    assert len(failed) == 1 and not failed[0].alive


def test_close_stops_a_kernel_nobody_asked_for():
    warm = KernelPrewarmer(FakeKernel)
    warm.plan([("py", "a"), ("py", "b")], startup_timeout=7)
    warm.set_current(0)
    warm.running_kernel("py", cwd="a", startup_timeout=7)  # notebook b is then deselected
    warm.close()
    (unused,) = [k for k in FakeKernel.started if k.cwd == "b"]
    assert not unused.alive


@pytest.mark.parametrize(("value", "on"), [("1", True), ("0", False), ("off", False), ("", True)])
def test_switch(value, on):
    assert prewarm_enabled({"COURSE_NBVAL_PREWARM": value}) is on
