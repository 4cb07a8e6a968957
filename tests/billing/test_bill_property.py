"""Property: consecutive commit ranges add up (SPEC §6.4), and re-runs are byte-identical.

For random small histories (seats added and removed, renames into and out of a UPN rule,
deleted and broken tenant files, clock skew, merged feature branches) and random cut points
A < B < C on the first-parent history, billing A..B and then B..C gives every seat the same
counted and billable days as billing A..C.

B is a commit whose effective day has no later commit on it: a commit later on B's own day
would change that day, which A..B (billed at B) cannot know of and B..C (starting the day
after B's) does not bill, so that day legitimately differs.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from billhelp import GITIGNORE, bill, bill_raw, day
from conftest import CATALOG, Cli, SpecRepo, tenant, to_yaml, user
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

ZONE = "Pacific/Auckland"
BILLING = {"timezone": ZONE, "currency": "NZD", "close_day": 25, "rules": [
    {"name": "admins", "users": ["ADMIN-*@*"], "start": day("2026-03-04")},
    {"name": "t1 support", "tenants": ["t1"], "skus": ["SUPPORT"], "end": day("2026-03-06")},
]}
USERS = ("u0", "u1", "u2")
TENANTS = ("t0", "t1")
SKUS = ("M365-BP", "SUPPORT")
BASE = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)

# A user's state: is the UPN the admin one (a rename), and the SKUs held.
users_st = st.dictionaries(st.sampled_from(USERS),
                           st.tuples(st.booleans(), st.frozensets(st.sampled_from(SKUS))),
                           max_size=3)
# "rename" flips every user of the tenant between its admin and its plain UPN, SKUs kept.
change_st = st.one_of(
    st.tuples(st.just("set"), st.sampled_from(TENANTS), users_st),
    st.tuples(st.sampled_from(["rename", "rename", "delete", "broken"]),
              st.sampled_from(TENANTS), st.none()))
# Hours after the previous first-parent commit: negative is clock skew (clamped).
hours_st = st.sampled_from([-30, 0, 1, 5, 11, 20, 26, 49])
# (hours, changes, merged): merged changes are commits on a branch, merged with --no-ff.
# At most 6 first-parent commits (the initial one and 5 steps).
step_st = st.tuples(hours_st, st.lists(change_st, min_size=1, max_size=2), st.booleans())


Users = dict[str, tuple[bool, frozenset[str]]]


def tenant_file(tid: str, users: Users) -> str:
    return to_yaml(tenant(tid.upper(), {
        uid: user(f"{'admin-' if admin else ''}{uid}@{tid}.example", skus=sorted(skus))
        for uid, (admin, skus) in sorted(users.items())}))


def content(change: tuple[str, str, Any], state: dict[str, Users | None]) -> dict[str, Any]:
    """The file change for ``change``; ``state`` (tenant -> users, None: no file) follows."""
    kind, tid, users = change
    path = f"tenants/{tid}.yaml"
    if kind == "delete":
        state[tid] = None
        return {path: None}
    if kind == "broken":
        return {path: "name: [broken\n"}  # billing keeps the previous state
    if kind == "rename":
        users = {uid: (not admin, skus) for uid, (admin, skus) in (state[tid] or {}).items()}
    state[tid] = users
    return {path: tenant_file(tid, users)}


def build(root: Path, steps: list[tuple[int, list[tuple[str, str, Any]], bool]]) -> SpecRepo:
    state: dict[str, Users | None] = {"t0": {"u0": (False, frozenset(SKUS))},
                                      "t1": {"u1": (True, frozenset(SKUS))}}
    repo = SpecRepo.init(root)
    repo.write({".gitignore": GITIGNORE})
    repo.commit_specs({"catalog.yaml": CATALOG, "billing.yaml": BILLING,
                       **{f"tenants/{tid}.yaml": tenant_file(tid, users or {})
                          for tid, users in state.items()}},
                      "initial", date=BASE)
    when = BASE
    for number, (hours, changes, merged) in enumerate(steps):
        when += dt.timedelta(hours=hours)
        if merged:
            repo.branch(f"feature-{number}")
            for index, change in enumerate(changes):
                # Branch commits are dated anywhere; only the merge's time counts.
                repo.commit_specs(content(change, state), "branch work",
                                  date=when - dt.timedelta(hours=7 * (index + 1)))
            repo.checkout("main")
            repo.merge(f"feature-{number}", date=when)
        else:
            files: dict[str, Any] = {}
            for change in changes:
                files.update(content(change, state))
            repo.commit_specs(files, "work", date=when)
    return repo


def effective_days(repo: SpecRepo) -> tuple[list[str], list[dt.date]]:
    """First-parent commits, oldest first, and the billing day of each one's effective time."""
    shas, days, clock = [], [], 0
    zone = ZoneInfo(ZONE)
    for row in repo.git("log", "--first-parent", "--reverse", "--format=%H %ct").split("\n"):
        if row:
            sha, stamp = row.split()
            clock = max(clock, int(stamp))  # clamped: never earlier than the commit before
            shas.append(sha)
            days.append(dt.datetime.fromtimestamp(clock, zone).date())
    return shas, days


def seat_days(*docs: dict[str, Any]) -> dict[tuple[str, str, str], tuple[int, int]]:
    """(tenant, user, SKU) -> (counted days, billable days), summed over reports."""
    out: dict[tuple[str, str, str], tuple[int, int]] = {}
    for doc in docs:
        for x in doc["lines"]:
            key = (x["tenant"], x["user"], x["sku"])
            days, billable = out.get(key, (0, 0))
            out[key] = (days + x["days"], billable + x["billable_days"])
    return {k: v for k, v in out.items() if v != (0, 0)}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step_st, min_size=2, max_size=5), data=st.data())
def test_consecutive_ranges_add_up(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch,
                                   steps: list[tuple[int, list[tuple[str, str, Any]], bool]],
                                   data: st.DataObject) -> None:
    root = tmp_path / f"example-{next(COUNTER)}"
    repo = build(root, steps)
    shas, days = effective_days(repo)
    n = len(shas)
    middles = [j for j in range(1, n - 1) if days[j + 1] > days[j]]
    assume(middles)
    j = data.draw(st.sampled_from(middles), label="B")
    i = data.draw(st.integers(0, j - 1), label="A")
    k = data.draw(st.integers(j + 1, n - 1), label="C")
    a, b, c = shas[i], shas[j], shas[k]

    monkeypatch.chdir(root)
    whole = bill(cli, f"{a}..{c}")
    first, second = bill(cli, f"{a}..{b}"), bill(cli, f"{b}..{c}")
    assert first["span"]["days"] + second["span"]["days"] == whole["span"]["days"]
    assert seat_days(first, second) == seat_days(whole)

    # Re-running gives the same bytes (and the same report as the first run).
    again = bill_raw(cli, f"{a}..{c}")
    assert again == bill_raw(cli, f"{a}..{c}")
    assert json.loads(again) == whole


COUNTER = itertools.count()

