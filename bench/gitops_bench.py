"""Time the GitOps history commands on the benchmark repository (see README.md).

* ``diff`` for a pull request that edits one tenant (one user gains a SKU, another is
  renamed), on a branch off main's HEAD: the figure that must follow the change, not the
  repository;
* ``diff --all-tenants`` for the same pull request (prices every tenant: bound by the
  repository, from the parse cache once warm);
* ``show --at`` a date, cold (no cache) and warm (after ``bill`` filled the cache), for every
  tenant and for one tenant;
* ``log TENANT/USER`` over the whole history, cold and warm.

The branch is made with git plumbing (``hash-object``, ``mktree``-free ``update-index`` on
a temporary index, ``commit-tree``): the work tree and main are never touched.

Usage: python bench/gitops_bench.py [REPO] [--runs N]      (REPO default /tmp/tenantry-bench)
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from historylib import git

TENANT = "t0500"
BRANCH = "refs/heads/bench-one-tenant"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("repo", nargs="?", default="/tmp/tenantry-bench", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    repo: Path = args.repo
    tenantry = str(Path(sys.executable).parent / "tenantry")
    branch = _one_tenant_branch(repo)
    cache = repo / ".tenantry" / "cache"
    rows: list[tuple[str, float, float, str]] = []

    def timed(label: str, *cmd: str, ok: tuple[int, ...] = (0,), runs: int = args.runs,
              clear: bool = False) -> str:
        """Best wall time and CPU time (user + system, tenantry and the git processes it
        runs): on a shared machine the CPU time is the steadier figure."""
        best, best_cpu, out = float("inf"), float("inf"), ""
        for _ in range(runs):
            if clear:
                shutil.rmtree(cache, ignore_errors=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            proc = subprocess.run([tenantry, "-C", str(repo), *cmd], capture_output=True,
                                  text=True)
            elapsed = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if proc.returncode not in ok:
                raise SystemExit(f"error: {' '.join(cmd)} exited {proc.returncode}:\n"
                                 f"{proc.stderr}")
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            best, best_cpu, out = min(best, elapsed), min(best_cpu, cpu), proc.stdout
        rows.append((label, best, best_cpu, f"best of {runs}" if runs > 1 else "one run"))
        return out

    print(f"repository {repo}; pull request {branch[:12]} edits tenants/{TENANT}.yaml")
    timed("tenantry --version (interpreter start)", "--version")
    text = timed("diff main...branch (text), no cache", "diff", f"main...{branch}",
                 ok=(2,), clear=True)
    timed("diff main...branch --format markdown", "diff", f"main...{branch}", "--format",
          "markdown", ok=(2,))
    timed("diff main...branch --format json", "diff", f"main...{branch}", "--format", "json",
          ok=(2,))
    timed("diff --all-tenants, cold cache", "diff", f"main...{branch}", "--all-tenants",
          ok=(2,), runs=1, clear=True)
    timed("diff --all-tenants, warm cache", "diff", f"main...{branch}", "--all-tenants",
          ok=(2,))
    day = _a_day(repo)
    timed(f"show --at {day}, every tenant, cold cache", "show", "--at", day, runs=1,
          clear=True)
    timed(f"show --at {day}, every tenant, warm cache", "show", "--at", day)
    timed(f"show {TENANT} --at {day}, warm", "show", TENANT, "--at", day)
    user = _a_user(repo)
    timed(f"log {TENANT}/{user}, cold cache", "log", f"{TENANT}/{user}", runs=1, clear=True)
    timed(f"log {TENANT}/{user}, warm", "log", f"{TENANT}/{user}")
    git(repo, "update-ref", "-d", BRANCH)
    print()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print("| command | wall s | CPU s | |")
    print("|---|---:|---:|---|")
    for label, seconds, cpu, note in rows:
        print(f"| `{label}` | {seconds:.2f} | {cpu:.2f} | {note} |")
    print()
    print("diff output:")
    print(text)
    return 0


def _one_tenant_branch(repo: Path) -> str:
    """A commit on top of main that edits one tenant file: one user gains SUPPORT (or
    loses it), another is renamed. Built on a temporary index: the work tree stays as is."""
    path = f"specs/tenants/{TENANT}.yaml"
    text = git(repo, "show", f"main:{path}")
    users = re.findall(r"^  ([a-z0-9._-]+):\n", text, flags=re.MULTILINE)
    first = text.index(f"  {users[1]}:\n")
    block_end = text.index("skus: [", first)
    line_end = text.index("]", block_end)
    skus = text[block_end + len("skus: ["):line_end]
    new_skus = skus.replace(", SUPPORT", "") if "SUPPORT" in skus else skus + ", SUPPORT"
    text = text[:block_end] + f"skus: [{new_skus}" + text[line_end:]
    text = re.sub(r"(display_name: )(.*)", r"\1\2 Renamed", text, count=1)
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        blob = subprocess.run(["git", "-C", str(repo), "hash-object", "-w", "--stdin"],
                              input=text.encode(), capture_output=True, check=True
                              ).stdout.decode().strip()
        subprocess.run(["git", "-C", str(repo), "read-tree", "main"], env=env, check=True)
        subprocess.run(["git", "-C", str(repo), "update-index", "--cacheinfo",
                        f"100644,{blob},{path}"], env=env, check=True)
        tree = subprocess.run(["git", "-C", str(repo), "write-tree"], env=env,
                              capture_output=True, check=True).stdout.decode().strip()
    commit = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=Bench", "-c", "user.email=bench@example",
         "commit-tree", tree, "-p", "main", "-m", f"{TENANT}: one seat, one rename (#9999)"],
        capture_output=True, check=True).stdout.decode().strip()
    git(repo, "update-ref", BRANCH, commit)
    return commit


def _a_day(repo: Path) -> str:
    """A day in the middle of the history."""
    dates = git(repo, "log", "--first-parent", "--format=%cs", "main").split()
    return str(dates[len(dates) // 2])


def _a_user(repo: Path) -> str:
    text = git(repo, "show", f"main:specs/tenants/{TENANT}.yaml")
    return str(re.findall(r"^  ([a-z0-9._-]+):\n", text, flags=re.MULTILINE)[2])


if __name__ == "__main__":
    sys.exit(main())
