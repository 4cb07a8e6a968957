"""Re-runs (SPEC §6.5): byte-identical JSON, and tenant files parsed once, then cached under
``.tenantry/cache/`` (``parsed/``: tenant file versions by blob id, shared with validate and
plan; ``history/``: the seat history per billed commit; ``reports-v1/``: finished reports).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from billhelp import bill_raw, setup
from conftest import Cli, SpecRepo, run_tenantry, tenant, user

import reconciler.billing.run
import reconciler.specs.cache

CACHE = Path(".tenantry/cache")


def history(repo: SpecRepo) -> None:
    setup(repo, resellers={"acme": {"name": "Acme", "mode": "aggregate", "discount": 20}},
          tenants={
              "one": tenant("One", {"al": user("al@one.example", skus=["M365-BP", "SUPPORT"]),
                                    "bo": user("bo@one.example", skus=["EXO-P1"])},
                            reseller="acme"),
              "two": tenant("Two", {"cy": user("cy@two.example", skus=["SUPPORT"])})})
    for d in range(1, 6):
        repo.commit_specs({"tenants/two.yaml": tenant("Two", {
            "cy": user("cy@two.example", skus=["SUPPORT"]),
            **{f"u{i}": user(f"u{i}@two.example", skus=["EXO-P1"]) for i in range(d)}})},
            f"two grows to {d + 1}", date=f"2026-04-{d * 3:02d}T12:00:00+00:00")


def snapshot(root: Path) -> dict[str, int]:
    """Every cache file and its mtime in nanoseconds."""
    return {str(p.relative_to(root)): p.stat().st_mtime_ns
            for p in sorted(root.rglob("*")) if p.is_file()}


def tenant_entries(root: Path) -> dict[str, int]:
    return {k: v for k, v in snapshot(root).items() if k.startswith("parsed/")}


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Calls that parse a tenant file version (in this process: these histories are small)."""
    calls: list[Any] = []
    real = reconciler.specs.cache.parse

    def counting(*args: Any, **kwargs: Any) -> Any:
        calls.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(reconciler.specs.cache, "parse", counting)
    return calls


def test_rerun_is_byte_identical_and_uses_the_cache(repo: SpecRepo, cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo)
    first = bill_raw(cli, "--period", "2026-04")
    cached = tenant_entries(CACHE)
    # One entry per distinct tenant file version: one 1 + two 1 + 5 = 7
    assert len(cached) == 7

    # Another span over the same history parses no tenant file: the history comes from the
    # snapshot of this commit (a repeat of the same span would come from the report cache).
    calls = count_parses(monkeypatch)
    other = bill_raw(cli, "--from", "2026-04-01", "--to", "2026-04-20")
    assert other != first and calls == []
    assert tenant_entries(CACHE) == cached  # nothing rewritten, nothing added

    # Without the snapshot, every version still comes from the parse cache.
    cold = bill_raw_cold(cli, "--from", "2026-04-02", "--to", "2026-04-20",
                         monkeypatch=monkeypatch)
    calls.clear()
    shutil.rmtree(CACHE / "history")
    assert bill_raw(cli, "--from", "2026-04-02", "--to", "2026-04-20") == cold
    assert calls == [] and tenant_entries(CACHE) == cached

    # Without the cache the same bytes come out, and the same entries are written again
    # (whether parsed here or in worker processes).
    shutil.rmtree(CACHE)
    assert bill_raw(cli, "--period", "2026-04") == first
    assert set(tenant_entries(CACHE)) == set(cached)


def test_repeated_report_is_served_without_reading_history(
        repo: SpecRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo)
    first = bill_raw(cli, "--period", "2026-04")
    reports = {k for k in snapshot(CACHE) if k.startswith("reports-")}
    assert len(reports) == 2  # the report and its warnings

    def no_history(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("history was read for a cached report")

    monkeypatch.setattr(reconciler.billing.run, "first_parent_log", no_history)
    assert bill_raw(cli, "--period", "2026-04") == first
    # A new commit is a new REV: the cached report is not used for it.
    repo.commit_specs({"tenants/two.yaml": tenant("Two", {})}, "two leaves",
                      date="2026-04-25T12:00:00+00:00")
    with pytest.raises(AssertionError, match="history was read"):
        bill_raw(cli, "--period", "2026-04")


def test_default_span_and_no_cache_are_never_cached(repo: SpecRepo, cli: Cli,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo)
    assert cli("bill", "--format", "json").code == 0  # the default span ends today
    assert not [k for k in snapshot(CACHE) if k.startswith("reports-")]
    shutil.rmtree(CACHE)
    monkeypatch.setenv("TENANTRY_NO_CACHE", "1")
    bill_raw(cli, "--period", "2026-04")
    assert not CACHE.exists()


def bill_raw_cold(cli: Cli, *args: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The report with every cache bypassed: parsed and walked from scratch."""
    with monkeypatch.context() as patch:
        patch.setenv("TENANTRY_NO_CACHE", "1")
        return bill_raw(cli, *args)


def test_damaged_cache_entries_are_parsed_again(repo: SpecRepo, cli: Cli,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    history(repo)
    first = bill_raw(cli, "--period", "2026-04")
    shutil.rmtree(CACHE / "reports-v1")
    shutil.rmtree(CACHE / "history")
    entries = sorted(p for p in (CACHE / "parsed").rglob("*") if p.is_file())
    assert len(entries) == 7
    entries[0].write_bytes(entries[0].read_bytes()[:-20])  # truncated
    data = bytearray(entries[1].read_bytes())
    data[-5] ^= 1  # one bit flipped in the body: still well-formed JSON
    entries[1].write_bytes(bytes(data))
    entries[2].write_bytes(entries[3].read_bytes())  # another version's entry
    calls = count_parses(monkeypatch)
    assert bill_raw(cli, "--period", "2026-04") == first
    assert len(calls) == 3  # exactly the three damaged versions, parsed again ...
    calls.clear()
    shutil.rmtree(CACHE / "reports-v1")
    shutil.rmtree(CACHE / "history")
    assert bill_raw(cli, "--period", "2026-04") == first
    assert calls == []  # ... and rewritten whole


def test_byte_identical_across_processes(repo: SpecRepo) -> None:
    history(repo)
    runs = []
    for seed in ("0", "1", "12345"):
        # Different hash seeds: no output may depend on set or dict iteration order.
        shutil.rmtree(repo.root / CACHE, ignore_errors=True)
        result = run_tenantry("bill", "--period", "2026-04", "--format", "json", cwd=repo.root,
                              env={**os.environ, "PYTHONHASHSEED": seed})
        assert result.code == 0, result.err
        runs.append(result.out)
    # and once more with a warm cache
    runs.append(run_tenantry("bill", "--period", "2026-04", "--format", "json",
                             cwd=repo.root).out)
    assert len(set(runs)) == 1
