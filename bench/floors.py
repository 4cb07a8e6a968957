"""What the commands are compared with: the cost of the work they cannot avoid, measured in
this process on one core, and the naive way of billing from history.

* parse floor (HEAD)  HEAD's tenant files parsed once each with ``reconciler.specs.parse``:
                      what a cold ``validate`` cannot avoid on one core;
* parse floor (all)   every distinct tenant file version of the first-parent history, the
                      same way: what a cold ``bill`` cannot avoid on one core;
* naive replay        for a slice of first-parent commits spread over the history, the tree
                      checked out (``git archive``) and loaded whole (every file parsed and
                      cross-checked, no cache), extrapolated to every commit: what billing by
                      replaying history commit by commit would cost.

Parse floors run with the collector on and results dropped (so they do not grow the heap),
and time the parse alone: reading the files is not timed.
"""

from __future__ import annotations

import gc
import io
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

from bench.historylib import git, tenant_blobs
from bench.measure import Sample


def parse_seconds(blobs: list[bytes]) -> tuple[float, int]:
    """Seconds to parse and validate every blob once; how many did not parse."""
    from reconciler.specs import DocumentInvalid, TenantSpec, parse

    failed = 0
    gc.collect()
    start = time.perf_counter()
    for data in blobs:
        try:
            parse(TenantSpec, data)
        except DocumentInvalid:
            failed += 1
    return time.perf_counter() - start, failed


def head_tenant_files(repo: Path) -> list[bytes]:
    return [path.read_bytes() for path in sorted((repo / "specs" / "tenants").glob("*.yaml"))]


def parse_floor_head(repo: Path) -> float:
    return parse_seconds(head_tenant_files(repo))[0]


def parse_floor_history(repo: Path) -> tuple[float, int, int]:
    """Seconds, distinct versions, their bytes."""
    blobs = tenant_blobs(repo)
    return parse_seconds(blobs)[0], len(blobs), sum(map(len, blobs))


def naive_replay(repo: Path, slice_size: int) -> tuple[list[Sample], int]:
    """Per-commit samples of the naive way on a slice, and the first-parent commit count."""
    from reconciler.errors import SpecInvalid
    from reconciler.specs import load_specs, read_tree

    commits = git(repo, "rev-list", "--first-parent", "--reverse", "HEAD").split()
    step = max(1, len(commits) // slice_size)
    chosen = commits[step - 1::step][:slice_size]
    samples = []
    for sha in chosen:
        with tempfile.TemporaryDirectory(prefix="tenantry-naive-") as tmp:
            start, cpu = time.perf_counter(), time.process_time()
            archive = subprocess.run(["git", "-C", str(repo), "archive", "--format=tar", sha,
                                      "specs"], capture_output=True, check=True).stdout
            with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
                tar.extractall(tmp, filter="data")
            try:
                load_specs(read_tree(Path(tmp) / "specs"))  # no cache: every file parsed
            except SpecInvalid:
                pass  # a commit with a broken file costs the same to find out
            samples.append(Sample(time.perf_counter() - start, time.process_time() - cpu, 0))
    return samples, len(commits)
