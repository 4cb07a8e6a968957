"""A tenant's users and seats at a moment (the data of ``tenantry show``) and the change
history of a tenant or a user (``tenantry log``), for the token's tenants only.

Both answer 404 for a tenant outside the token's scope, exactly as for one that does not
exist. Scopes are read at the tip the request names (``rev``, the B of ``range``, or HEAD).
A scoped token gets no apply notes (an apply covers every tenant it planned) and no commit
subjects (free text, which may name other customers); the pull-request number stays.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from reconciler.changes.logrun import ChangeLog, run_log
from reconciler.changes.showrun import run_show
from reconciler.errors import UserError
from reconciler.specs.fields import ID_PATTERN
from reports import log_json, show_csv, show_json
from server import http
from server.auth import Authenticated, NotFound, Principal, sees
from server.models import Error
from server.params import REV_PATTERN, BadRequest, check_range
from server.routes.common import ERRORS, REVISION_HEADERS, Format, Rev, Services, Svc, answer
from server.scope import ALL

router = APIRouter(tags=["history"])

USERS_PATH = "/v1/tenants/{tenant}/users"
TENANT_LOG_PATH = "/v1/tenants/{tenant}/history"
USER_LOG_PATH = "/v1/tenants/{tenant}/users/{user}/history"
_ID = re.compile(ID_PATTERN)
_AT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9]{2}:[0-9]{2}(:[0-9]{2})?"
                 r"(Z|[+-][0-9]{2}:[0-9]{2})?)?")

TenantId = Annotated[str, Path(max_length=63, description="Tenant id.")]
UserId = Annotated[str, Path(max_length=63, description="User id.")]
At = Annotated[str | None, Query(max_length=25, description=(
    "A day (YYYY-MM-DD: its last state, in the billing time zone) or an instant "
    "(2026-10-03T09:30, 2026-10-03T09:30+13:00). Not with `rev`."),
    json_schema_extra={"pattern": f"^{_AT.pattern}$"})]
Range = Annotated[str | None, Query(max_length=450, description="Only commits in A..B.",
                                    json_schema_extra={"pattern":
                                                       f"^{REV_PATTERN}[.][.]({REV_PATTERN})?$"})]
NOT_FOUND: dict[int | str, dict[str, Any]] = {404: {"description": "No such tenant or user then, or not one the token may see.",
                   "model": Error}}


def _visible_tenant(svc: Services, principal: Principal, tenant: str, tip: str) -> None:
    if not _ID.fullmatch(tenant):
        raise NotFound(f"no tenant {tenant!r} at {tip[:12]}")
    if principal.scope.kind != ALL:
        terms = svc.engine.ledger(tip).terms
        if not sees(principal, terms).sees_tenant(tenant):
            raise NotFound(f"no tenant {tenant!r} at {tip[:12]}")


def _found(call: Callable[[], Any]) -> Any:
    """The engine's 'no such tenant/user then' errors are 404s here."""
    try:
        return call()
    except UserError as exc:
        raise NotFound(str(exc)) from None


@router.get(USERS_PATH, summary="Users and seats of a tenant at a revision or a date",
            response_model=None,
            responses={200: {"description": "tenantry.show/1 (the data of `tenantry show`)",
                             "headers": REVISION_HEADERS,
                             "content": {"application/json": {"schema": {"type": "object"}},
                                         "text/csv": {"schema": {"type": "string"}}}},
                       **NOT_FOUND, **ERRORS})
def users(request: Request, tenant: TenantId, principal: Authenticated, svc: Svc,
          rev: Rev = None, at: At = None,
          format: Format = "json") -> Response:
    """`tenantry show TENANT --rev REV | --at DATE` as JSON (`tenantry.show/1`), or CSV with
    one row per seat: tenant, tenant_name, user, upn, display_name, sku, commit."""
    if at is not None and (rev is not None or not _AT.fullmatch(at)):
        raise BadRequest("at: give a day (2026-10-03) or an instant (2026-10-03T09:30), "
                         "and not together with rev")
    tip = svc.engine.resolve_rev(rev)
    _visible_tenant(svc, principal, tenant, tip)
    scoped = principal.scope.kind != ALL

    def render() -> http.Body:
        # With `at`, show reads HEAD itself: a push in between shows the newer tip's view of
        # that moment, which differs only if the push is dated before it.
        snapshot = _found(lambda: run_show(svc.engine.repo, svc.engine.specs_rel,
                                           tenant=tenant, rev=tip if at is None else None,
                                           at=at, cache_dir=svc.settings.cache_dir))
        if scoped:
            snapshot = dataclasses.replace(snapshot, warnings=())
        if format == "csv":
            return http.Body(show_csv.render(snapshot).encode(), http.CSV)
        doc = show_json.document(snapshot)
        doc["asked"] = at or rev or "HEAD"
        return http.Body(http.dumps(doc), http.JSON)

    key = {"path": USERS_PATH, "tenant": tenant, "at": at, "format": format}
    return answer(request, svc, principal, tip, key, render)


def _log(request: Request, svc: Services, principal: Principal, tenant: str,
         user: str | None, span: str | None, path: str) -> Response:
    base, tip_name = None, None
    if span is not None:
        base, tip_name = check_range(span)
    tip = svc.engine.resolve_rev(tip_name or None)
    base_sha = svc.engine.resolve_rev(base) if base else None
    _visible_tenant(svc, principal, tenant, tip)
    scoped = principal.scope.kind != ALL
    target = f"{tenant}/{user}" if user else tenant

    def render() -> http.Body:
        pinned = f"{base_sha}..{tip}" if base_sha else None
        log: ChangeLog = _found(lambda: run_log(svc.engine.repo, svc.engine.specs_rel,
                                                target=target, commit_range=pinned,
                                                cache_dir=svc.settings.cache_dir))
        if scoped:
            log = dataclasses.replace(log, entries=tuple(
                dataclasses.replace(e, subject="", notes=(), applied=None, warnings=())
                for e in log.entries))
        doc = log_json.document(log)
        doc["range"] = span
        return http.Body(http.dumps(doc), http.JSON)

    key = {"path": path, "tenant": tenant, "user": user, "base": base_sha}
    return answer(request, svc, principal, tip, key, render)


LOG_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "tenantry.log/1 (the data of `tenantry log`)", "headers":
          REVISION_HEADERS, "content": {"application/json": {"schema": {"type": "object"}}}},
    **NOT_FOUND, **ERRORS}


@router.get(TENANT_LOG_PATH, summary="Change history of a tenant", response_model=None,
            responses=LOG_RESPONSES)
def tenant_history(request: Request, tenant: TenantId, principal: Authenticated, svc: Svc,
                   range: Range = None) -> Response:
    """`tenantry log TENANT [A..B]`: every first-parent commit that changed the tenant,
    newest first: date, author, pull request, what changed, and the apply that carried it
    out."""
    return _log(request, svc, principal, tenant, None, range, TENANT_LOG_PATH)


@router.get(USER_LOG_PATH, summary="Change history of a user", response_model=None,
            responses=LOG_RESPONSES)
def user_history(request: Request, tenant: TenantId, user: UserId, principal: Authenticated,
                 svc: Svc, range: Range = None) -> Response:
    """`tenantry log TENANT/USER [A..B]`."""
    return _log(request, svc, principal, tenant, user, range, USER_LOG_PATH)
