"""Carry an edit out on a tenant file's text, changing only the lines it concerns.

The file is loaded with ruamel.yaml's round-trip loader (comments and key order kept),
edited, and dumped. ruamel re-emits every line in its own layout, though, so a file with
its own spacing (``skus: [A,B]``, aligned values) would come back rewritten everywhere. The
dump is therefore used only to find *which* lines change: the lines that differ between
the dump before and after the edit are patched into the original text, and the result is
checked to read back as the same data as the dump. New lines follow the house style of
``tenantry/specwriter.py`` (SKU lists inline) and the file's own indentation.
"""

from __future__ import annotations

import difflib
import io
import itertools
from collections.abc import Sequence
from typing import Any

import yaml as pyyaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError
from ruamel.yaml.scalarstring import SingleQuotedScalarString

from reconciler.requests.edits import (
    AddUser,
    ChangeSkus,
    Edit,
    EditRefused,
    RemoveUser,
    SetEnabled,
    UpdateUser,
)

# The order keys are written in when tenantry adds them (the order of the spec's example).
USER_KEYS = ("upn", "display_name", "given_name", "surname", "enabled", "usage_location",
             "skus")
_BROKEN = "ask an engineer to fix the file first"


def apply_edit(text: str, edit: Edit) -> str:
    """The file's new text; ``EditRefused`` when the edit does not fit the file."""
    before, yaml, doc = _load(text)
    users = _users(doc, create=isinstance(edit, AddUser))
    if isinstance(edit, AddUser):
        _add(users, edit)
    else:
        user = users.get(edit.user) if users is not None else None
        if not isinstance(user, CommentedMap):
            raise EditRefused(f"there is no user {edit.user!r} in this tenant")
        if isinstance(edit, UpdateUser):
            _update(user, edit)
        elif isinstance(edit, SetEnabled):
            _set_enabled(user, edit)
        elif isinstance(edit, ChangeSkus):
            _change_skus(user, edit)
        else:
            _remove(users, edit)
    return _patch(text, before, _dump(yaml, doc))


# --- loading and dumping ------------------------------------------------------------------

def _yaml(text: str) -> YAML:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line the edit did not touch
    step = _indent_step(text)
    yaml.indent(mapping=step, sequence=step + 2, offset=step)
    yaml.explicit_start = text.lstrip().startswith("---")
    return yaml


def _load(text: str) -> tuple[str, YAML, Any]:
    yaml = _yaml(text)
    try:
        doc = yaml.load(text)
    except YAMLError:
        raise EditRefused(f"the tenant file does not read as YAML; {_BROKEN}") from None
    if not isinstance(doc, CommentedMap):
        raise EditRefused(f"the tenant file is not a mapping of keys; {_BROKEN}")
    return _dump(yaml, doc), yaml, doc


def _dump(yaml: YAML, doc: Any) -> str:
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    return buffer.getvalue()


def _indent_step(text: str) -> int:
    """How far the file indents a nested mapping (2 unless it shows otherwise)."""
    lines = text.splitlines()
    for line, following in itertools.pairwise(lines):
        if line and not line[0].isspace() and line.rstrip().endswith(":"):
            stripped = following.lstrip(" ")
            step = len(following) - len(stripped)
            if stripped and not stripped.startswith(("#", "- ")) and 1 < step <= 8:
                return step
    return 2


def _patch(original: str, before: str, after: str) -> str:
    """``original`` with the lines that differ between ``before`` and ``after`` replaced."""
    orig, old, new = (t.splitlines(keepends=True) for t in (original, before, after))
    if orig == old:
        return after
    where: dict[int, int] = {}  # line of ``before`` -> the same line in ``original``
    for tag, i1, i2, j1, j2 in _opcodes(old, orig):
        # Equal lines, and lines the dump merely re-spaced one for one, correspond.
        if tag == "equal" or (tag == "replace" and i2 - i1 == j2 - j1):
            where.update({i1 + k: j1 + k for k in range(i2 - i1)})
    out = list(orig)
    for tag, i1, i2, j1, j2 in reversed(_opcodes(old, new)):
        if tag == "equal":
            continue
        if i1 == i2:  # pure insertion: after the line before it, or before the line after it
            if i1 - 1 in where:
                start = end = where[i1 - 1] + 1
            elif i1 in where:
                start = end = where[i1]
            else:
                return after
        else:
            span = [where.get(k) for k in range(i1, i2)]
            if None in span or span != list(range(span[0] or 0, (span[0] or 0) + len(span))):
                return after
            start, end = span[0] or 0, (span[-1] or 0) + 1
        out[start:end] = new[j1:j2]
    patched = "".join(out)
    # A patch that does not read back as exactly the edited data is not used.
    try:
        same = pyyaml.load(patched, Loader=pyyaml.CSafeLoader) == \
            pyyaml.load(after, Loader=pyyaml.CSafeLoader)
    except pyyaml.YAMLError:
        same = False
    return patched if same else after


def _opcodes(a: list[str], b: list[str]) -> Sequence[tuple[str, int, int, int, int]]:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()


# --- the edits ----------------------------------------------------------------------------

def _users(doc: CommentedMap, *, create: bool) -> CommentedMap | None:
    users = doc.get("users")
    if users is None:
        if not create:
            return None
        users = CommentedMap()
        doc["users"] = users
    if not isinstance(users, CommentedMap):
        raise EditRefused(f"the tenant file's 'users' is not a mapping; {_BROKEN}")
    return users


def _text(value: str) -> str:
    """Text as a plain scalar where every YAML reader sees text, else quoted: ruamel reads
    YAML 1.2, where ``yes`` is text, but a YAML 1.1 tool would read it as true."""
    try:
        plain = pyyaml.load(value, Loader=pyyaml.CSafeLoader)
    except pyyaml.YAMLError:
        plain = None
    return value if plain == value else SingleQuotedScalarString(value)


def _flow(values: list[str]) -> CommentedSeq:
    seq = CommentedSeq(values)
    seq.fa.set_flow_style()
    return seq


def _put(user: CommentedMap, key: str, value: Any) -> None:
    """Set ``key``; a new key goes where the house order puts it among the others."""
    if key in user:
        user[key] = value
        return
    rank = USER_KEYS.index(key)
    position = len(user)
    for index, existing in enumerate(user):
        if existing in USER_KEYS and USER_KEYS.index(existing) > rank:
            position = index
            break
    user.insert(position, key, value)


def _add(users: CommentedMap | None, edit: AddUser) -> None:
    assert users is not None
    if edit.user in users:
        raise EditRefused(f"there is already a user {edit.user!r} in this tenant; choose "
                          "another user id")
    entry = CommentedMap()
    entry["upn"] = _text(edit.upn)
    entry["display_name"] = _text(edit.display_name)
    if edit.given_name:
        entry["given_name"] = _text(edit.given_name)
    if edit.surname:
        entry["surname"] = _text(edit.surname)
    if not edit.enabled:
        entry["enabled"] = False
    entry["skus"] = _flow(list(edit.skus))
    if users.fa.flow_style() or not users:
        users.fa.set_block_style()
    users[edit.user] = entry


def _update(user: CommentedMap, edit: UpdateUser) -> None:
    changed = False
    for key in ("upn", "display_name", "given_name", "surname"):
        value = getattr(edit, key)
        if value is None or value == user.get(key, ""):
            continue
        if value == "":
            if key in ("upn", "display_name"):
                raise EditRefused(f"the {key.replace('_', ' ')} cannot be empty")
            del user[key]
        else:
            _put(user, key, _text(value))
        changed = True
    if not changed:
        raise EditRefused(f"nothing to change: {edit.user!r} already has these names")


def _set_enabled(user: CommentedMap, edit: SetEnabled) -> None:
    current = user.get("enabled", True)
    if bool(current) == edit.enabled:
        raise EditRefused(f"{edit.user!r} is already {'enabled' if edit.enabled else 'disabled'}")
    if edit.enabled:
        del user["enabled"]  # enabled is the default: the line goes, as a person would do
    else:
        _put(user, "enabled", False)


def _change_skus(user: CommentedMap, edit: ChangeSkus) -> None:
    if not edit.add and not edit.remove:
        raise EditRefused("nothing to change: choose SKUs to add or remove")
    both = sorted(set(edit.add) & set(edit.remove))
    if both:
        raise EditRefused(f"{', '.join(both)}: either add or remove, not both")
    skus = user.get("skus")
    held = [str(s) for s in skus] if isinstance(skus, list) else []
    had = [s for s in edit.add if s in held]
    if had:
        raise EditRefused(f"{edit.user!r} already has {', '.join(had)}")
    missing = [s for s in edit.remove if s not in held]
    if missing:
        raise EditRefused(f"{edit.user!r} does not have {', '.join(missing)}")
    if not isinstance(skus, CommentedSeq):
        _put(user, "skus", _flow([*held, *edit.add]))
        return
    for code in edit.remove:
        skus.remove(code)
    skus.extend(edit.add)


def _remove(users: CommentedMap | None, edit: RemoveUser) -> None:
    assert users is not None
    del users[edit.user]
    if not users:
        users.fa.set_flow_style()  # `users: {}`, not an empty key that reads as null
