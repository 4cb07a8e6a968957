"""Time from submitting a change request to its commit, on the benchmark history.

Run: python bench/request_bench.py [REPO] [--runs N]

REPO defaults to /tmp/tenantry-bench (made by gen_history.py with the billing benchmark's
arguments if it is missing). The repository is cloned first (``git clone --shared``), so
the requests' branches never land in it. Measured, in one process as the server runs them:

- cold check: the first request's check, which parses every tenant file once (the server's
  ``SpecCache`` then keeps the models);
- warm check: ``prepare`` on a warm cache: the edit on the tenant file, and ``load_specs``
  (the same check as ``tenantry validate``) over the whole tree with the edited file;
- commit: ``submit``: blob, private index, commit, the branch and number refs;
- submit to commit: what a submit costs the server end to end on a warm cache (check
  again on the current base, then commit), the figure the web page waits for.

And ``tenantry requests new`` as a fresh process (no cache: it parses every file).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reconciler.gitrepo import Ident, Repo
from reconciler.requests import AddUser, Requester, SpecCache, prepare, submit

DEFAULT_REPO = Path("/tmp/tenantry-bench")
GEN_ARGS = ["--tenants", "1000", "--users", "100", "--commits", "5000", "--seed", "1"]
COMMITTER = Ident("tenantry", "tenantry@localhost")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("repo", nargs="?", type=Path, default=DEFAULT_REPO)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not (args.repo / ".git").exists():
        subprocess.run([sys.executable, str(Path(__file__).parent / "gen_history.py"),
                        *GEN_ARGS, str(args.repo)], check=True)
    with tempfile.TemporaryDirectory(prefix="request-bench-") as tmp:
        clone = Path(tmp) / "repo"
        subprocess.run(["git", "clone", "-q", "--shared", "--no-checkout", str(args.repo),
                        str(clone)], check=True)
        subprocess.run(["git", "-C", str(clone), "checkout", "-q", "HEAD"], check=True)
        measure(Repo(clone.resolve()), args.runs)


def measure(repo: Repo, runs: int) -> None:
    base = repo.head()
    assert base is not None
    tenant = "t0500"
    cache = SpecCache()
    who = Requester("Bench Desk")

    def edit(i: int) -> AddUser:
        return AddUser(f"bench{i}", f"bench{i}@{tenant}.example", f"Bench {i}",
                       skus=("M365-BP", "SUPPORT"))

    start = time.perf_counter()
    first = prepare(repo, "specs", base, tenant, edit(0), cache=cache)
    cold = time.perf_counter() - start
    assert first.ok, first.findings
    checks, commits, totals = [], [], []
    for i in range(1, runs + 1):
        t0 = time.perf_counter()
        draft = prepare(repo, "specs", base, tenant, edit(i), cache=cache)
        t1 = time.perf_counter()
        submit(repo, draft, who, author_domain="tenantry.invalid", committer=COMMITTER)
        t2 = time.perf_counter()
        checks.append(t1 - t0)
        commits.append(t2 - t1)
        totals.append(t2 - t0)
    beside = Path(sys.executable).parent / "tenantry"
    exe = str(beside) if beside.exists() else shutil.which("tenantry")
    if exe is None:
        sys.exit("install tenantry first (pip install -e .)")
    t0 = time.perf_counter()
    subprocess.run([exe, "-C", str(repo.root), "requests", "new", tenant, "add-user", "cli1",
                    "--upn", f"cli1@{tenant}.example", "--display-name", "CLI One", "--sku",
                    "SUPPORT", "--as", "Bench"], check=True, capture_output=True)
    cli = time.perf_counter() - t0
    files = len(list((repo.root / "specs/tenants").glob("*.yaml")))
    print(f"| what ({files} tenant files, {runs} runs, median) | seconds |")
    print("|---|---|")
    print(f"| cold check (first request: every file parsed) | {cold:.2f} |")
    print(f"| warm check (edit + load_specs over the tree) | {statistics.median(checks):.2f} |")
    print(f"| commit (blob, private index, commit, refs) | {statistics.median(commits):.3f} |")
    print(f"| submit to commit, warm | {statistics.median(totals):.2f} |")
    print(f"| `tenantry requests new`, fresh process | {cli:.2f} |")


if __name__ == "__main__":
    main()
