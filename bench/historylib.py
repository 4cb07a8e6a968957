"""Small git helpers shared by the benchmark scripts (plain git commands, no GitPython)."""

from __future__ import annotations

import os
import subprocess
import tempfile
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


def commit_on(repo: Path, base: str, path: str, content: bytes, message: str) -> str:
    """A new commit on top of ``base`` that sets ``path`` to ``content``; the work tree, the
    index and every ref stay as they are (bill it with ``--rev``)."""
    blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
                          input=content, capture_output=True, check=True).stdout.decode().strip()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        for args in (["read-tree", base],
                     ["update-index", "--add", "--cacheinfo", f"100644,{blob},{path}"]):
            subprocess.run(["git", "-C", str(repo), *args], env=env, check=True)
        tree = subprocess.run(["git", "-C", str(repo), "write-tree"], env=env,
                              capture_output=True, check=True, text=True).stdout.strip()
    ident = {"GIT_AUTHOR_NAME": "Bench", "GIT_AUTHOR_EMAIL": "bench@example.net",
             "GIT_COMMITTER_NAME": "Bench", "GIT_COMMITTER_EMAIL": "bench@example.net"}
    return subprocess.run(["git", "-C", str(repo), "commit-tree", tree, "-p", base, "-m",
                           message], env={**os.environ, **ident}, capture_output=True,
                          check=True, text=True).stdout.strip()
