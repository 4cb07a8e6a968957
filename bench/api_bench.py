"""Time to serve a period's billing through the API on the benchmark history, cold and warm.

Steps, each timed on the client (one request at a time):

1. start ``tenantry serve`` with no cache (``.tenantry/cache`` removed): until /healthz
   answers, HEAD's history is read and every tenant file parsed (on every core);
2. the period's full report (``/v1/billing?period=P``, unscoped): the first request bills
   the span; then the same again (rendered body reused), then with If-None-Match (304);
3. the first page of flat lines (1,000), a reseller's report and a tenant's lines: the same
   bill, cut per scope and rendered;
4. a restart with the parse cache kept (warm disk cache, empty memory): start-up, then the
   period's report again.

Also prints the server's peak RSS (from /proc) after each phase.

Usage: python bench/api_bench.py [--period YYYY-MM] [OUT_DIR]   (default /tmp/tenantry-bench,
       generated as `python -m bench` does when missing: 1,000 tenants x 100 users x 5,000
       commits)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from api_load import cpu_seconds, create_tokens, read_tree, serving


def peak_rss(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.2f} GB"
    except OSError:
        pass
    return "?"


def timed(client: httpx.Client, path: str, **kwargs: object) -> tuple[float, httpx.Response]:
    started = time.monotonic()
    response = client.get(path, **kwargs)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    if response.status_code not in (200, 304):
        raise SystemExit(f"error: {path}: {response.status_code} {response.text[:300]}")
    return elapsed, response


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("repo", nargs="?", type=Path,
                        default=Path(tempfile.gettempdir()) / "tenantry-bench")
    parser.add_argument("--period", default=None)
    args = parser.parse_args(argv)
    repo: Path = args.repo
    if not (repo / ".git").exists():
        import gen_history
        gen_history.main(["--tenants", "1000", "--users", "100", "--commits", "5000",
                          "--merge-every", "200", str(repo)])
    from api_load import last_closed_period
    period = args.period or last_closed_period()
    tree = read_tree(repo)
    reseller = min(tree.parent)
    tenant = min(tree.reseller_of)
    tokens = create_tokens(repo, {"all": set(), f"reseller:{reseller}": set(),
                                  f"tenant:{tenant}": set()})
    rows: list[tuple[str, str]] = []
    shutil.rmtree(repo / ".tenantry" / "cache", ignore_errors=True)
    for phase in ("cold", "warm disk cache"):
        started = time.monotonic()
        with serving(repo) as (url, pid):
            rows.append((f"{phase}: start-up (history read, files parsed)",
                         f"{time.monotonic() - started:.1f} s"))
            rows.append((f"{phase}: server CPU at start-up", f"{cpu_seconds(pid) or 0:.1f} s"))
            headers = {"Authorization": f"Bearer {tokens['all']}"}
            with httpx.Client(base_url=url, headers=headers, timeout=600) as client:
                q = {"period": period}
                first, response = timed(client, "/v1/billing", params=q)
                size = len(response.content)
                label = f"{phase}: /v1/billing?period={period}, first ({size / 1e6:.0f} MB)"
                rows.append((label, f"{first:.2f} s"))
                again, _ = timed(client, "/v1/billing", params=q)
                rows.append((f"{phase}: the same again", f"{again * 1000:.0f} ms"))
                tag = response.headers["etag"]
                nm, r304 = timed(client, "/v1/billing", params=q,
                                 headers={**headers, "If-None-Match": tag})
                assert r304.status_code == 304
                rows.append((f"{phase}: the same with If-None-Match (304)",
                             f"{nm * 1000:.0f} ms"))
                if phase == "cold":
                    lines, _ = timed(client, "/v1/billing/lines", params=q)
                    rows.append(("first page of lines (1,000), all", f"{lines * 1000:.0f} ms"))
                    for scope in (f"reseller:{reseller}", f"tenant:{tenant}"):
                        h = {"Authorization": f"Bearer {tokens[scope]}"}
                        took, r = timed(client, "/v1/billing", params=q, headers=h)
                        rows.append((f"/v1/billing, {scope} ({len(r.content) / 1e6:.1f} MB)",
                                     f"{took * 1000:.0f} ms"))
                    csv_took, r = timed(client, "/v1/billing/lines",
                                        params={**q, "format": "csv"})
                    rows.append((f"all lines as CSV ({len(r.content) / 1e6:.0f} MB)",
                                 f"{csv_took:.2f} s"))
            rows.append((f"{phase}: server peak RSS", peak_rss(pid)))
    # The same span from the command line, for scale on this machine: parse cache warm,
    # report cache emptied (the API computes the report the same way; it does not use it).
    shutil.rmtree(repo / ".tenantry" / "cache" / "reports-v1", ignore_errors=True)
    started = time.monotonic()
    subprocess.run([sys.executable, "-m", "tenantry", "-C", str(repo), "bill", "--period",
                    period, "--format", "json", "--output",
                    str(Path(tempfile.gettempdir()) / "api-bench-cli.json")], check=True,
                   capture_output=True)
    rows.append(("for scale: tenantry bill --period, parse cache warm, report not cached",
                 f"{time.monotonic() - started:.2f} s"))
    width = max(len(name) for name, _ in rows)
    print(f"\n{repo}, period {period}\n")
    print(f"| {'what'.ljust(width)} | figure |\n|{'-' * (width + 2)}|--------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
