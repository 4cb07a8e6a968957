"""Edits carried out on a tenant file's text: only the lines an edit concerns change, and
comments, order and the file's own spacing survive."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest
import yaml
from reqhelp import CONTOSO

from reconciler.requests import (
    AddUser,
    ChangeSkus,
    EditRefused,
    RemoveUser,
    SetEnabled,
    UpdateUser,
    build,
)
from reconciler.requests.yamledit import apply_edit

REPO = Path(__file__).resolve().parents[2]


def changed(before: str, after: str) -> list[str]:
    """The diff's changed lines, '-old' / '+new', without context."""
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(),
                                                  lineterm="", n=0)
            if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_adding_a_user_appends_exactly_its_lines_in_house_style() -> None:
    after = apply_edit(CONTOSO, AddUser("zed", "zed@contoso.example", "Zed Zulu",
                                        skus=("M365-BP", "SUPPORT")))
    assert changed(CONTOSO, after) == ["+  zed:", "+    upn: zed@contoso.example",
                                       "+    display_name: Zed Zulu",
                                       "+    skus: [M365-BP, SUPPORT]"]
    assert after.startswith(CONTOSO)


def test_a_rename_changes_its_lines_and_no_other_spacing() -> None:
    after = apply_edit(CONTOSO, UpdateUser("bob", upn="robert@contoso.example",
                                           display_name="Robert Jones", given_name="Robert"))
    # bob's upn line is rewritten (in ruamel's spacing); alice's aligned line is untouched.
    assert changed(CONTOSO, after) == [
        "-    upn:          bob@contoso.example", "-    display_name: Bob Jones",
        "-    given_name:   Bob", "+    upn: robert@contoso.example",
        "+    display_name: Robert Jones", "+    given_name: Robert"]
    assert "    upn:          alice@contoso.example   # she asked for this one" in after


def test_a_missing_name_is_inserted_in_house_order_and_an_empty_one_removed() -> None:
    after = apply_edit(CONTOSO, UpdateUser("alice", surname="Smith"))
    assert changed(CONTOSO, after) == ["+    surname: Smith"]
    lines = after.splitlines()
    assert lines[lines.index("    surname: Smith") - 1] == "    display_name: Alice Smith"
    removed = apply_edit(CONTOSO, UpdateUser("bob", given_name=""))
    assert changed(CONTOSO, removed) == ["-    given_name:   Bob"]


def test_enable_removes_the_line_and_disable_adds_it_before_skus() -> None:
    assert changed(CONTOSO, apply_edit(CONTOSO, SetEnabled("bob", True))) == \
        ["-    enabled: false"]
    after = apply_edit(CONTOSO, SetEnabled("alice", False))
    assert changed(CONTOSO, after) == ["+    enabled: false"]
    assert "    enabled: false\n    skus: [M365-BP,SUPPORT]" in after


def test_sku_changes_rewrite_only_that_list() -> None:
    after = apply_edit(CONTOSO, ChangeSkus("alice", add=("EXO-P1",), remove=("SUPPORT",)))
    assert changed(CONTOSO, after) == ["-    skus: [M365-BP,SUPPORT]",
                                       "+    skus: [M365-BP, EXO-P1]"]


def test_removing_a_user_takes_its_leading_comment_and_keeps_the_others() -> None:
    after = apply_edit(CONTOSO, RemoveUser("bob"))
    assert changed(CONTOSO, after) == [
        "-  # Bob runs the warehouse.", "-  bob:", "-    upn:          bob@contoso.example",
        "-    display_name: Bob Jones", "-    given_name:   Bob", "-    enabled: false",
        "-    skus: [EXO-P1]"]
    assert "# Contoso Ltd: managed since 2026." in after and "# The owner; never remove." \
        in after


def test_last_user_removed_leaves_an_empty_mapping_not_null() -> None:
    text = "name: X\nusers:\n  a:\n    upn: a@x.example\n    display_name: A\n"
    after = apply_edit(text, RemoveUser("a"))
    assert yaml.safe_load(after) == {"name": "X", "users": {}}


def test_users_added_to_a_file_without_users_or_with_an_empty_flow_mapping() -> None:
    for text in ("name: X\n", "name: X\nusers: {}\n", "name: X\nusers:\n"):
        after = apply_edit(text, AddUser("a", "a@x.example", "A", skus=("SUPPORT",)))
        assert after == "name: X\nusers:\n  a:\n    upn: a@x.example\n    display_name: A\n" \
                        "    skus: [SUPPORT]\n", text


def test_text_that_another_yaml_reader_would_not_read_as_text_is_quoted() -> None:
    after = apply_edit("name: X\n", AddUser("a", "a@x.example", "yes", surname="2026-01-01",
                                            given_name="No: really #1"))
    assert yaml.safe_load(after)["users"]["a"] == {
        "upn": "a@x.example", "display_name": "yes", "given_name": "No: really #1",
        "surname": "2026-01-01", "skus": []}


def test_four_space_files_stay_four_space() -> None:
    text = "name: X\nusers:\n    a:\n        upn: a@x.example\n        display_name: A\n"
    after = apply_edit(text, AddUser("b", "b@x.example", "B"))
    assert after == text + "    b:\n        upn: b@x.example\n        display_name: B\n" \
                           "        skus: []\n"


@pytest.mark.parametrize("edit, message", [
    (AddUser("alice", "x@contoso.example", "X"), "already a user 'alice'"),
    (UpdateUser("nobody", upn="n@contoso.example"), "no user 'nobody'"),
    (UpdateUser("alice", display_name="Alice Smith"), "nothing to change"),
    (UpdateUser("alice", upn=""), "cannot be empty"),
    (SetEnabled("alice", True), "already enabled"),
    (SetEnabled("bob", False), "already disabled"),
    (ChangeSkus("alice", add=("M365-BP",)), "already has M365-BP"),
    (ChangeSkus("alice", remove=("EXO-P1",)), "does not have EXO-P1"),
    (ChangeSkus("alice", add=("X",), remove=("X",)), "either add or remove"),
    (ChangeSkus("alice"), "nothing to change"),
    (RemoveUser("nobody"), "no user 'nobody'"),
])
def test_edits_that_do_not_fit_are_refused_in_words(edit: object, message: str) -> None:
    with pytest.raises(EditRefused, match=message):
        apply_edit(CONTOSO, edit)  # type: ignore[arg-type]


def test_a_broken_file_is_refused_not_rewritten() -> None:
    with pytest.raises(EditRefused, match="does not read as YAML"):
        apply_edit("name: [unclosed\n", RemoveUser("a"))
    with pytest.raises(EditRefused, match="not a mapping"):
        apply_edit("- a\n- b\n", RemoveUser("a"))


def test_every_example_tenant_survives_an_edit_byte_for_byte_elsewhere() -> None:
    for path in sorted((REPO / "specs/tenants").glob("*.yaml")):
        text = path.read_text()
        after = apply_edit(text, AddUser("newbie", "newbie@example.net", "New Bie",
                                         skus=("SUPPORT",)))
        assert after.startswith((text, text.rstrip("\n"))), path.name
        assert len(changed(text, after)) == 4, path.name


def test_build_takes_loose_input() -> None:
    edit = build("add-user", " zed ", {"upn": " zed@x.example ", "display_name": "Zed",
                                       "given_name": "", "skus": ["m365-bp", "M365-BP", " "]})
    assert edit == AddUser("zed", "zed@x.example", "Zed", None, None, ("M365-BP",))
    assert build("update-user", "a", {"given_name": ""}) == UpdateUser("a", given_name="")
    with pytest.raises(Exception, match="unknown change"):
        build("drop-table", "a", {})
    with pytest.raises(Exception, match="add-user needs upn, display_name"):
        build("add-user", "a", {})
