"""Forked work runs only where no other thread could hold a lock the children need."""

from __future__ import annotations

import os
import threading
import weakref

import pytest

from h2lane import forking


def _pids(share: list[int]) -> dict[int, int]:
    return {k: os.getpid() for k in share}


def _with_thread(fork_safe: bool) -> dict | None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        if fork_safe:
            forking.mark_fork_safe(thread)
        return forking.in_processes(_pids, [[1, 2], [3, 4]])
    finally:
        stop.set()
        thread.join()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_marked_thread_does_not_stop_the_fork(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest and its plug-ins may run threads of their own: only ours count here
    monkeypatch.setattr(forking, "_FORK_SAFE", weakref.WeakSet(threading.enumerate()))
    assert _with_thread(fork_safe=False) is None
    out = _with_thread(fork_safe=True)
    assert out is not None and sorted(out) == [1, 2, 3, 4]
    assert out[1] == out[2] == os.getpid() and out[3] == out[4] != os.getpid()


def _in_daemon(out: object) -> None:
    out.put(forking.in_processes(_pids, [[1], [2]]))  # type: ignore[attr-defined]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_daemonic_process_works_alone() -> None:
    """A service's job worker is daemonic and may not have children: no fork there."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=_in_daemon, args=(out,), daemon=True)
    proc.start()
    try:
        assert out.get(timeout=60) is None
    finally:
        proc.join(timeout=60)
