"""Write an import into a tenant file: a new file in the usual layout, or a round-trip merge
into the existing one.

The merge goes through ruamel.yaml's round-trip mode with the file's own indentation, and
touches only values that differ: comments, key order, quoting and flow style of untouched
entries survive, so the pull request shows exactly what the directory changed. Users the
directory no longer holds are removed; new users are appended; attributes the directory
does not store are left as the file has them.
"""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from reconciler.planning.importer import ImportedUser, TenantImport
from tenantry import specwriter

OPTIONAL = ("given_name", "surname", "usage_location")
# A line that opens a block: "key:" (or "- key:") with nothing after it but a comment.
_OPENS = re.compile(r"^\s*(- )?[^\s#][^:#]*:\s*(#.*)?$")


def new_file(result: TenantImport, header: dict[str, Any], tenant_usage: str | None) -> str:
    users = {u.uid: _fresh(u, tenant_usage) for u in result.users}
    return specwriter.dump({**header, "users": users})


def merge(text: str, result: TenantImport, tenant_usage: str | None) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a long line nobody touched
    mapping, offset = guess_indent(text)
    yaml.indent(mapping=mapping, sequence=offset + 2, offset=offset)
    doc = yaml.load(text)
    users = doc.get("users")
    if not isinstance(users, CommentedMap):
        users = CommentedMap()
        doc["users"] = users
    wanted = {u.uid: u for u in result.users}
    for uid in [k for k in users if k not in wanted]:
        del users[uid]
    for uid, user in wanted.items():
        entry = users.get(uid)
        if isinstance(entry, CommentedMap):
            _update(entry, user, tenant_usage)
        else:
            users[uid] = specwriter.convert(_fresh(user, tenant_usage))
    out = io.StringIO()
    yaml.dump(doc, out)
    return out.getvalue()


def guess_indent(text: str) -> tuple[int, int]:
    """The file's mapping indent and block-sequence dash offset (default 2 and 2).

    ruamel re-indents the whole document on output, so it must be told the file's own
    style. (``ruamel.yaml.util.load_yaml_guess_indent`` mixes the two up when a file has
    both nested mappings and indented sequences.)
    """
    lines = [line for line in text.splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    mapping = offset = None
    for line, following in itertools.pairwise(lines):
        if not _OPENS.match(line):
            continue
        indent = len(line) - len(line.lstrip())
        key_col = indent + (2 if line.lstrip().startswith("- ") else 0)
        next_col = len(following) - len(following.lstrip())
        if following.lstrip().startswith("- "):
            if offset is None and next_col >= key_col:
                offset = next_col - key_col
        elif mapping is None and next_col > key_col:
            mapping = next_col - key_col
    return mapping or 2, offset if offset is not None else 2


def _fresh(user: ImportedUser, tenant_usage: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"upn": user.upn,
                             "display_name": user.display_name or user.upn.split("@")[0]}
    for name in OPTIONAL:
        value = getattr(user, name)
        if value is not None and not (name == "usage_location" and value == tenant_usage):
            entry[name] = value
    if not user.enabled:
        entry["enabled"] = False
    entry["skus"] = list(user.skus)
    if user.adopt:
        entry["adopt"] = True
    return entry


def _update(entry: CommentedMap, user: ImportedUser, tenant_usage: str | None) -> None:
    _set(entry, "upn", user.upn)
    if "display_name" in user.managed and user.display_name is not None:
        _set(entry, "display_name", user.display_name)
    for name in OPTIONAL:
        if name not in user.managed:
            continue  # the directory does not store it: the file's value stands
        value = getattr(user, name)
        if name == "usage_location" and value == tenant_usage:
            value = None  # the tenant's default covers it
        if value is None:
            entry.pop(name, None)
        else:
            _set(entry, name, value)
    if user.enabled is False or "enabled" in entry:
        _set(entry, "enabled", user.enabled)
    had = list(entry.get("skus") or [])
    if set(had) != set(user.skus):
        kept = [s for s in had if s in user.skus]
        skus = CommentedSeq(kept + [s for s in user.skus if s not in kept])
        skus.fa.set_flow_style()
        entry["skus"] = skus
    if user.adopt:
        _set(entry, "adopt", True)


def _set(entry: CommentedMap, key: str, value: Any) -> None:
    """Assign only when the value differs: an equal value keeps its quoting and comments."""
    if entry.get(key) != value:
        entry[key] = value
