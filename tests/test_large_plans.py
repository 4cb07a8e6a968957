"""Plans too large for a screen: the text says what it left out, the JSON is written in
pieces that make exactly the one document, and the directory port is none the wiser."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import CATALOG, Cli, SpecRepo, tenant, user
from hypothesis import given, settings
from hypothesis import strategies as st

import reports.plan_text
from reconciler.planning import digest
from reconciler.planning.diff import diff_tenant
from reconciler.planning.plan import Plan, TenantPlan
from reconciler.planning.state import DirectoryObject, TenantSnapshot, UserState

ACME = "acme.example"


def team(name: str, size: int) -> dict[str, object]:
    return tenant(name.title(), {f"u{i:02d}": user(f"u{i:02d}@{name}.example", f"U {i}",
                                                   skus=["M365-BP", "SUPPORT"])
                                 for i in range(size)}, domain=f"{name}.example")


@pytest.fixture
def crowd(repo: SpecRepo) -> SpecRepo:
    # 3 tenants x 4 users, each a create and two assigns: 36 changes.
    repo.commit_specs({"catalog.yaml": CATALOG,
                       **{f"tenants/{n}.yaml": team(n, 4) for n in ("aa", "bb", "cc")}})
    return repo


def test_text_leaves_out_what_does_not_fit_and_says_how_much(crowd: SpecRepo, cli: Cli,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    everything = cli("plan")
    assert everything.code == 0 and "left out" not in everything.out
    assert everything.out.count("+ create") == 12

    monkeypatch.setattr(reports.plan_text, "MAX_CHANGES", 14)
    result = cli("plan", "--detailed-exitcode")
    assert result.code == 2
    out = result.out
    # All of aa (12 changes), two of bb's; the rest counted, the summary still complete.
    assert out.count("  + ") == 14 and "tenant cc" not in out
    assert "  … 10 more changes to this tenant not shown" in out
    assert ("… 22 of 36 changes (in 2 tenants) were left out of the screen; see every change "
            "with --format json, or save the plan with --out FILE") in out
    assert out.rstrip().endswith("Plan: 12 to create, 0 to update, 0 to delete; "
                                 "24 SKUs to assign, 0 to remove.")
    assert out.startswith(everything.out[:everything.out.index("tenant bb")])
    # The JSON plan (and a saved one) still hold every change.
    assert len(Plan.from_json(cli("plan", "--format", "json").out).changes()) == 36


def test_warnings_and_errors_are_never_left_out() -> None:
    def planned(name: str, warning: str | None = None, error: str | None = None) -> TenantPlan:
        desired = {f"u{i}": UserState(upn=f"u{i}@{name}.example", display_name=f"U {i}")
                   for i in range(3)}
        changes, _ = diff_tenant(name, desired, TenantSnapshot(name, ()))
        return TenantPlan(tenant=name, directory="local", provider="local",
                          desired_digest="d", actual_digest=None if error else "a",
                          changes=() if error else changes,
                          warnings=(warning,) if warning else (), error=error)

    plan = Plan(tool_version="t", revision=None, dirty=False, tenants=(
        planned("aa"), planned("bb", warning="bb: look at this"),
        planned("cc", error="directory unreachable"), planned("dd")))
    text = reports.plan_text.render(plan, limit=2)
    assert text.count("  + create") == 2
    assert "tenant bb" in text and "  ! warning: bb: look at this" in text
    assert "tenant cc" in text and "  ! not planned: directory unreachable" in text
    assert "tenant dd" not in text
    assert "… 7 of 9 changes (in 3 tenants) were left out of the screen" in text


def sample_plans() -> list[Plan]:
    odd = UserState(upn="zoë@acme.example", display_name='Zoë "Z" \\ O\'Neil — ✓',
                    given_name="Zoë", skus=frozenset({"M365-BP"}))
    gone = DirectoryObject("obj-1", "old", UserState(upn="old@acme.example",
                                                     display_name="Old"))
    changes, warnings = diff_tenant("acme", {"zoe": odd}, TenantSnapshot("acme", (gone,)))
    full = TenantPlan(tenant="acme", directory="lab", provider="local",
                      desired_digest="sha256:1", actual_digest="sha256:2", changes=changes,
                      warnings=(*warnings, 'a "tenants": [] in a warning'))
    empty = TenantPlan(tenant="bare", directory="lab", provider="local",
                       desired_digest="sha256:3", actual_digest="sha256:4")
    failed = TenantPlan(tenant="down", directory="ad", provider="ldap",
                        desired_digest="sha256:5", actual_digest=None, error="unreachable")
    return [Plan(tool_version="1", revision=None, dirty=False, tenants=()),
            Plan(tool_version="1", revision="a" * 40, dirty=True, tenants=(empty,)),
            Plan(tool_version="1", revision="b" * 40, dirty=False,
                 tenants=(full, empty, failed))]


@pytest.mark.parametrize("index", range(3))
def test_json_pieces_make_exactly_the_plan_document(index: int) -> None:
    plan = sample_plans()[index]
    pieces = list(plan.json_chunks())
    assert len(pieces) == (1 if not plan.tenants else len(plan.tenants) + 2)
    assert "".join(pieces) == plan.model_dump_json(by_alias=True, indent=2) + "\n"
    assert Plan.from_json("".join(pieces)) == plan


def test_json_on_stdout_and_in_a_saved_plan_are_the_same_bytes(crowd: SpecRepo,
                                                               cli: Cli) -> None:
    shown = cli("plan", "--format", "json", "--out", "saved.json")
    saved = Path("saved.json").read_text()
    assert shown.out == saved and json.loads(saved)["schema"] == "tenantry.plan/1"
    assert len(json.loads(saved)["tenants"]) == 3
    assert cli("apply", "saved.json").code == 0  # and apply takes it


names = st.one_of(st.none(), st.text(max_size=8))


@settings(max_examples=80, deadline=None)
@given(users=st.dictionaries(
    st.text(min_size=1, max_size=6),
    st.builds(UserState, upn=st.text(max_size=10), display_name=st.text(max_size=10),
              given_name=names, surname=names, usage_location=names, enabled=st.booleans(),
              skus=st.frozensets(st.text(max_size=4), max_size=3)), max_size=5))
def test_the_digest_template_writes_what_json_dumps_writes(users: dict[str, UserState]
                                                           ) -> None:
    assert digest._text(users) == digest.generic_text(users)
    assert digest.desired_digest(users) == "sha256:" + hashlib.sha256(
        digest.generic_text(users).encode()).hexdigest()
