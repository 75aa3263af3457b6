"""The floor each benchmark measures in its own run and prints its results beside, as ratios (issue 22).

This VM's speed moves by about 40 % within an hour, so a time alone cannot be compared with one from another
hour; a ratio to a floor measured minutes apart can. Two floors:

- **web**: bench/floor.py, a minimal Django view doing one indexed lookup, through the same gunicorn (2 sync
  workers) and wrk the pages are measured with: its requests a second at 8 connections, and its median at one
  connection (the shortest round trip a page can have here);
- **cpu**: a fixed loop of pure Python (5M squares), best of three: the speed of the interpreter right now.

    from bench.calibrate import floor_measure
    floor = floor_measure()            # about 20 s; prints its own line (floor() measures once a process)
    floor.times(page_p50_ms)           # "31×": a page's median over the web floor's
    floor.share(requests_per_second)   # "0.42": a rate over the web floor's rate
    floor.cpu_times(seconds)           # a batch's duration over the CPU loop's

The database must have crm_phone (any size; the numbers asked need not exist) and wrk must be installed.
"""

import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.telephony_load import lua_script, production_environment, serve, wrk


@dataclass(frozen=True)
class Floor:
    rps: float  # requests a second of the minimal view, 8 connections
    p50_ms: float  # its median at one connection
    cpu_s: float  # the fixed CPU loop

    def times(self, ms: float) -> str:
        return f"{ms / self.p50_ms:.0f}×"

    def share(self, rps: float) -> str:
        return f"{rps / self.rps:.2f}"

    def cpu_times(self, seconds: float) -> str:
        return f"{seconds / self.cpu_s:.1f}×"

    def __str__(self) -> str:
        return (
            f"floor: minimal Django view {self.rps:,.0f} requests/s (8 connections), p50 {self.p50_ms:.2f} ms "
            f"(1 connection); CPU loop {self.cpu_s:.2f} s"
        )


def cpu_loop() -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        sum(i * i for i in range(5_000_000))
        best = min(best, time.perf_counter() - started)
    return best


def _milliseconds(text: str) -> float:
    for unit, factor in (("us", 0.001), ("ms", 1), ("s", 1000)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * factor
    raise ValueError(text)


def floor_measure(seconds: int = 8, quiet: bool = False) -> Floor:
    rng = random.Random(3)
    numbers = [f"%2B79{rng.randrange(100_000_000, 110_000_000):09d}" for _ in range(2000)]
    script = lua_script([f"/phone/?phone={number}" for number in numbers], {})
    environment = {**production_environment(), "DJANGO_SETTINGS_MODULE": "bench.floor"}
    with serve("bench.floor:application", environment, ["--workers", "2"]):
        wrk(script, 3, 8)  # warm-up: connections, imports
        rps = wrk(script, seconds, 8)["rps"]
        p50 = _milliseconds(wrk(script, seconds // 2, 1)["p50"])
    floor = Floor(rps=rps, p50_ms=p50, cpu_s=cpu_loop())
    if not quiet:
        print(floor, flush=True)
    return floor


_measured: Floor | None = None


def floor() -> Floor:
    """The floor of this run, measured at the first call."""
    global _measured
    if _measured is None:
        _measured = floor_measure()
    return _measured


if __name__ == "__main__":
    floor_measure()
