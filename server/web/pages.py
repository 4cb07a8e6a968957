"""The pages people read: sign-in, tenants, a tenant's users, a user, requests."""

from __future__ import annotations

import datetime as dt
import urllib.parse

from fastapi import APIRouter, Request
from starlette.responses import RedirectResponse, Response

from reconciler import requests as rq
from reconciler.errors import UserError
from server.web import session
from server.web.site import (
    PREFIX,
    blocking,
    form_of,
    not_found,
    prefix,
    render,
    require,
    same_site,
    web,
)
from server.web.views import catalog, search, tenant_view, visible_tenant

router = APIRouter(prefix=PREFIX, include_in_schema=False)


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "") -> Response:
    return render(request, "sign_in.html.j2", title="Sign in", next=_local(request, next),
                  error=None)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    same_site(request)  # no signing a browser in to someone else's token from another site
    body = await request.body()
    form = dict(urllib.parse.parse_qsl(body[:4096].decode("utf-8", "replace")))
    token = form.get("token", "").strip()
    info = web(request).tokens.check(token) if token else None
    if info is None:
        return render(request, "sign_in.html.j2", 401, title="Sign in",
                      next=_local(request, form.get("next", "")),
                      error="That token is not valid: it may be mistyped, expired or revoked.")
    response = RedirectResponse(_local(request, form.get("next", "")) or prefix(request) + "/",
                                303)
    session.sign_in(response, request, token, prefix(request))
    return response


@router.post("/sign-out")
async def sign_out(request: Request) -> Response:
    signed = require(request)
    await form_of(request, signed)
    response = RedirectResponse(prefix(request) + "/sign-in", 303)
    session.sign_out(response, request, prefix(request))
    return response


@router.get("/")
async def home(request: Request) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> list[dict[str, object]]:
        commit = site.base()
        return [{"id": t, "name": view.name, "users": len(view.users)}
                for t in site.visible_tenants(signed, commit)
                for view in [tenant_view(site, commit, t)]]
    tenants = await blocking(load)
    if len(tenants) == 1:
        return RedirectResponse(f"{prefix(request)}/tenants/{tenants[0]['id']}", 303)
    return render(request, "home.html.j2", who=signed, title="Tenants", tenants=tenants)


@router.get("/tenants/{tenant}")
async def tenant_page(request: Request, tenant: str, q: str = "") -> Response:
    signed = require(request)
    site = web(request)
    q = q.strip()[:200]

    def load() -> Response:
        commit, view = visible_tenant(site, signed, tenant)
        users = search(view.users, q)
        names = {p.sku: p.name for p in catalog(site, commit)}
        return render(request, "tenant.html.j2", who=signed, title=view.name, tenant=view,
                      tab="users", users=users, q=q, shown=sum(u.match for u in users),
                      seats=sum(len(u.skus) for u in users), product_names=names)
    return await blocking(load)


@router.get("/tenants/{tenant}/users/new")
async def add_user_page(request: Request, tenant: str) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> Response:
        commit, view = visible_tenant(site, signed, tenant)
        return render(request, "add_user.html.j2", who=signed, title="Add a user",
                      tenant=view, tab="add", catalog=catalog(site, commit), findings=(),
                      refused=None, errors={}, values={"skus": [], "disabled": False})
    return await blocking(load)


@router.get("/tenants/{tenant}/users/{user}")
async def user_page(request: Request, tenant: str, user: str) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> Response:
        commit, view = visible_tenant(site, signed, tenant)
        found = view.user(user)
        if found is None:
            raise not_found()
        values = {"upn": found.upn, "display_name": found.display_name,
                  "given_name": found.given_name, "surname": found.surname,
                  "skus": list(found.skus)}
        return render(request, "user.html.j2", who=signed, title=found.display_name,
                      tenant=view, tab="users", user=found, catalog=catalog(site, commit),
                      findings=(), refused=None, errors={}, values=values, op=None)
    return await blocking(load)


@router.get("/tenants/{tenant}/requests")
async def requests_page(request: Request, tenant: str) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> Response:
        _, view = visible_tenant(site, signed, tenant)
        found = [r for r in rq.list_requests(site.repo, site.base_branch())
                 if r.tenant == tenant]
        rows = [{"number": r.number, "subject": r.subject, "author": r.author,
                 "merged": r.merged, "when": _when(r.created)} for r in reversed(found)]
        return render(request, "requests.html.j2", who=signed, title="Change requests",
                      tenant=view, tab="requests", requests=rows)
    return await blocking(load)


@router.get("/tenants/{tenant}/requests/{number}")
async def request_page(request: Request, tenant: str, number: int) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> Response:
        commit = site.base()
        site.check_tenant(signed, tenant, commit)
        try:
            found = rq.find_request(site.repo, number, site.base_branch())
        except UserError:
            raise not_found() from None
        if found.tenant != tenant:
            raise not_found()
        outcome = site.outcomes.get(number)
        return render(request, "submitted.html.j2", who=signed, title=f"Request #{number}",
                      tenant=tenant_view(site, commit, tenant), tab="requests",
                      req=found, pull_request=outcome.pull_request if outcome else None,
                      forge_error=outcome.forge_error if outcome else None)
    return await blocking(load)


def _local(request: Request, target: str) -> str:
    """Only a path of these pages may be returned to after signing in (no open redirect)."""
    base = prefix(request) + "/"
    parts = urllib.parse.urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(base) or "\\" in target:
        return ""
    return target


def _when(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
