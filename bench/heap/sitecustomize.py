"""Heap snapshots of every Python process of a soak (bench/load.py --heap), loaded through PYTHONPATH.

With CRM_TRACEMALLOC_DIR set, each process (gunicorn's master and workers, Celery's main process and pool
children) traces its allocations with tracemalloc and writes a snapshot there once it is warm
(`<pid>-first.snap`, after CRM_TRACEMALLOC_WARM_SECONDS) and again every CRM_TRACEMALLOC_EVERY_SECONDS
(`<pid>-last.snap`, replaced). bench/load.py compares the two per process and names the lines that grew.
Forked children start tracing and their own snapshots after the fork. Nothing here runs without the variable.
Tracing slows every allocation, and a snapshot holds the interpreter for a second or more: a soak's latencies
are not the mixed load's.
"""

import os
import threading
import time
import tracemalloc

DIRECTORY = os.environ.get("CRM_TRACEMALLOC_DIR")


def _snapshots() -> None:
    pid = os.getpid()
    time.sleep(float(os.environ.get("CRM_TRACEMALLOC_WARM_SECONDS", "300")))
    tracemalloc.take_snapshot().dump(os.path.join(DIRECTORY, f"{pid}-first.snap"))
    every = float(os.environ.get("CRM_TRACEMALLOC_EVERY_SECONDS", "600"))
    while True:
        time.sleep(every)
        partial = os.path.join(DIRECTORY, f"{pid}-last.snap.part")
        tracemalloc.take_snapshot().dump(partial)
        os.replace(partial, os.path.join(DIRECTORY, f"{pid}-last.snap"))


def _start() -> None:
    if not tracemalloc.is_tracing():
        tracemalloc.start()
    threading.Thread(target=_snapshots, daemon=True, name="heap-snapshots").start()


if DIRECTORY:
    _start()
    os.register_at_fork(after_in_child=_start)
