"""A small process that starts the measured commands: ``python -m bench.spawner``.

Linux charges a child with the resident memory of the process it was forked from, until it
execs (``ru_maxrss`` keeps the high-water mark across exec): a command started by the
benchmark itself, which holds hundreds of megabytes of parsed floors, would report them as
its own peak. Commands started from this process (a few MB: it imports almost nothing)
report their own.

Protocol: one JSON request per line on stdin (``{"argv": [...], "stdout": path or null,
"cwd": path or null}``), one JSON answer per line on stdout (wall, cpu, rss, code, stderr).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def serve() -> None:
    for line in sys.stdin:
        request = json.loads(line)
        with open(request["stdout"] or os.devnull, "wb") as sink:
            start = time.perf_counter()
            proc = subprocess.Popen(request["argv"], stdout=sink, stderr=subprocess.PIPE,
                                    cwd=request["cwd"])
            assert proc.stderr is not None
            err = proc.stderr.read()  # a command that writes a lot to stderr must not block
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            proc.stderr.close()
        # ru_maxrss is in KiB on Linux: the command and the children it waited for.
        answer = {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                  "rss": usage.ru_maxrss * 1024, "code": proc.returncode,
                  "stderr": err.decode(errors="replace")}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
