"""Running a command and measuring it: wall time, CPU time and peak memory, read from
``wait4`` in a small helper process (no GNU time needed), and the machine's load."""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Sample:
    """One run: seconds of wall time, CPU seconds (user + system, the command and the
    processes it waited for), peak resident memory in bytes, exit code."""

    wall: float
    cpu: float
    rss: int
    code: int = 0
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.code == 0


class _Spawner:
    """The helper process that starts commands (see ``bench.spawner``), started on first
    use; the benchmark should use it before it grows."""

    proc: subprocess.Popen[str] | None = None

    @classmethod
    def ask(cls, request: dict[str, Any]) -> dict[str, Any]:
        if cls.proc is None:
            cls.proc = subprocess.Popen([sys.executable, "-m", "bench.spawner"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=Path(__file__).parent.parent)
        assert cls.proc.stdin is not None and cls.proc.stdout is not None
        cls.proc.stdin.write(json.dumps(request) + "\n")
        cls.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(cls.proc.stdout.readline())
        return answer


def start() -> None:
    """Start the spawner now, while this process is still small."""
    _Spawner.ask({"argv": ["true"], "stdout": None, "cwd": None})


def run(argv: Sequence[str], *, stdout: Path | None = None, cwd: Path | None = None) -> Sample:
    """Run ``argv`` (its output to ``stdout``, or discarded) and measure it: wall and CPU
    time, and the peak RSS of the command (and the children it waited for)."""
    answer = _Spawner.ask({"argv": list(argv), "stdout": str(stdout) if stdout else None,
                           "cwd": str(cwd) if cwd else None})
    return Sample(answer["wall"], answer["cpu"], answer["rss"], answer["code"],
                  answer["stderr"])


def timed(func: Callable[[], Any]) -> Sample:
    """Measure a function in this process (CPU time of this process only; no RSS)."""
    start, cpu = time.perf_counter(), time.process_time()
    func()
    return Sample(time.perf_counter() - start, time.process_time() - cpu, 0)


@dataclass
class Figure:
    """A measured figure: its runs, and what it is compared with."""

    key: str
    label: str
    samples: list[Sample] = field(default_factory=list)
    floor_value: float | None = None  # seconds
    floor_label: str = ""
    # The figure this one is compared with, measured in the same rounds (run for run, so a
    # machine whose speed drifts affects both alike): the ratio is the median of the
    # ratios of each round's pair.
    paired: Figure | None = None
    target: float | None = None  # a ratio to the floor, or seconds when absolute
    absolute: bool = False  # target in seconds, not a ratio
    rss_limit: int | None = None  # bytes
    note: str = ""
    load: tuple[float, float] = (0.0, 0.0)  # 1-minute load average before and after
    extrapolated: float | None = None  # seconds, for figures measured on a slice

    @property
    def walls(self) -> list[float]:
        return [s.wall for s in self.samples]

    @property
    def median(self) -> float | None:
        if self.extrapolated is not None:
            return self.extrapolated
        return statistics.median(self.walls) if self.samples else None

    @property
    def cpu(self) -> float | None:
        return statistics.median([s.cpu for s in self.samples]) if self.samples else None

    @property
    def spread(self) -> tuple[float, float] | None:
        return (min(self.walls), max(self.walls)) if self.samples else None

    @property
    def rss(self) -> int | None:
        peaks = [s.rss for s in self.samples if s.rss]
        return max(peaks) if peaks else None

    @property
    def failed(self) -> list[Sample]:
        return [s for s in self.samples if not s.ok]

    @property
    def floor(self) -> float | None:
        return self.paired.median if self.paired is not None else self.floor_value

    @property
    def ratio(self) -> float | None:
        if self.median is None or not self.floor:
            return None
        pair = self.paired
        if pair is not None and self.extrapolated is None and len(pair.samples) == len(
                self.samples) and all(s.wall for s in pair.samples):
            return statistics.median(a.wall / b.wall for a, b in zip(self.samples,
                                                                       pair.samples))
        return self.median / self.floor

    @property
    def verdict(self) -> str:
        if self.failed:
            return "FAILED"
        checks: list[bool] = []
        if self.target is not None:
            value = self.median if self.absolute else self.ratio
            if value is not None:
                checks.append(value <= self.target)
        if self.rss_limit is not None and self.rss is not None:
            checks.append(self.rss < self.rss_limit)
        if not checks:
            return ""
        return "PASS" if all(checks) else "FAIL"

    def target_text(self) -> str:
        parts = []
        if self.target is not None:
            parts.append(f"<= {self.target:g} s" if self.absolute else f"<= {self.target:g}x")
        if self.rss_limit is not None:
            parts.append(f"< {self.rss_limit / 1e9:g} GB")
        return ", ".join(parts)

    def as_json(self) -> dict[str, Any]:
        spread = self.spread
        return {
            "key": self.key, "figure": self.label, "runs": len(self.samples),
            "median_s": self.median, "min_s": spread[0] if spread else None,
            "max_s": spread[1] if spread else None, "cpu_median_s": self.cpu,
            "walls_s": self.walls, "peak_rss_bytes": self.rss,
            "floor": {"figure": self.paired.label if self.paired else self.floor_label,
                      "seconds": self.floor, "paired": self.paired is not None}
            if self.floor else None,
            "ratio": self.ratio, "target": self.target_text() or None, "verdict": self.verdict,
            "extrapolated": self.extrapolated is not None, "note": self.note,
            "load_before_after": list(self.load),
            "errors": [s.stderr.strip().splitlines()[-1:] for s in self.failed],
        }


def load() -> float:
    return os.getloadavg()[0]


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        memory = 0
    git = subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_bytes": memory,
            "python": sys.version.split()[0], "platform": platform.platform(), "git": git}
