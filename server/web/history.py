"""History pages: who changed a tenant and when (``tenantry log``), and what it had on any
past date (``tenantry show``), read with those commands' own code (at HEAD, the branch the
server has checked out), so customers can settle a dispute about an invoice themselves."""

from __future__ import annotations

import datetime as dt
import re

from fastapi import APIRouter, Request
from starlette.responses import Response

from reconciler.changes.logrun import run_log
from reconciler.changes.showrun import run_show
from reconciler.errors import UserError
from reports.change_lines import tenant_lines
from server.scope import ALL
from server.web.site import PREFIX, blocking, render, require, web
from server.web.views import catalog, visible_tenant

router = APIRouter(prefix=PREFIX, include_in_schema=False)
MAX_ENTRIES = 200


@router.get("/tenants/{tenant}/history")
async def history_page(request: Request, tenant: str) -> Response:
    signed = require(request)
    site = web(request)

    def load() -> Response:
        _, view = visible_tenant(site, signed, tenant)
        log = run_log(site.repo, site.specs_rel, target=tenant,
                      cache_dir=site.settings.cache_dir)
        # As the read API: a commit subject is free text that may name other customers, so
        # only an unscoped token sees it.
        everything = signed.principal.scope.kind == ALL
        entries = [{"when": _local(e.committed, log.timezone), "author": _name(e.author),
                    "subject": e.subject if everything else None,
                    "pull_request": e.pull_request,
                    "commit": e.commit[:12],
                    "lines": [line for d in e.changes for line in tenant_lines(d)]}
                   for e in log.entries[:MAX_ENTRIES]]
        return render(request, "history.html.j2", who=signed, title="History",
                      tenant=view, tab="history",
                      entries=entries, more=len(log.entries) > MAX_ENTRIES,
                      timezone=log.timezone)
    return await blocking(load)


@router.get("/tenants/{tenant}/at")
async def at_page(request: Request, tenant: str, date: str = "") -> Response:
    signed = require(request)
    site = web(request)
    date = date.strip()[:10]

    def load() -> Response:
        commit, view = visible_tenant(site, signed, tenant)
        shown, problem = None, None
        if date:
            try:
                dt.date.fromisoformat(date)
                snapshot = run_show(site.repo, site.specs_rel, tenant=tenant, at=date,
                                    cache_dir=site.settings.cache_dir)
                shown = {"tenant": snapshot.tenants[0] if snapshot.tenants else None,
                         "commit": snapshot.commit[:12],
                         "since": _local(snapshot.effective, snapshot.timezone),
                         "timezone": snapshot.timezone}
            except ValueError:
                problem = "Write the date like 2026-10-31."
            except UserError as exc:
                text = re.sub(r"^--at [^:]*: ", "", str(exc)).replace(f"{site.specs_rel}/", "")
                problem = text[:1].upper() + text[1:] + "."
        names = {p.sku: p.name for p in catalog(site, commit)}
        return render(request, "at.html.j2", 422 if problem else 200, who=signed,
                      title="On a date", tenant=view, tab="at", date=date, shown=shown,
                      problem=problem, product_names=names)
    return await blocking(load)


def _local(instant: int, zone: str) -> str:
    from zoneinfo import ZoneInfo
    return dt.datetime.fromtimestamp(instant, ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _name(ident: str) -> str:
    return ident.split(" <", 1)[0]


