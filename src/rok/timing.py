"""Step timing for benchmarks: wall time and peak resident memory per named step.

Library code marks its work with ``with step("read"):``. Outside a benchmark this costs a
context-variable lookup. Inside :func:`measure`, a sampling thread records the process's
peak resident set size (RSS) while each step runs, and the seconds spent in it.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

__all__ = ["step", "measure", "Steps"]


@dataclass
class Steps:
    """Seconds, calls and peak RSS (bytes) per step name."""

    seconds: dict[str, float] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=dict)
    peak_rss: dict[str, int] = field(default_factory=dict)
    active: list[str] = field(default_factory=list)


_current: contextvars.ContextVar[Steps | None] = contextvars.ContextVar("rok_steps", default=None)


@contextmanager
def step(name: str) -> Iterator[None]:
    steps = _current.get()
    if steps is None or (steps.active and steps.active[-1] == name):
        yield
        return
    steps.active.append(name)
    start = time.perf_counter()
    try:
        yield
    finally:
        steps.active.pop()
        steps.seconds[name] = steps.seconds.get(name, 0.0) + time.perf_counter() - start
        steps.calls[name] = steps.calls.get(name, 0) + 1
        # time in a nested step is not counted twice
        if steps.active:
            outer = steps.active[-1]
            steps.seconds[outer] = steps.seconds.get(outer, 0.0) - (time.perf_counter() - start)


@contextmanager
def measure(interval: float = 0.01) -> Iterator[Steps]:
    """Collect :class:`Steps` for the code run inside, sampling RSS every ``interval`` s."""
    import psutil

    steps = Steps()
    token = _current.set(steps)
    process = psutil.Process()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            rss = process.memory_info().rss
            for name in list(steps.active):
                if rss > steps.peak_rss.get(name, 0):
                    steps.peak_rss[name] = rss
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield steps
    finally:
        stop.set()
        thread.join()
        _current.reset(token)
