"""Graph provider benchmark: requests and wall time of plan and apply against the floor.

Runs the Graph emulator (``emulators/graph``) in its own process and the real
``tenantry`` console script against it, from spec repositories built in a temporary folder.

Scenarios:

* ``one``: one customer tenant of N users (default 10,000 and 100,000), each with one
  licensed SKU. ``apply`` from empty (N creates and N assignments), then ``plan`` with
  nothing to change. Floors: reads ceil(N/999) listing pages + 1 subscribedSkus per
  tenant; writes ceil(changes/20) ``$batch`` requests.
* ``many``: T customer tenants x U users (default 200 x 50) through one multi-tenant
  directory, every request delayed by the emulator's latency (default 50 ms), at
  concurrency 1 and 8: apply from empty, then a plan with nothing to change.

Every request the emulator answered is counted per route; the table puts the reads
(GET /users, GET /subscribedSkus) and writes (POST /$batch) next to their floors. An apply
also plans first (its reads are in its column) and reads subscribedSkus once per tenant
to map SKUs to skuIds.

Usage: python bench/graph_bench.py [--users 10000,100000] [--tenants 200x50]
                                   [--latency 0.05] [--concurrency 1,8] [--skip-one|--skip-many]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulators.graph import EmulatorControl  # noqa: E402

TOKEN_ENV = "BENCH_GRAPH_TOKEN"
PER_FILE = 50_000
CATALOG = """products:
  M365-BP:
    name: Microsoft 365 Business Premium
    price: 36.50
    assign:
      graph: SPB
"""


@dataclass
class Run:
    scenario: str
    command: str
    seconds: float
    reads_users: int
    reads_skus: int
    batches: int
    other: int
    floor_reads: int
    floor_batches: int


def tenantry() -> str:
    beside = Path(sys.executable).parent / "tenantry"
    return str(beside) if beside.exists() else "tenantry"


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "emulators.graph", "--port", "0"],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def make_repo(base: Path, directory: str, tenants: dict[str, str]) -> Path:
    repo = base / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "specs" / "tenants").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "config", "user.email", "bench@example.net")
    git(repo, "config", "user.name", "Bench")
    (repo / "specs" / "catalog.yaml").write_text(CATALOG)
    (repo / "specs" / "directories.yaml").write_text(directory)
    for name, text in tenants.items():
        (repo / "specs" / "tenants" / f"{name}.yaml").write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "bench specs")
    return repo


def tenant_file(name: str, users: int, container: str | None) -> str:
    lines = [f"name: {name.title()}", f"domain: {name}.example", "usage_location: NZ"]
    if container:
        lines += ["directory: partner", f"container: {container}"]
    lines.append("users:")
    for i in range(users):
        lines.append(f"  u{i:05d}: {{upn: u{i:05d}@{name}.example, display_name: U{i}, "
                     "skus: [M365-BP]}")
    return "\n".join(lines) + "\n"


def timed(repo: Path, *args: str) -> float:
    start = time.monotonic()
    proc = subprocess.run([tenantry(), *args], cwd=repo, capture_output=True, text=True,
                          env={**os.environ})
    seconds = time.monotonic() - start
    if proc.returncode not in (0, 2):
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"tenantry {' '.join(args)} failed ({proc.returncode})")
    return seconds


def measure(control: EmulatorControl, repo: Path, scenario: str, args: list[str],
            floor_reads: int, floor_batches: int) -> Run:
    control.reset_stats()
    seconds = timed(repo, *args)
    stats = control.stats()
    users = stats.pop("GET /users", 0)
    skus = stats.pop("GET /subscribedSkus", 0)
    batches = stats.pop("POST /$batch", 0)
    other = sum(v for k, v in stats.items() if not k.startswith(("$batch ", "fault ")))
    return Run(scenario, " ".join(args[:1]), seconds, users, skus, batches, other,
               floor_reads, floor_batches)


def one_tenant(control: EmulatorControl, url: str, base: Path, users: int) -> list[Run]:
    tenant_id = str(uuid.uuid4())
    control.reset()
    control.tenant(tenant_id, f"bench-{tenant_id}", skus={"SPB": users},
                   domains=[f"contoso{k}.example" for k in range(math.ceil(users / PER_FILE))])
    directory = (f"directories:\n  m365:\n    provider: graph\n    tenant_id: {tenant_id}\n"
                 f"    token_env: {TOKEN_ENV}\n    graph_url: {url}\n")
    # A spec file holds at most 5 MiB (about 50,000 users): a bigger customer is split into
    # tenant files sharing the one Entra tenant, which is still listed once.
    parts = math.ceil(users / PER_FILE)
    files = {f"contoso{k}": tenant_file(f"contoso{k}", min(PER_FILE, users - k * PER_FILE), None)
             for k in range(parts)}
    repo = make_repo(base, directory, files)
    name = f"1 tenant x {users:,} users" + (f" ({parts} tenant files)" if parts > 1 else "")
    pages = math.ceil(users / 999)
    return [
        measure(control, repo, name, ["apply", "--auto-approve", "--max-deletes", "0"],
                1 + 1, math.ceil(2 * users / 20)),
        measure(control, repo, name, ["plan"], pages + 1, 0),
    ]


def many_tenants(control: EmulatorControl, url: str, base: Path, tenants: int, users: int,
                 latency: float, concurrency: int) -> list[Run]:
    control.reset()
    files = {}
    for i in range(tenants):
        tenant_id = str(uuid.uuid4())
        control.tenant(tenant_id, f"bench-{tenant_id}", skus={"SPB": users})
        files[f"t{i:04d}"] = tenant_file(f"t{i:04d}", users, tenant_id)
    directory = (f"directories:\n  partner:\n    provider: graph\n    multi_tenant: true\n"
                 f"    token_env: {TOKEN_ENV}\n    graph_url: {url}\n"
                 f"    concurrency: {concurrency}\n")
    repo = make_repo(base, directory, files)
    control.switches(latency=latency)
    name = f"{tenants} x {users} users, {latency * 1000:.0f} ms, concurrency {concurrency}"
    pages = math.ceil(users / 999)
    return [
        measure(control, repo, name, ["apply", "--auto-approve"], 2 * tenants,
                tenants * math.ceil(2 * users / 20)),
        measure(control, repo, name, ["plan"], (pages + 1) * tenants, 0),
    ]


def table(runs: list[Run]) -> str:
    out = ["| scenario | command | seconds | GET /users | GET /subscribedSkus | POST /$batch "
           "| other | floor: reads | floor: batches |",
           "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for r in runs:
        out.append(f"| {r.scenario} | {r.command} | {r.seconds:.1f} | {r.reads_users:,} | "
                   f"{r.reads_skus:,} | {r.batches:,} | {r.other:,} | {r.floor_reads:,} | "
                   f"{r.floor_batches:,} |")
    return "\n".join(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", default="10000,100000")
    parser.add_argument("--tenants", default="200x50")
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--skip-one", action="store_true")
    parser.add_argument("--skip-many", action="store_true")
    args = parser.parse_args()
    os.environ[TOKEN_ENV] = "bench-{tenant_id}"
    proc, url = start_emulator()
    control = EmulatorControl(url)
    runs: list[Run] = []
    try:
        with tempfile.TemporaryDirectory(prefix="tenantry-graph-bench-") as tmp:
            if not args.skip_one:
                for users in (int(u) for u in args.users.split(",")):
                    runs += one_tenant(control, url, Path(tmp), users)
                    print(table(runs[-2:]).splitlines()[-2:][-2], flush=True)
                    print(table(runs[-1:]).splitlines()[-1], flush=True)
            if not args.skip_many:
                tenants, users = (int(n) for n in args.tenants.split("x"))
                for concurrency in (int(c) for c in args.concurrency.split(",")):
                    runs += many_tenants(control, url, Path(tmp), tenants, users,
                                         args.latency, concurrency)
                    print(table(runs[-2:]).splitlines()[-2], flush=True)
                    print(table(runs[-1:]).splitlines()[-1], flush=True)
    finally:
        proc.terminate()
        proc.wait()
    print()
    print(table(runs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
