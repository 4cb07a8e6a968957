"""A short run of the load test (bench/api_load.py) against the test server: concurrent
clients, mixed endpoints and scopes, no error and nothing of another tenant in any body.
The full run (50 clients for 30 s) is `python bench/api_load.py`; its figures are in
docs/api.md."""

from __future__ import annotations

import sys
from pathlib import Path

from .conftest import ALL_TENANTS, PERIOD, PRESENT, VISIBLE, Server

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))

import api_load


def test_concurrent_mixed_load(server: Server) -> None:
    stats = api_load.run_load(server.url, server.tokens, {k: set(v) for k, v in VISIBLE.items()},
                              set(ALL_TENANTS), clients=8, seconds=4,
                              params={"period": PERIOD}, present=set(PRESENT))
    assert stats.errors == [] and stats.leaks == [], stats.report()
    # Every client got answers (how many depends on the machine: no timing here).
    assert len(stats.latencies) >= 8 and len(stats.by_path) >= 2, stats.report()
