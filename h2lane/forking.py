"""Work split over forked processes, where forking is safe."""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import weakref
from collections.abc import Callable
from typing import Any

_FORK_SAFE: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def mark_fork_safe(thread: threading.Thread) -> None:
    """Declare that ``thread`` holds no lock a forked child of :func:`in_processes` needs —
    a progress bar's redraw thread, say: the children only compute and send their result
    down a pipe, and leave without flushing or running exit handlers."""
    _FORK_SAFE.add(thread)


def others_running() -> bool:
    """Whether a thread other than this one (and those marked fork-safe) is alive."""
    me = threading.current_thread()
    return any(t is not me and t not in _FORK_SAFE for t in threading.enumerate())


def in_processes(work: Callable[[list], dict], shares: list[list]) -> dict | None:
    """``work`` on each share, the first here and the others in forked processes; their
    results merged. ``None`` (the caller works alone) where forking is not available, other
    threads run (a fork copies only this one, and any lock another holds; threads marked by
    :func:`mark_fork_safe` excepted), this process is a daemonic one (a service's job
    worker: it may not have children), or a child fails."""
    if others_running() or mp.current_process().daemon:
        return None
    try:
        ctx = mp.get_context("fork")
    except ValueError:
        return None
    children = []
    for share in shares[1:]:
        recv, send = ctx.Pipe(duplex=False)

        def child(conn: Any = send, mine: list = share) -> None:
            try:
                conn.send(work(mine))
            finally:
                conn.close()
                os._exit(0)  # no atexit handlers of the parent in the child

        proc = ctx.Process(target=child, daemon=True)
        proc.start()
        send.close()
        children.append((proc, recv))
    merged = work(shares[0])
    ok = True
    for proc, recv in children:
        try:
            merged.update(recv.recv())
        except (EOFError, OSError):
            ok = False
        recv.close()
        proc.join()
    return merged if ok else None
