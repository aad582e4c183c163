"""Measuring commands side by side: wall time, peak memory, medians and ratios.

Variants of a scenario are run *alternately* (A B C A B C …), so that a change
in machine load hits every variant alike, and compared as ratios within the
same invocation — absolute seconds on a shared 2-core machine mean little.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

BIN = Path(sys.executable).parent


@dataclass
class Sample:
    """One run of one variant."""

    seconds: float
    peak_mb: float
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class Variant:
    """A named way of running a scenario: a command, or a callable doing the work."""

    name: str
    argv: Sequence[str] = ()
    cwd: Path | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    before: Callable[[], None] | None = None  # untimed preparation before every sample
    after: Callable[[], dict[str, Any]] | None = None  # untimed, facts about the sample
    expect_ok: bool = True


def run_command(
    argv: Sequence[str], cwd: Path | None = None, env: Mapping[str, str] | None = None,
    timeout: float = 3600,
) -> tuple[float, float, int, str]:
    """Run ``argv``; returns (wall seconds, peak RSS of the whole process tree in MB,
    exit code, last lines of stderr)."""
    full_env = {**os.environ, "PLOOMBER_STATS_ENABLED": "false", **(env or {})}
    started = time.perf_counter()
    process = subprocess.Popen(
        list(argv), cwd=cwd, env=full_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True,
    )
    peak = _PeakMemory(process.pid)
    peak.start()
    try:
        _, stderr = process.communicate(timeout=timeout)
    finally:
        seconds = time.perf_counter() - started
        peak.stop()
    return seconds, peak.peak_mb, process.returncode, "\n".join(stderr.splitlines()[-15:])


def measure(variants: Sequence[Variant], repeats: int) -> dict[str, list[Sample]]:
    """Run every variant ``repeats`` times, alternating between them."""
    samples: dict[str, list[Sample]] = {v.name: [] for v in variants}
    for _ in range(repeats):
        for variant in variants:
            if variant.before:
                variant.before()
            seconds, peak_mb, code, stderr = run_command(variant.argv, variant.cwd, variant.env)
            ok = (code == 0) == variant.expect_ok
            if not ok:
                print(f"  ! {variant.name} exited {code}:\n{stderr}", file=sys.stderr)  # noqa: T201
            detail = variant.after() if variant.after else {}
            samples[variant.name].append(Sample(seconds, peak_mb, ok, detail))
            line = f"  {variant.name:<28} {seconds:7.2f} s  {peak_mb:7.0f} MB"
            print(line + ("" if ok else "  FAILED"), file=sys.stderr)  # noqa: T201
    return samples


def summary(samples: Sequence[Sample]) -> dict[str, float]:
    """Median, min and max seconds and the highest peak memory of some samples."""
    seconds = [s.seconds for s in samples]
    return {
        "median_s": round(statistics.median(seconds), 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "peak_mb": round(max(s.peak_mb for s in samples), 1),
        "n": len(seconds),
        "failed": sum(not s.ok for s in samples),
    }


class _PeakMemory(threading.Thread):
    """Polls the summed RSS of a process and all its descendants."""

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.interval = interval
        self.peak_mb = 0.0
        self._stop_event = threading.Event()

    def run(self) -> None:
        try:
            root = psutil.Process(self.pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            total = 0
            try:
                processes = [root, *root.children(recursive=True)]
            except psutil.NoSuchProcess:
                return
            for proc in processes:
                try:
                    total += proc.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            self.peak_mb = max(self.peak_mb, total / 2**20)
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def best_of(repeats: int, fn: Callable[[], Any]) -> float:
    """The fastest of ``repeats`` timed calls of ``fn``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best
