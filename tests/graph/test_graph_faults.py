"""Fault injection: throttling, outages, lost responses, read lag and a killed apply. In
every case apply then plan converges: no user is created twice and none is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from typing import Any

from conftest import Cli, SpecRepo, tenant, tenantry_script, user
from graphhelp import Graph, commit, emulator_url, graph, guid, marker_of, password_rows

__all__ = ["emulator_url", "graph"]

CUSTOMERS = ("north", "south", "east")


def specs(graph: Graph, users: dict[str, dict[str, Any]]) -> tuple[dict[str, Any],
                                                                   dict[str, Any]]:
    tenants = {name: tenant(name.title(), {uid: dict(doc, upn=doc["upn"].replace(
        "@x.", f"@{name}.")) for uid, doc in users.items()},
        domain=f"{name}.example", directory="partner", container=guid(name),
        usage_location="NZ") for name in CUSTOMERS}
    return tenants, {"partner": graph.partner(concurrency=3)}


def people(count: int) -> dict[str, dict[str, Any]]:
    return {f"u{i:03d}": user(f"u{i:03d}@x.example", f"User {i}",
                              skus=["M365-BP", "EXO-P1"] if i % 3 else ["EXO-P1"])
            for i in range(count)}


def settle(graph: Graph) -> None:
    """Wait out the read lag, as a later run would."""
    time.sleep(float(graph.control.switches()["read_lag"]) + 0.1)


def converged(cli: Cli) -> None:
    result = cli("plan", "--detailed-exitcode")
    assert (result.code, result.err) == (0, ""), result.out + result.err


def exactly(graph: Graph, users: dict[str, dict[str, Any]]) -> None:
    """Each customer holds exactly the specified users (marked), with their licences."""
    parts = {"M365-BP": "SPB", "EXO-P1": "EXCHANGESTANDARD"}
    for name in CUSTOMERS:
        want = {doc["upn"].replace("@x.", f"@{name}."): {parts[s] for s in doc.get("skus", ())}
                for doc in users.values()}
        assert graph.held(name) == want
        assert all(marker_of(u) for u in graph.users(name).values())
        total = sum(len(skus) for skus in want.values())
        assert sum(graph.consumed(name).values()) == total


def test_throttling_outages_and_read_lag(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    for name in CUSTOMERS:
        graph.tenant(name, skus={"SPB": 100, "EXCHANGESTANDARD": 100})
    graph.control.switches(throttle_rate=0.1, unavailable_rate=0.1, retry_after=1,
                           read_lag=0.5, seed=8)
    users = people(24)
    commit(repo, *specs(graph, users))
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    stats = graph.control.stats()
    assert stats["fault 429"] > 10 and stats["fault 503"] > 10  # the faults did happen
    settle(graph)
    converged(cli)
    exactly(graph, users)
    assert all(graph.control.created(guid(n)) == 24 for n in CUSTOMERS)  # none twice

    # Renames, licence swaps, disables and deletes, under the same weather.
    changed = {uid: dict(doc) for uid, doc in users.items() if int(uid[1:]) >= 5}
    for uid in ("u010", "u011", "u012"):
        changed[uid]["upn"] = changed[uid]["upn"].replace("@", ".renamed@")
    for uid in ("u013", "u014"):
        changed[uid]["skus"] = ["M365-BP"]
    changed["u015"]["enabled"] = False
    commit(repo, *specs(graph, changed))
    result = cli("apply", "--auto-approve", "--max-deletes", "15")
    assert result.code == 0, result.err
    settle(graph)
    converged(cli)
    exactly(graph, changed)


def test_lost_responses_never_create_twice(repo: SpecRepo, graph: Graph, cli: Cli) -> None:
    for name in CUSTOMERS:
        graph.tenant(name, skus={"SPB": 100, "EXCHANGESTANDARD": 100})
    # A tenth of the writes happen but their answer is lost (504), and reads lag behind:
    # a create must be looked up, not sent again blindly.
    graph.control.switches(lost_response_rate=0.1, read_lag=0.5, seed=3)
    users = people(30)
    commit(repo, *specs(graph, users))
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    assert graph.control.stats()["fault 504"] > 10
    settle(graph)
    converged(cli)
    exactly(graph, users)
    assert all(graph.control.created(guid(n)) == 30 for n in CUSTOMERS)
    # Whoever was created got exactly one password row, and it is the one Graph holds.
    rows = password_rows(repo)
    assert len(rows) == len({(r["tenant"], r["user"]) for r in rows}) == 90
    for row in rows:
        stored = graph.users(row["tenant"])[row["upn"]]["passwordProfile"]["password"]
        assert stored == row["password"]


def test_a_killed_apply_converges_when_run_again(repo: SpecRepo, graph: Graph,
                                                 cli: Cli) -> None:
    for name in CUSTOMERS:
        graph.tenant(name, skus={"SPB": 200, "EXCHANGESTANDARD": 200})
    graph.control.switches(latency=0.05, read_lag=1.0)
    users = people(120)
    commit(repo, *specs(graph, users))
    proc = subprocess.Popen([tenantry_script(), "apply", "--auto-approve"], cwd=repo.root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=dict(os.environ))
    deadline = time.monotonic() + 60
    while graph.control.stats().get("$batch POST /users", 0) < 60:
        assert proc.poll() is None and time.monotonic() < deadline, "apply ended too soon"
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    created = sum(graph.control.created(guid(n)) for n in CUSTOMERS)
    assert 0 < created < 360  # killed half-way
    # Run again at once: the read lag hides some of the users just created, so their
    # creates meet "already exists", and our marker on them settles it.
    graph.control.switches(latency=0.0)
    result = cli("apply", "--auto-approve")
    assert result.code == 0, result.err
    settle(graph)
    converged(cli)
    exactly(graph, users)
    assert sum(graph.control.created(guid(n)) for n in CUSTOMERS) == 360
    rows = password_rows(repo)
    assert len(rows) == len({(r["tenant"], r["user"]) for r in rows})  # never two
    for row in rows:
        assert graph.users(row["tenant"])[row["upn"]]["passwordProfile"]["password"] == \
            row["password"]
