"""The two posts behind every form: check (validate, price, confirm) and submit.

Both read the tenant at the tip of the base branch, carry the edit out and check it with the
validator; a submit checks again (the specs may have moved since the confirm page), and only
a change without findings becomes a commit. Either post for a tenant the token may not see
is a 404 before anything is read or written.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from reconciler import requests as rq
from reconciler.errors import UserError
from server.web.forms import hidden_fields, to_edit
from server.web.pricing import price_change
from server.web.site import PREFIX, Web, Who, blocking, form_of, prefix, render, require, web
from server.web.views import TenantView, catalog, visible_tenant

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.post("/tenants/{tenant}/changes/check")
async def check(request: Request, tenant: str) -> Response:
    signed = require(request)
    form, skus = await form_of(request, signed)
    site = web(request)

    def work() -> Response:
        prepared = _prepare(request, site, signed, tenant, form, skus)
        if isinstance(prepared, Response):
            return prepared
        view, edit, draft = prepared
        price, pending = price_change(site, draft, signed)
        back = f"{prefix(request)}/tenants/{tenant}" + (
            "/users/new" if edit.user not in view.spec.users else f"/users/{edit.user}")
        return render(request, "confirm.html.j2", who=signed, title="Confirm the change",
                      tenant=view, tab="users", summary=draft.subject, price=price,
                      price_pending=pending, back=back,
                      hidden=hidden_fields({**form, "user": edit.user}, skus))
    return await blocking(work)


@router.post("/tenants/{tenant}/changes")
async def submit(request: Request, tenant: str) -> Response:
    signed = require(request)
    form, skus = await form_of(request, signed)
    site = web(request)

    def work() -> Response:
        prepared = _prepare(request, site, signed, tenant, form, skus)
        if isinstance(prepared, Response):
            return prepared
        _, _, draft = prepared
        price, _ = price_change(site, draft)
        notes = f"Monthly charge for {tenant}: {price.before} -> {price.after} " \
                f"{price.currency} ({price.delta})." if price else ""
        requester = rq.Requester(signed.name, signed.principal.token.id)
        outcome = rq.publish(site.repo, draft, requester, site.requests,
                             site.base_branch(), notes=notes)
        site.outcomes[outcome.submitted.number] = outcome
        return RedirectResponse(f"{prefix(request)}/tenants/{tenant}/requests/"
                                f"{outcome.submitted.number}", 303)
    return await blocking(work)


def _prepare(request: Request, site: Web, signed: Who, tenant: str, form: dict[str, str],
             skus: list[str]) -> Response | tuple[TenantView, rq.Edit, rq.Draft]:
    """Both posts start alike: the tenant at the tip of the base branch (404 outside the
    token's scope), the edit carried out and validated. A refused or invalid edit is the
    form again, as a 422; otherwise the tenant's view, the edit and its draft."""
    commit, view = visible_tenant(site, signed, tenant)
    try:
        edit = to_edit(form, skus, view.spec)
        draft = site.locked(lambda: rq.prepare(site.repo, site.specs_rel, commit, tenant,
                                               edit, cache=site.cache))
    except UserError as exc:
        return _form_again(request, site, signed, view, commit, form, skus, (), str(exc))
    if not draft.ok:
        return _form_again(request, site, signed, view, commit, form, skus,
                           draft.findings, None)
    return view, edit, draft


def _form_again(request: Request, site: Web, signed: Who, view: TenantView, commit: str,
                form: dict[str, str], skus: list[str], findings: Any,
                refused: str | None) -> Response:
    """The form the post came from, with what is wrong, as a 422: nothing was written."""
    op = form.get("op", "")
    errors = {f.field: f.message for f in findings if f.field}
    values: dict[str, Any] = {k: form.get(k, "") for k in
                              ("user", "upn", "display_name", "given_name", "surname")}
    values["skus"] = skus
    values["disabled"] = bool(form.get("disabled"))
    products = catalog(site, commit)
    if op == "add-user" or form.get("user") not in view.spec.users:
        return render(request, "add_user.html.j2", 422, who=signed, title="Add a user",
                      tenant=view, tab="add", catalog=products, findings=findings,
                      refused=refused, errors=errors, values=values)
    user = view.user(form["user"])
    current = {"upn": user.upn, "display_name": user.display_name,
               "given_name": user.given_name, "surname": user.surname,
               "skus": list(user.skus)} if user else {}
    shown = {**current, **({k: v for k, v in values.items() if k in current}
                           if op in ("update-user", "change-skus") else {})}
    if op != "change-skus":
        shown["skus"] = current.get("skus", [])
    return render(request, "user.html.j2", 422, who=signed, title=user.display_name
                  if user else "User", tenant=view, tab="users", user=user, catalog=products,
                  findings=findings, refused=refused, errors=errors, values=shown, op=op)
