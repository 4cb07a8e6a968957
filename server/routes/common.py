"""What every router shares: the app's services, query parameters, and the answer pattern
(resolve the revision, ETag, 304 or a cached or fresh body)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import Depends, Query, Request
from starlette.responses import Response

from server import http
from server.auth import Principal
from server.engine import Engine
from server.http import Bodies, Body, Paging
from server.models import Error
from server.params import REV_HELP, REV_PATTERN, BadRequest
from server.settings import Settings


@dataclass(frozen=True)
class Services:
    settings: Settings
    engine: Engine
    bodies: Bodies


async def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


Svc = Annotated[Services, Depends(services)]


Rev = Annotated[str | None, Query(
    max_length=220, description=f"Revision: {REV_HELP}. Default HEAD.",
    json_schema_extra={"pattern": f"^{REV_PATTERN}$"})]
Format = Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")]
Limit = Annotated[int | None, Query(ge=1, description="Items per page (JSON: default 1000, "
                                                      "at most 10000; CSV: default all).")]
Offset = Annotated[int, Query(ge=0, le=10**9, description="Items to skip (see `next`).")]

ERRORS: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the If-None-Match ETag is current."},
    400: {"description": "A bad parameter (revision, span, format, paging).",
          "model": Error},
    401: {"description": "Missing, unknown, revoked or expired token.", "model": Error},
    422: {"description": "The specs at that revision cannot be read or billed.",
          "model": Error},
}

REVISION_HEADERS = {
    "ETag": {"description": "Changes whenever the body would.", "schema": {"type": "string"}},
    http.REVISION_HEADER: {"description": "The commit the response was computed at.",
                           "schema": {"type": "string"}},
}


async def known_query(request: Request) -> None:
    """Refuse unknown or repeated query parameters: ``?peroid=2026-10`` must not quietly
    bill the default span instead."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    allowed = _query_names(dependant)
    seen: set[str] = set()
    for name, _ in request.query_params.multi_items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise BadRequest(f"unknown parameter {name!r}; this endpoint takes: {known}")
        if name in seen:
            raise BadRequest(f"{name} is given more than once")
        seen.add(name)


def _query_names(dependant: Any) -> frozenset[str]:
    names = {field.alias for field in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return frozenset(names)


def paging(svc: Services, fmt: str, limit: int | None, offset: int) -> Paging:
    if limit is not None and limit > svc.settings.page_max:
        raise BadRequest(f"limit {limit}: at most {svc.settings.page_max} per page; follow "
                         "`next` for more")
    if limit is None and fmt == "json":
        limit = svc.settings.page_default
    return Paging(offset, limit)


def answer(request: Request, svc: Services, principal: Principal, revision: str,
           key: dict[str, Any], render: Callable[[], Body]) -> Response:
    """304, or the body for ``key`` (rendered once per ETag)."""
    tag = http.etag({**key, "code": svc.settings.fingerprint, "scope": str(principal.scope),
                     "root": svc.settings.root_path, "revision": revision})
    if http.matches(request, tag):
        return http.not_modified(tag, revision)
    return http.respond(svc.bodies.get(tag, render), tag, revision)
