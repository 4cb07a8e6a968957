"""The self-service pages' plumbing: who is signed in, what they may see, rendering, and the
headers every page carries.

``install(app)`` adds the pages to the API's app (``tenantry serve``): the same token store
and scopes, under ``/web``. Pages are server-rendered jinja2 with autoescaping; the only
script is a static file, so the Content-Security-Policy allows no inline script or style at
all (``script-src 'self'``), and every form carries a CSRF token (``session``).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reconciler import requests as rq
from reconciler.gitrepo import Repo
from reconciler.specs import CATALOG, Catalog, DocumentInvalid, tenant_path
from server.auth import Principal, sees
from server.engine import Engine
from server.scope import ALL, TENANT
from server.settings import Settings
from server.tokens import TokenStore
from server.web import session

log = logging.getLogger("tenantry.server")
HERE = Path(__file__).parent
PREFIX = "/web"
MAX_FORM = 64 * 1024
T = TypeVar("T")

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; "
                               "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class PageError(Exception):
    """Answered with an HTML page: 404 for what does not exist or is out of scope."""

    def __init__(self, status: int, heading: str, message: str) -> None:
        super().__init__(message)
        self.status, self.heading, self.message = status, heading, message


def not_found() -> PageError:
    return PageError(404, "Not found", "There is no such page, or your token does not give "
                                       "access to it.")


@dataclass(frozen=True)
class Who:
    principal: Principal
    token: str

    @property
    def name(self) -> str:
        return self.principal.token.name


class Web:
    """What the pages share: the repository, request settings, a spec cache, templates."""

    def __init__(self, settings: Settings, engine: Engine, tokens: TokenStore,
                 requests: rq.RequestSettings) -> None:
        self.settings, self.engine, self.tokens, self.requests = settings, engine, tokens, \
            requests
        self.repo = Repo(settings.repo_root)
        self.specs_rel = settings.specs_rel
        self.cache = rq.SpecCache(settings.cache_dir)
        self.outcomes: dict[int, rq.Outcome] = {}  # forge results, shown once after a submit
        self._lock = threading.Lock()  # the spec cache is shared by the worker threads
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                                      autoescape=True,
                                      trim_blocks=True, lstrip_blocks=True)
        digest = hashlib.sha256()
        for path in sorted((HERE / "static").iterdir()):
            digest.update(path.read_bytes())
        self.asset_version = digest.hexdigest()[:12]

    def start_warming(self) -> None:
        """``warm`` on a thread of its own (``serve`` calls it once the history is read: a
        thread running earlier would keep that read from forking its parse workers)."""
        threading.Thread(target=self.warm, name="tenantry-web-warm", daemon=True).start()

    def warm(self) -> None:
        """Check every spec file at the base once, so the first request is checked as fast
        as the next (on 1,000 tenants a cold parse takes tens of seconds; after the API's
        start-up the entries are on disk)."""
        try:
            commit = self.base()
            self.locked(lambda: rq.tree_problems(
                self.cache.files_at(self.repo, commit, self.specs_rel), cache=self.cache))
        except Exception:
            log.warning("self-service: the spec cache could not be warmed", exc_info=True)

    def locked(self, work: Callable[[], T]) -> T:
        with self._lock:
            return work()

    def base_branch(self) -> str:
        return rq.base_branch(self.repo, self.requests.base)

    def catalog_products(self, commit: str) -> dict[str, Any]:
        """The catalog's products at ``commit`` (empty when it does not parse)."""
        def load() -> dict[str, Any]:
            files = self.cache.files_at(self.repo, commit, self.specs_rel)
            return dict(self.cache.parse(Catalog, files[CATALOG]).products)
        try:
            return self.locked(load)
        except (DocumentInvalid, KeyError):
            return {}

    def base(self) -> str:
        return rq.base_commit(self.repo, self.base_branch())

    def visible_tenants(self, who: Who, commit: str) -> list[str]:
        """The tenants with a file at ``commit`` that the token may see, sorted."""
        files = self.locked(lambda: self.cache.files_at(self.repo, commit, self.specs_rel))
        present = sorted(p.removeprefix("tenants/").removesuffix(".yaml") for p in files
                         if p.startswith("tenants/") and p.count("/") == 1
                         and p.endswith(".yaml"))
        scope = who.principal.scope
        if scope.kind == ALL:
            return present
        if scope.kind == TENANT:
            return [t for t in present if t == scope.id]
        seen = sees(who.principal, self.engine.ledger(commit).terms)
        return [t for t in present if seen.sees_tenant(t)]

    def check_tenant(self, who: Who, tenant: str, commit: str) -> None:
        """404 unless the token may see ``tenant`` and it has a file at ``commit``."""
        if tenant_path(tenant).count("/") != 1 or tenant not in \
                self.visible_tenants(who, commit):
            raise not_found()


def web(request: Request) -> Web:
    found: Web = request.app.state.web
    return found


def prefix(request: Request) -> str:
    return str(request.scope.get("root_path", "")) + PREFIX


def who(request: Request) -> Who | None:
    token = session.cookie_token(request)
    if token is None:
        return None
    info = web(request).tokens.check(token)
    return Who(Principal(info), token) if info is not None else None


def require(request: Request) -> Who:
    found = who(request)
    if found is None:
        raise SignInNeeded()
    return found


class SignInNeeded(Exception):
    pass


def render(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    site = web(request)
    signed = context.pop("who", None)
    values: dict[str, Any] = {"tenant": None, "tab": None, **context}
    page = site.env.get_template(template).render(
        web=prefix(request), asset_version=site.asset_version, who=signed,
        csrf=session.csrf_token(signed.token) if signed else "", **values)
    return HTMLResponse(page, status_code=status)


def same_site(request: Request) -> None:
    """Refuse a post another site's page made (browsers say so in ``Sec-Fetch-Site``): with
    the CSRF token and the Strict cookie, a third lock; for sign-in, the only one."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise PageError(403, "Refused", "This form was sent from another site.")


async def form_of(request: Request, who: Who) -> tuple[dict[str, str], list[str]]:
    """The posted form (urlencoded, bounded), after its CSRF token is checked: single
    fields, and the list of ``skus``."""
    same_site(request)
    body = await request.body()
    if len(body) > MAX_FORM:
        raise PageError(413, "Too much", "The form is too large.")
    pairs = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True,
                                   max_num_fields=200)
    form: dict[str, str] = {}
    skus: list[str] = []
    for key, value in pairs:
        if key == "skus":
            skus.append(value)
        else:
            form.setdefault(key, value)
    if not session.csrf_ok(who.token, form.get("csrf")):
        raise PageError(403, "Form expired", "This form could not be verified. Go back, "
                                             "reload the page and try again.")
    return form, skus


async def blocking(work: Callable[[], T]) -> T:
    """Git and YAML work off the event loop."""
    return await run_in_threadpool(work)


class PageHeaders:
    """Adds ``SECURITY_HEADERS`` to the pages' responses (a plain ASGI wrapper: the API's
    requests pass straight through, at no cost)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        root = str(scope.get("root_path", ""))
        # Servers differ on whether ``path`` includes ``root_path``: accept both.
        if scope["type"] != "http" or not path.startswith((root + PREFIX, PREFIX)):
            await self.app(scope, receive, send)
            return
        static = "/static/" in path

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    if name not in headers and not (static and name == "Cache-Control"):
                        headers[name] = value
            await send(message)

        await self.app(scope, receive, with_headers)


def install(app: FastAPI, settings: Settings, engine: Engine, tokens: TokenStore,
            requests: rq.RequestSettings | None = None) -> None:
    """Add the pages to the API's app."""
    from server.web import changes, history, pages

    site = Web(settings, engine, tokens, requests or rq.load(
        settings.repo_root / rq.DEFAULT_PATH))
    app.state.web = site
    app.mount(PREFIX + "/static", StaticFiles(directory=HERE / "static"), name="web-static")
    app.include_router(pages.router)
    app.include_router(changes.router)
    app.include_router(history.router)

    app.add_middleware(PageHeaders)

    @app.exception_handler(PageError)
    def page_error(request: Request, exc: PageError) -> Response:
        return render(request, "error.html.j2", exc.status, who=who(request),
                      title=exc.heading, heading=exc.heading, message=exc.message)

    @app.exception_handler(SignInNeeded)
    def sign_in_needed(request: Request, exc: SignInNeeded) -> Response:
        if request.method != "GET":
            return render(request, "error.html.j2", 401, title="Signed out",
                          heading="Signed out", message="Sign in again, then repeat the "
                                                        "change.")
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{prefix(request)}/sign-in?"
                                f"{urllib.parse.urlencode({'next': target})}", 303)
