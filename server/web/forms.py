"""Form posts to edits: what the pages send, turned into the edit a request carries.

The pages send desired states where that is what people think in (the products a user
should hold, names as they should read); the edit is the difference from the tenant file
at the base, so two people's requests touch only what each of them changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from reconciler.requests import ChangeSkus, Edit, EditRefused, UpdateUser, build
from reconciler.specs import TenantSpec

FIELDS = ("op", "user", "upn", "display_name", "given_name", "surname", "enabled", "disabled")
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")


def to_edit(form: Mapping[str, str], skus: Sequence[str], spec: TenantSpec) -> Edit:
    """The edit a form asks for, against ``spec`` (the tenant at the base)."""
    op = form.get("op", "")
    user = (form.get("user") or "").strip()
    if op == "add-user":
        upn = (form.get("upn") or "").strip()
        return build(op, user or derive_id(upn, spec), {
            "upn": upn, "display_name": form.get("display_name", ""),
            "given_name": form.get("given_name"), "surname": form.get("surname"),
            "skus": list(skus), "enabled": not form.get("disabled")})
    current = spec.users.get(user)
    if current is None:
        raise EditRefused(f"there is no user {user!r} in this tenant")
    if op == "update-user":
        values = {k: (form.get(k) or "").strip()
                  for k in ("upn", "display_name", "given_name", "surname")}
        edit = build(op, user, values)
        assert isinstance(edit, UpdateUser)
        return edit
    if op == "change-skus":
        wanted = [s.strip().upper() for s in skus if s.strip()]
        add = tuple(s for s in dict.fromkeys(wanted) if s not in current.skus)
        remove = tuple(s for s in current.skus if s not in wanted)
        return ChangeSkus(user, add, remove)
    if op == "set-enabled":
        return build(op, user, {"enabled": form.get("enabled") == "true"})
    return build(op, user, {})


def derive_id(upn: str, spec: TenantSpec) -> str:
    """A user id from the UPN's local part (``Jo.Bloggs@x`` -> ``jo.bloggs``), made unique
    in the tenant with a number."""
    local = _ID_CHARS.sub("-", upn.partition("@")[0].lower()).strip("-._")[:56] or "user"
    candidate, n = local, 2
    while candidate in spec.users:
        candidate, n = f"{local}-{n}", n + 1
    return candidate


def hidden_fields(form: Mapping[str, str], skus: Sequence[str]) -> list[tuple[str, str]]:
    """The posted fields, to carry from the confirm page to the submit."""
    pairs = [(k, form[k]) for k in FIELDS if form.get(k) is not None]
    return pairs + [("skus", s) for s in skus]
