"""Tenants at a revision: id, name, reseller and billing settings (as billing reads them)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from starlette.responses import Response

from reconciler.billing.run import Ledger
from reports.bill_flat import to_csv
from server import http
from server.auth import Authenticated, NotFound, sees
from server.models import Page, Tenant, TenantDocument
from server.routes.common import (
    ERRORS,
    REVISION_HEADERS,
    Format,
    Limit,
    Offset,
    Rev,
    Svc,
    answer,
    paging,
)
from server.scope import Visibility

router = APIRouter(tags=["tenants"])

LIST_PATH = "/v1/tenants"
CSV_COLUMNS = ("id", "name", "reseller", "billing_start", "billing_end", "billing_exclude")


def tenant_records(ledger: Ledger, seen: Visibility) -> list[dict[str, Any]]:
    """Tenants whose file exists at the revision, each from its last valid version there."""
    history = ledger.history
    out = []
    for tenant in sorted(history.present):
        record = history.last_record.get(tenant)
        if record is None or not seen.sees_tenant(tenant):
            continue  # never valid yet, or outside the scope
        out.append({"id": tenant, "name": record.name, "reseller": record.reseller,
                    "billing_start": record.start.isoformat() if record.start else None,
                    "billing_end": record.end.isoformat() if record.end else None,
                    "billing_exclude": record.exclude})
    return out


@router.get(LIST_PATH, summary="Tenants at a revision", response_model=None,
            responses={200: {"model": Page[Tenant], "headers": REVISION_HEADERS,
                             "content": {"text/csv": {"schema": {"type": "string"}}}},
                       **ERRORS})
def list_tenants(request: Request, principal: Authenticated, svc: Svc, rev: Rev = None,
                 format: Format = "json", limit: Limit = None, offset: Offset = 0) -> Response:
    """Every tenant the token may see, sorted by id. CSV columns: id, name, reseller,
    billing_start, billing_end, billing_exclude."""
    sha = svc.engine.resolve_rev(rev)
    page = paging(svc, format, limit, offset)

    def render() -> http.Body:
        ledger = svc.engine.ledger(sha)
        records = tenant_records(ledger, sees(principal, ledger.terms))
        items = page.cut(records)
        after = page.next_offset(len(records))
        next_link = None if after is None else http.link(
            svc.settings.root_path + LIST_PATH,
            {"rev": sha, "format": format if format != "json" else None,
             "limit": page.limit, "offset": after})
        if format == "csv":
            return http.Body(to_csv(CSV_COLUMNS, items).encode(), http.CSV,
                             next_link)
        return http.Body(http.dumps({"revision": sha, "count": len(records),
                                     "offset": page.offset, "limit": page.limit,
                                     "next": next_link, "items": list(items)}),
                         http.JSON, next_link)

    key = {"path": LIST_PATH, "format": format, "limit": page.limit, "offset": offset}
    return answer(request, svc, principal, sha, key, render)


@router.get(LIST_PATH + "/{tenant}", summary="One tenant at a revision", response_model=None,
            responses={200: {"model": TenantDocument, "headers": REVISION_HEADERS},
                       404: {"description": "No such tenant at that revision, or not one "
                                            "the token may see.",
                             "model": ERRORS[400]["model"]},
                       **ERRORS})
def get_tenant(request: Request, tenant: Annotated[str, Path(max_length=63)],
               principal: Authenticated, svc: Svc, rev: Rev = None) -> Response:
    sha = svc.engine.resolve_rev(rev)
    ledger = svc.engine.ledger(sha)
    found = [r for r in tenant_records(ledger, sees(principal, ledger.terms))
             if r["id"] == tenant]
    if not found:
        raise NotFound(f"no tenant {tenant!r} at {sha[:12]}")

    def render() -> http.Body:
        return http.Body(http.dumps({"revision": sha, "tenant": found[0]}), http.JSON)

    return answer(request, svc, principal, sha, {"path": LIST_PATH, "tenant": tenant}, render)
