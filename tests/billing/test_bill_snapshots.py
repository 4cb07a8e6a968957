"""The seat-history snapshot (``.tenantry/cache/history/``): a new span at a billed commit
walks no history, a new commit walks only itself, and every report is byte-identical to a
cold run (every cache bypassed), including after a snapshot was damaged.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from billhelp import bill_raw, setup
from conftest import Cli, SpecRepo, tenant, user
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bill_property import build, step_st

import reconciler.billing.run
import reconciler.gitrepo

HISTORY = Path(".tenantry/cache/history")


def cold(cli: Cli, monkeypatch: pytest.MonkeyPatch, *args: str) -> str:
    """The report with every cache bypassed: all parsed and walked from the first commit."""
    with monkeypatch.context() as patch:
        patch.setenv("TENANTRY_NO_CACHE", "1")
        return bill_raw(cli, *args)


def warm(cli: Cli, *args: str) -> str:
    """The report through the caches, but never a finished report read back."""
    shutil.rmtree(".tenantry/cache/reports-v1", ignore_errors=True)
    return bill_raw(cli, *args)


def snapshots() -> list[Path]:
    return sorted(HISTORY.rglob("*.snap"))


def spy_log(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    """The ``since`` of every history walk from now on (None: from the first commit)."""
    calls: list[str | None] = []
    real = reconciler.gitrepo.first_parent_log

    def spying(repo: Any, rev: str, specs: str, since: str | None = None) -> Any:
        calls.append(since)
        return real(repo, rev, specs, since)

    monkeypatch.setattr(reconciler.billing.run, "first_parent_log", spying)
    return calls


def grow(repo: SpecRepo, count: int, day: int) -> str:
    """Tenant two with ``count`` users; a commit on 2026-04-``day``."""
    return repo.commit_specs({"tenants/two.yaml": tenant("Two", {
        f"u{i}": user(f"u{i}@two.example", skus=["EXO-P1", "SUPPORT"][: 1 + i % 2])
        for i in range(count)})}, f"two has {count}", date=f"2026-04-{day:02d}T12:00:00+00:00")


@pytest.fixture
def base(repo: SpecRepo) -> SpecRepo:
    setup(repo, resellers={"acme": {"name": "Acme", "mode": "aggregate", "discount": 20}},
          tenants={"one": tenant("One", {"al": user("al@one.example", skus=["M365-BP"])},
                                 reseller="acme")})
    for day, count in ((3, 1), (6, 3), (9, 2)):
        grow(repo, count, day)
    return repo


def test_a_new_span_at_a_billed_commit_walks_no_history(base: SpecRepo, cli: Cli,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_log(monkeypatch)
    warm(cli, "--period", "2026-04")
    assert calls == [None] and len(snapshots()) == 1
    for span in (["--from", "2026-04-02", "--to", "2026-04-07"], ["--period", "2026-05"]):
        calls.clear()
        assert warm(cli, *span) == cold(cli, monkeypatch, *span)
        assert calls == [None]  # only the cold run walked


def test_a_new_commit_walks_only_that_commit(base: SpecRepo, cli: Cli,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    calls = spy_log(monkeypatch)
    warm(cli, "--period", "2026-04")
    before = base.head()
    grow(base, 5, 12)
    calls.clear()
    assert warm(cli, "--period", "2026-04") == cold(cli, monkeypatch, "--period", "2026-04")
    assert calls == [before, None]  # the warm run started at the snapshot; the cold one did not

    # Through a merge: the first parent's history only.
    base.branch("feature")
    base.commit_specs({"tenants/one.yaml": tenant("One", {
        "al": user("al@one.example", skus=["M365-BP", "SUPPORT"])}, reseller="acme")},
        "al gets support", date="2026-04-13T12:00:00+00:00")
    base.checkout("main")
    grow(base, 1, 14)
    base.merge("feature", "Merge pull request #3 from org/feature",
               date="2026-04-15T12:00:00+00:00")
    assert warm(cli, "--period", "2026-04") == cold(cli, monkeypatch, "--period", "2026-04")
    assert warm(cli, "HEAD~1..HEAD") == cold(cli, monkeypatch, "HEAD~1..HEAD")


def test_walks_are_saved_again_after_enough_commits(base: SpecRepo, cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reconciler.billing.run, "SNAPSHOT_EVERY", 2)
    warm(cli, "--period", "2026-04")
    grow(base, 4, 20)
    warm(cli, "--period", "2026-04")
    assert len(snapshots()) == 1  # one commit is cheaper to walk again than to save
    grow(base, 6, 21)
    warm(cli, "--period", "2026-04")
    assert len(snapshots()) == 2  # two commits since the last snapshot: saved here
    calls = spy_log(monkeypatch)
    assert warm(cli, "--period", "2026-04") == cold(cli, monkeypatch, "--period", "2026-04")
    assert calls == [None]  # the warm run walked nothing: the tip has a snapshot now


@pytest.mark.parametrize("damage", ["truncate", "flip", "swap", "empty"])
def test_a_damaged_snapshot_is_never_trusted(base: SpecRepo, cli: Cli,
                                            monkeypatch: pytest.MonkeyPatch, damage: str) -> None:
    warm(cli, "--period", "2026-04")
    older = base.head()
    grow(base, 7, 12)
    monkeypatch.setattr(reconciler.billing.run, "SNAPSHOT_EVERY", 1)
    warm(cli, "--period", "2026-04")
    new, old = sorted(snapshots(), key=lambda p: older in p.name)
    data = bytearray(new.read_bytes())
    if damage == "truncate":
        new.write_bytes(bytes(data[: len(data) // 2]))
    elif damage == "flip":
        data[-100] ^= 0x10
        new.write_bytes(bytes(data))
    elif damage == "swap":  # a whole snapshot, of another commit
        new.write_bytes(old.read_bytes())
    else:
        new.write_bytes(b"")
    calls = spy_log(monkeypatch)
    expected = cold(cli, monkeypatch, "--period", "2026-04")
    assert warm(cli, "--period", "2026-04") == expected
    assert calls[1] == older  # walked on from the older snapshot, the damaged one ignored
    assert warm(cli, "--from", "2026-04-05", "--to", "2026-04-30") \
        == cold(cli, monkeypatch, "--from", "2026-04-05", "--to", "2026-04-30")


COUNTER = itertools.count()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step_st, min_size=1, max_size=5), data=st.data())
def test_incremental_reports_equal_cold_ones(tmp_path: Path, cli: Cli,
                                             monkeypatch: pytest.MonkeyPatch,
                                             steps: list[Any], data: st.DataObject) -> None:
    """Billing each first-parent commit in turn (each walk saved and walked on from) gives
    the bytes a cold run gives, for random histories: renames, deleted and broken tenant
    files, clock skew, merged branches; then again at older commits in a random order."""
    root = tmp_path / f"example-{next(COUNTER)}"
    repo = build(root, steps)
    monkeypatch.chdir(root)
    monkeypatch.setattr(reconciler.billing.run, "SNAPSHOT_EVERY", 1)
    shas = repo.git("log", "--first-parent", "--reverse", "--format=%H").split()
    spans = (["--period", "2026-03"], ["--from", "2026-02-27", "--to", "2026-03-09"])
    order = list(enumerate(shas)) + data.draw(st.permutations(list(enumerate(shas))),
                                              label="again")
    for index, sha in order:
        span = list(spans[index % 2])
        assert warm(cli, "--rev", sha, *span) == cold(cli, monkeypatch, "--rev", sha, *span)
