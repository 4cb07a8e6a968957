"""Small git helpers shared by the benchmark scripts (plain git commands, no GitPython)."""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

ZERO_SHA = "0" * 40
TENANTS_PREFIX = "specs/tenants/"

# The exact listing the billing engine is expected to stream (the reference figure).
LOG_RAW_ARGS = ("log", "--first-parent", "--sparse", "--raw", "-z", "--no-abbrev",
                "--format=%H%x00%ct", "HEAD", "--", "specs/")


def git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, check=False)
    if check and proc.returncode != 0:
        raise SystemExit(f"error: git {' '.join(args)}: {proc.stderr.decode().strip()}")
    return proc.stdout.decode()


def distinct_blobs(repo: Path, rev: str = "HEAD", prefix: str = TENANTS_PREFIX) -> list[str]:
    """Blob ids that files under ``prefix`` held anywhere on the first-parent history of
    ``rev``, each once, oldest first."""
    out = git(repo, "log", "--first-parent", "--root", "--raw", "--no-abbrev", "--reverse",
              "--format=tformat:", rev, "--", prefix)
    seen: dict[str, None] = {}
    for line in out.splitlines():
        if not line.startswith(":"):
            continue
        meta, _, _path = line.partition("\t")
        new_sha = meta.split()[3]
        if new_sha != ZERO_SHA:
            seen.setdefault(new_sha, None)
    return list(seen)


def cat_blobs(repo: Path, shas: Sequence[str]) -> dict[str, bytes]:
    """Contents of the given blobs, read with one ``git cat-file --batch``."""
    if not shas:
        return {}
    proc = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch"],
                          input="".join(f"{sha}\n" for sha in shas).encode(),
                          capture_output=True, check=True)
    out = proc.stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    while pos < len(out):
        nl = out.index(b"\n", pos)
        header = out[pos:nl].decode().split()
        if len(header) != 3:
            raise SystemExit(f"error: git cat-file: {' '.join(header)}")
        sha, _kind, size = header
        start = nl + 1
        blobs[sha] = out[start:start + int(size)]
        pos = start + int(size) + 1
    return blobs


def tenant_blobs(repo: Path, rev: str = "HEAD") -> list[bytes]:
    """Every distinct tenant file version on the first-parent history of ``rev``."""
    shas = distinct_blobs(repo, rev)
    blobs = cat_blobs(repo, shas)
    return [blobs[sha] for sha in shas]
