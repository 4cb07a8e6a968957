"""``tenantry validate`` on hostile YAML: time and peak memory, next to a plain validate.

    python -m bench.hostile_input [--runs N]

The test suite checks these inputs structurally (the alias is refused at the first alias,
nesting at its depth limit, an oversized file before it is parsed); how long that takes and
how much memory it needs are measured here, where a busy machine cannot fail a build. Each
case is the small test tree (``tests/bad_specs/_base``) with one tenant file replaced; each
command is started from the benchmark's spawner, so its peak RSS is its own (a child forked
from a large process is charged with its parent's memory).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import measure

BASE = Path(__file__).parent.parent / "tests" / "bad_specs" / "_base"
MAX_FILE_BYTES = 5 * 1024 * 1024
# What a hostile input may cost at most: the targets the tests once asserted.
TARGET_SECONDS = 3.0
TARGET_RSS = 200 * 1024 * 1024


def alias_bomb(levels: int, width: int) -> str:
    lines = [f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def nesting(depth: int, opener: str, closer: str) -> str:
    return f"name: {opener * depth}1{closer * depth}\n"


def at_size_limit() -> str:
    """A valid tenant padded to exactly the size limit: the largest file that is parsed."""
    text = (BASE / "specs/tenants/northwind.yaml").read_text(encoding="utf-8")
    padding = MAX_FILE_BYTES - len(text.encode())
    return text + "#" * (padding - 1) + "\n"


def over_size_limit() -> str:
    user = "  u{n}:\n    upn: u{n}@huge.example\n    display_name: User {n}\n"
    chunks = ["name: Huge Ltd\ndirectory: lab\nusers:\n"]
    n = 0
    while sum(map(len, chunks)) <= MAX_FILE_BYTES:
        chunks.append(user.format(n=n))
        n += 1
    return "".join(chunks)


CASES = {
    "plain validate (the base tree)": None,
    "alias bomb 9x9 (billion laughs)": lambda: alias_bomb(9, 9),
    "alias bomb 40x40": lambda: alias_bomb(40, 40),
    "nesting 100,000 deep, flow lists": lambda: nesting(100_000, "[", "]"),
    "nesting 100,000 deep, flow maps": lambda: nesting(100_000, "{a: ", "}"),
    "a file at the 5 MiB limit (parsed)": at_size_limit,
    "a file over the limit (refused unread)": over_size_limit,
}


def tenantry() -> list[str]:
    script = Path(sys.executable).with_name("tenantry")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tenantry"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    measure.start()
    failed = False
    print("| input | exit | median s | peak RSS MiB | within 3 s and 200 MiB |")
    print("|---|---:|---:|---:|---|")
    with tempfile.TemporaryDirectory(prefix="tenantry-hostile-") as tmp:
        for label, make in CASES.items():
            work = Path(tmp) / "work"
            shutil.rmtree(work, ignore_errors=True)
            shutil.copytree(BASE, work)
            if make is not None:
                (work / "specs/tenants/northwind.yaml").write_text(make(), encoding="utf-8")
            subprocess.run(["git", "init", "-q", str(work)], check=True)
            samples = [measure.run([*tenantry(), "-C", str(work), "validate"])
                       for _ in range(args.runs)]
            wall = statistics.median(s.wall for s in samples)
            rss = max(s.rss for s in samples)
            codes = {s.code for s in samples}
            ok = wall <= TARGET_SECONDS and rss <= TARGET_RSS and codes <= {0, 1}
            failed |= not codes <= {0, 1}
            print(f"| {label} | {'/'.join(map(str, sorted(codes)))} | {wall:.2f} | "
                  f"{rss / 2**20:.0f} | {'yes' if ok else 'NO'} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
