"""How long `tenantry --help` takes (target: < 0.3 s). Run: python bench/startup.py [N]."""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import time


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    exe = shutil.which("tenantry") or sys.exit("install tenantry first (pip install -e .)")
    for args in (["--help"], ["plan", "--help"]):
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([exe, *args], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        print(f"tenantry {' '.join(args)}: median {statistics.median(times) * 1000:.0f} ms, "
              f"min {min(times) * 1000:.0f} ms over {runs} runs")


if __name__ == "__main__":
    main()
