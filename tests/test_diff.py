"""The pure diff engine (reconciler.diff) and apply ordering, from hand-built states."""

from __future__ import annotations

from dataclasses import replace
from typing import Iterable, Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.planning.apply import ordered
from reconciler.planning.diff import diff_tenant
from reconciler.planning.plan import Action, Change
from reconciler.planning.state import ATTRIBUTES, DirectoryObject, TenantSnapshot, UserState

T = "acme"


def state(upn: str = "al@acme.example", name: str = "Al", *, skus: Iterable[str] = (),
          enabled: bool = True, **extra: str | None) -> UserState:
    return UserState(upn=upn, display_name=name, enabled=enabled, skus=frozenset(skus),
                     **extra)


def obj(oid: str, marker: str | None, s: UserState) -> DirectoryObject:
    return DirectoryObject(oid, marker, s)


def snap(*objects: DirectoryObject) -> TenantSnapshot:
    return TenantSnapshot(T, objects)


def diff(desired: Mapping[str, UserState],
         *objects: DirectoryObject) -> tuple[tuple[Change, ...], tuple[str, ...]]:
    return diff_tenant(T, desired, snap(*objects))


def kinds(changes: Iterable[Change]) -> list[tuple[str, str, str | None]]:
    return [(c.user, c.action.value, c.sku) for c in changes]


def test_create_with_skus_assigns_depend_on_the_create() -> None:
    want = state(skus={"SUPPORT", "M365-BP"}, given_name="Al", usage_location="NZ")
    changes, warnings = diff({"al": want})
    assert warnings == ()
    assert kinds(changes) == [("al", "create", None), ("al", "assign", "M365-BP"),
                              ("al", "assign", "SUPPORT")]
    create, *assigns = changes
    assert create.id == "acme/al/create"
    assert create.before is None and create.object_id is None
    assert create.after == {"upn": "al@acme.example", "display_name": "Al", "given_name": "Al",
                            "surname": None, "usage_location": "NZ", "enabled": True}
    assert list(create.after) == [*ATTRIBUTES, "enabled"]  # display order, as plans print it
    assert all(a.depends_on == create.id and a.object_id is None for a in assigns)
    assert [a.id for a in assigns] == ["acme/al/assign/M365-BP", "acme/al/assign/SUPPORT"]


def test_create_disabled_user_carries_enabled_false() -> None:
    (create,), _ = diff({"al": state(enabled=False)})
    assert create.action is Action.CREATE and create.after is not None
    assert create.after["enabled"] is False


def test_delete_of_a_managed_user_records_everything_it_had() -> None:
    have = state(skus={"M365-BP"}, surname="Smith")
    (change,), warnings = diff({}, obj("oid-1", "al", have))
    assert warnings == ()
    assert change.action is Action.DELETE
    assert (change.id, change.object_id, change.upn) == ("acme/al/delete", "oid-1",
                                                         "al@acme.example")
    assert change.after is None
    assert change.before == {"upn": "al@acme.example", "display_name": "Al",
                             "given_name": None, "surname": "Smith", "usage_location": None,
                             "enabled": True}


def test_identical_states_give_no_changes() -> None:
    s = state(skus={"A", "B"}, given_name="Al", surname="Smith", usage_location="NZ")
    assert diff({"al": s}, obj("o", "al", s)) == ((), ())


@pytest.mark.parametrize(("before", "after", "expected"), [
    pytest.param(state(), state(upn="alan@acme.example"),
                 ({"upn": "al@acme.example"}, {"upn": "alan@acme.example"}), id="rename-upn"),
    pytest.param(state(), state(name="Alan"),
                 ({"display_name": "Al"}, {"display_name": "Alan"}), id="display-name"),
    pytest.param(state(surname="Smith"), state(surname=None),
                 ({"surname": "Smith"}, {"surname": None}), id="clear-surname"),
    pytest.param(state(), state(upn="alan@acme.example", name="Alan", usage_location="AU"),
                 ({"upn": "al@acme.example", "display_name": "Al", "usage_location": None},
                  {"upn": "alan@acme.example", "display_name": "Alan",
                   "usage_location": "AU"}), id="rename-and-more"),
])
def test_update_holds_only_changed_attributes_before_and_after(
        before: UserState, after: UserState,
        expected: tuple[dict[str, str | None], dict[str, str | None]]) -> None:
    (change,), _ = diff({"al": after}, obj("o", "al", before))
    assert change.action is Action.UPDATE
    assert (change.before, change.after) == expected
    assert change.object_id == "o"
    assert change.upn == after.upn  # changes name the user by the UPN it will have


@pytest.mark.parametrize(("was", "want", "action"), [(True, False, Action.DISABLE),
                                                     (False, True, Action.ENABLE)])
def test_enable_and_disable(was: bool, want: bool, action: Action) -> None:
    (change,), _ = diff({"al": state(enabled=want)}, obj("o", "al", state(enabled=was)))
    assert change.action is action
    assert (change.before, change.after) == ({"enabled": was}, {"enabled": want})


def test_sku_moves_remove_and_assign_on_an_existing_user() -> None:
    changes, _ = diff({"al": state(skus={"A", "C"})}, obj("o", "al", state(skus={"A", "B"})))
    assert kinds(changes) == [("al", "remove", "B"), ("al", "assign", "C")]
    assert all(c.object_id == "o" and c.depends_on is None for c in changes)


def test_unmanaged_objects_are_never_changed_or_deleted() -> None:
    stranger = obj("x-1", None, state(upn="stranger@acme.example", skus={"A"}))
    assert diff({}, stranger) == ((), ())
    # Even an unmanaged object that looks exactly like a desired user is not adopted.
    changes, _ = diff({"al": state()}, obj("x-2", None, state(upn="other@acme.example")))
    assert kinds(changes) == [("al", "create", None)]


def test_desired_upn_held_by_an_unmanaged_object_warns() -> None:
    changes, warnings = diff({"al": state(upn="AL@acme.example")},
                             obj("x-9", None, state(upn="al@ACME.example")))
    assert kinds(changes) == [("al", "create", None)]  # still planned: it fails visibly
    (warning,) = warnings
    assert warning.startswith("al: ") and "x-9" in warning and "create will fail" in warning


def test_rename_onto_an_unmanaged_upn_warns() -> None:
    _, warnings = diff({"al": state(upn="taken@acme.example")},
                       obj("o", "al", state()), obj("x-1", None, state(upn="taken@acme.example")))
    (warning,) = warnings
    assert "x-1" in warning and "rename will fail" in warning


def test_projection_ignores_attributes_and_skus_a_directory_does_not_manage() -> None:
    managed = frozenset({"upn", "display_name"})
    provisioned = frozenset({"M365-BP"})
    want = state(skus={"M365-BP", "SUPPORT"}, given_name="Al", usage_location="NZ")
    have = state(skus={"M365-BP"}, given_name="Alfred", usage_location=None)
    assert diff({"al": want.project(managed, provisioned)},
                obj("o", "al", have.project(managed, provisioned))) == ((), ())
    # What is managed still shows: the rename is planned, the given name is not.
    renamed = replace(want, upn="alan@acme.example").project(managed, provisioned)
    (change,), _ = diff({"al": renamed}, obj("o", "al", have.project(managed, provisioned)))
    assert change.after == {"upn": "alan@acme.example"}


def test_projection_never_blanks_the_upn() -> None:
    projected = state(given_name="Al").project(frozenset(), frozenset())
    assert projected.upn == "al@acme.example" and projected.given_name is None
    assert projected.skus == frozenset()


def test_changes_come_in_user_order_whatever_the_input_order() -> None:
    desired = {u: state(upn=f"{u}@acme.example") for u in ("zed", "amy", "kim")}
    changes, _ = diff(desired)
    assert [c.user for c in changes] == ["amy", "kim", "zed"]


# --- a UPN given up by one user and taken by another --------------------------------------

def test_id_change_create_waits_for_the_delete_that_frees_the_upn() -> None:
    changes, warnings = diff({"al2": state(skus={"A"})}, obj("o", "al", state(skus={"A"})))
    assert warnings == ()
    by_id = {c.id: c for c in changes}
    assert by_id["acme/al2/create"].depends_on == "acme/al/delete"
    assert by_id["acme/al2/assign/A"].depends_on == "acme/al2/create"
    assert [c.id for c in ordered(changes)] == ["acme/al/delete", "acme/al2/create",
                                                "acme/al2/assign/A"]


def test_create_waits_for_a_rename_that_frees_the_upn_case_insensitively() -> None:
    changes, _ = diff({"al": state(upn="alan@acme.example"), "bo": state(upn="AL@acme.example")},
                      obj("o", "al", state()))
    create = next(c for c in changes if c.action is Action.CREATE)
    assert create.depends_on == "acme/al/update"
    assert [c.id for c in ordered(changes)] == ["acme/al/update", "acme/bo/create"]


def test_a_case_only_rename_does_not_wait_for_itself() -> None:
    (change,), _ = diff({"al": state(upn="Al@acme.example")}, obj("o", "al", state()))
    assert change.depends_on is None


def test_a_upn_swap_is_not_sequenced_but_warned_about() -> None:
    a, b = "a@acme.example", "b@acme.example"
    changes, warnings = diff({"al": state(upn=b), "bo": state(upn=a)},
                             obj("o1", "al", state(upn=a)), obj("o2", "bo", state(upn=b)))
    assert all(c.depends_on is None for c in changes)
    (warning,) = warnings
    assert warning.startswith("al, bo:") and "swap" in warning


def test_ordered_follows_apply_order_and_keeps_user_order_within_an_action() -> None:
    desired = {"amy": state(upn="amy@acme.example", skus={"A"}),
               "bob": state(upn="bob@acme.example", enabled=False, skus={"B"})}
    have = [obj("1", "bob", state(upn="bob@acme.example", skus={"A"})),
            obj("2", "cat", state(upn="cat@acme.example"))]
    changes, _ = diff(desired, *have)
    assert [(c.user, c.action.value) for c in ordered(changes)] == [
        ("amy", "create"), ("bob", "remove"), ("amy", "assign"), ("bob", "assign"),
        ("bob", "disable"), ("cat", "delete")]


# --- property: applying the ordered changes reaches the desired state --------------------

def _simulate(snapshot: TenantSnapshot, changes: Iterable[Change]) -> TenantSnapshot:
    """A tiny directory: unique UPNs (case-insensitive), depends_on skips, markers."""
    objects = {o.object_id: o for o in snapshot.objects}
    done: dict[str, str] = {}  # change id -> object id, for changes that succeeded
    for change in ordered(list(changes)):
        if change.depends_on is not None and change.depends_on not in done:
            continue
        oid = change.object_id or done.get(change.depends_on or "")
        upns = {o.state.upn.lower(): k for k, o in objects.items()}
        if change.action is Action.CREATE:
            after = change.after or {}
            if str(after["upn"]).lower() in upns:
                continue
            oid = f"new-{change.user}"
            objects[oid] = obj(oid, change.user, UserState(
                upn=str(after["upn"]), display_name=str(after["display_name"]),
                enabled=bool(after["enabled"]),
                **{k: after[k] for k in ATTRIBUTES[2:]}))  # type: ignore[arg-type]
        else:
            assert oid is not None
            s = objects[oid].state
            if change.action is Action.UPDATE:
                new = replace(s, **(change.after or {}))  # type: ignore[arg-type]
                holder = upns.get(new.upn.lower())
                if holder not in (None, oid):
                    continue
                s = new
            elif change.action in (Action.ENABLE, Action.DISABLE):
                s = replace(s, enabled=change.action is Action.ENABLE)
            elif change.action is Action.ASSIGN:
                s = replace(s, skus=s.skus | {change.sku or ""})
            elif change.action is Action.REMOVE:
                s = replace(s, skus=s.skus - {change.sku or ""})
            if change.action is Action.DELETE:
                del objects[oid]
            else:
                objects[oid] = replace(objects[oid], state=s)
        done[change.id] = oid
    return TenantSnapshot(snapshot.tenant, tuple(objects.values()))


_users = st.sampled_from(["al", "bo", "cy", "di"])
_upns = st.sampled_from(["a@x.example", "b@x.example", "c@x.example", "d@x.example",
                         "e@x.example"])
_states = st.builds(
    UserState, upn=_upns, display_name=st.sampled_from(["A", "B"]),
    given_name=st.sampled_from([None, "G"]), enabled=st.booleans(),
    skus=st.frozensets(st.sampled_from(["A", "B", "C"])))


def _unique_upns(users: dict[str, UserState]) -> dict[str, UserState]:
    seen: set[str] = set()
    kept = {}
    for uid, s in sorted(users.items()):
        if s.upn.lower() not in seen:
            seen.add(s.upn.lower())
            kept[uid] = s
    return kept


@settings(max_examples=300, deadline=None)
@given(desired=st.dictionaries(_users, _states, max_size=4),
       actual=st.dictionaries(_users, _states, max_size=4),
       stranger=st.one_of(st.none(), _upns))
def test_one_apply_converges_unless_upns_are_swapped_or_held_by_strangers(
        desired: dict[str, UserState], actual: dict[str, UserState],
        stranger: str | None) -> None:
    desired, actual = _unique_upns(desired), _unique_upns(actual)
    objects = [obj(f"o-{uid}", uid, s) for uid, s in actual.items()]
    if stranger is not None and stranger not in {s.upn for s in actual.values()}:
        objects.append(obj("stranger", None, state(upn=stranger)))
    before = snap(*objects)
    changes, warnings = diff_tenant(T, desired, before)
    after = _simulate(before, changes)
    second, _ = diff_tenant(T, desired, after)
    if not warnings:
        assert second == (), "one apply must converge when the plan carries no warnings"
    # Whatever happened, unmanaged objects are untouched.
    assert [o for o in after.objects if o.marker is None] == \
        [o for o in before.objects if o.marker is None]
