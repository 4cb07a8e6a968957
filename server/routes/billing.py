"""Billing: the SPEC §6.5 report, its flat views, and the HTML page, cut to the token's scope.

The span is given at most one way: ``period=YYYY-MM``, ``from=D1&to=D2`` (inclusive), or
``range=A..B`` (the days after A's day up to B's); without one, the period containing today,
up to today. ``rev`` bills as of an older revision (not with ``range``: B is the revision).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from reconciler.billing.report import BillReport
from reconciler.billing.run import Revisions
from reports import TEMPLATES_ENV, bill_flat, bill_json
from server import http
from server.auth import Authenticated, Principal
from server.models import (
    BillPage,
    CustomerRow,
    InvoiceRow,
    LineRow,
    QuantityRow,
    StatementRow,
)
from server.models import BillReport as BillReportModel
from server.params import REV_PATTERN, BillingQuery, billing_query
from server.routes.common import (
    ERRORS,
    REVISION_HEADERS,
    Format,
    Limit,
    Offset,
    Rev,
    Services,
    Svc,
    answer,
    paging,
)

router = APIRouter(tags=["billing"])

REPORT_PATH = "/v1/billing"
HTML_PATH = "/v1/billing.html"
VIEW_MODELS: dict[str, type[BaseModel]] = {
    "lines": LineRow, "customers": CustomerRow, "invoices": InvoiceRow,
    "statements": StatementRow, "quantities": QuantityRow,
}

DATE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Period = Annotated[str | None, Query(max_length=7, description="A billing period, YYYY-MM.",
                                     json_schema_extra={"pattern": r"^[0-9]{4}-[0-9]{2}$"})]
From = Annotated[str | None, Query(alias="from", max_length=10,
                                   description="First day, YYYY-MM-DD (with `to`).",
                                   json_schema_extra={"pattern": DATE})]
To = Annotated[str | None, Query(alias="to", max_length=10, description="Last day, inclusive.",
                                 json_schema_extra={"pattern": DATE})]
Range = Annotated[str | None, Query(
    max_length=450, description="A..B: the days after A's day up to B's.",
    json_schema_extra={"pattern": f"^{REV_PATTERN}[.][.]({REV_PATTERN})?$"})]


async def billing_params(rev: Rev = None, period: Period = None, start: From = None, end: To = None,
                         range: Range = None) -> BillingQuery:
    return billing_query(rev, period, start, end, range)


Span = Annotated[BillingQuery, Depends(billing_params)]


class Billed:
    """One request's resolved span and, on demand, the bill cut to the token's scope."""

    def __init__(self, svc: Services, principal: Principal, query: BillingQuery) -> None:
        self.svc, self.principal, self.query = svc, principal, query
        self.revs: Revisions = svc.engine.resolve_span(query)
        self.today: dt.date | None = svc.engine.today(self.revs.sha) \
            if query.default_span else None

    @property
    def sha(self) -> str:
        return self.revs.sha

    def key(self, path: str, **extra: Any) -> dict[str, Any]:
        q = self.query
        return {"path": path, "base": self.revs.base, "period": q.period, "from": q.start,
                "to": q.end, "today": self.today, **extra}

    def report(self) -> BillReport:
        return self.svc.engine.report(self.query, self.revs, self.today, self.principal.scope)

    def pinned(self) -> dict[str, str | None]:
        """The span's parameters with the revision(s) fixed, for `next` links."""
        q = self.query
        if q.range is not None:
            return {"range": f"{self.revs.base}..{self.sha}"}
        return {"rev": self.sha, "period": q.period,
                "from": q.start.isoformat() if q.start else None,
                "to": q.end.isoformat() if q.end else None}


@router.get(REPORT_PATH, summary="The bill (SPEC §6.5, tenantry.bill/1)", response_model=None,
            responses={200: {"model": BillReportModel, "headers": REVISION_HEADERS},
                       **ERRORS})
def report(request: Request, query: Span, principal: Authenticated, svc: Svc) -> Response:
    """The whole report as `tenantry bill --format json` writes it, cut to the token's
    scope (see docs/api.md: what a scoped token sees)."""
    billed = Billed(svc, principal, query)

    def render() -> http.Body:
        return http.Body(bill_json.render(billed.report()).encode(), http.JSON)

    return answer(request, svc, principal, billed.sha, billed.key(REPORT_PATH), render)


@router.get(HTML_PATH, summary="The bill as an HTML page", response_model=None,
            response_class=Response,
            responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                             "headers": REVISION_HEADERS}, **ERRORS})
def page(request: Request, query: Span, principal: Authenticated, svc: Svc) -> Response:
    """The same page as `tenantry bill --format html` (and the same TENANTRY_TEMPLATES
    branding), cut to the token's scope."""
    from reports import bill_html  # jinja2 templates: loaded when a page is asked for

    billed = Billed(svc, principal, query)

    def render() -> http.Body:
        return http.Body(bill_html.render(billed.report()).encode(), http.HTML)

    response = answer(request, svc, principal, billed.sha,
                      billed.key(HTML_PATH, templates=_templates_stamp()), render)
    response.headers["Content-Security-Policy"] = \
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
    return response


def _templates_stamp() -> list[tuple[str, int, int]]:
    """Custom templates change the page without changing the code: they key the ETag too."""
    out = []
    for folder in filter(None, os.environ.get(TEMPLATES_ENV, "").split(os.pathsep)):
        root = Path(folder).expanduser()
        for path in sorted(root.rglob("*")) if root.is_dir() else []:
            stat = path.stat()
            out.append((str(path), stat.st_size, stat.st_mtime_ns))
    return out


def _view_route(view: str) -> Callable[..., Response]:
    path = f"{REPORT_PATH}/{view}"
    columns = bill_flat.VIEWS[view]

    def handler(request: Request, query: Span, principal: Authenticated, svc: Svc,
                format: Format = "json", limit: Limit = None, offset: Offset = 0) -> Response:
        billed = Billed(svc, principal, query)
        page = paging(svc, format, limit, offset)

        def render() -> http.Body:
            bill = billed.report()
            count = bill_flat.count(bill, view)
            end = None if page.limit is None else page.offset + page.limit
            items = bill_flat.rows(bill, view, page.offset, end)
            after = page.next_offset(count)
            next_link = None if after is None else http.link(
                svc.settings.root_path + path,
                {**billed.pinned(), "format": format if format != "json" else None,
                 "limit": page.limit, "offset": after})
            if format == "csv":
                return http.Body(bill_flat.to_csv(columns, items).encode(), http.CSV,
                                 next_link)
            span = {"start": bill.span.start.isoformat(), "end": bill.span.end.isoformat(),
                    "days": bill.span.days, "period": bill.span.period}
            return http.Body(http.dumps({
                "revision": billed.sha, "span": span, "currency": bill.currency,
                "count": count, "offset": page.offset, "limit": page.limit,
                "next": next_link, "items": list(items)}), http.JSON, next_link)

        key = billed.key(path, format=format, limit=page.limit, offset=offset)
        return answer(request, svc, principal, billed.sha, key, render)

    handler.__name__ = f"billing_{view}"
    handler.__doc__ = (f"Flat {view}, one record per row. CSV header: "
                       f"{', '.join(columns)}.")
    router.add_api_route(
        path, handler, methods=["GET"], summary=f"Billing {view} (flat)", response_model=None,
        responses={200: {"model": BillPage[VIEW_MODELS[view]],  # type: ignore[valid-type]
                         "headers": REVISION_HEADERS,
                         "content": {"text/csv": {"schema": {"type": "string"}}}},
                   **ERRORS})
    return handler


for _view in bill_flat.VIEWS:
    _view_route(_view)
