"""The read API (SPEC §8): ``create_app(settings)`` builds it, ``serve`` runs it on uvicorn.

Routers live in ``server.routes``; each takes the token through ``Depends(authenticate)``
(``server.auth``), so a new router (the self-service pages of issue 11) gets the same
authentication and scoping by declaring it. Errors are JSON ``{"error": "..."}``: 400 for
a bad parameter, 401 (with ``WWW-Authenticate: Bearer``) without a valid token, 404 for
what does not exist or is outside the token's scope, 422 when the specs at the revision
cannot be billed.
"""

from __future__ import annotations

import logging

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse, Response

from reconciler.errors import SpecInvalid, UserError
from reconciler.gitrepo import ServingRepo
from server import http
from server.auth import NotFound, Unauthorized
from server.engine import Engine
from server.models import Health
from server.params import BadRequest
from server.routes import billing, history, tenants
from server.routes.common import Services, known_query
from server.settings import Settings
from server.tokens import TokenStore

log = logging.getLogger("tenantry.server")

DESCRIPTION = """Tenants, billing and history of a tenantry spec repository, for PSA tools,
Excel Power Query and Power BI. Every request but `/healthz` and `/openapi.json` needs
`Authorization: Bearer <token>` (`tenantry token create`). A token scoped to a tenant or a
reseller sees only its tenants. Responses carry the commit they were computed at
(`X-Tenantry-Revision`) and an `ETag`; send it back as `If-None-Match` to get 304 while
nothing changed. Lists are paged: follow `next`."""


def create_app(settings: Settings, engine: Engine | None = None,
               tokens: TokenStore | None = None) -> FastAPI:
    app = FastAPI(title="tenantry", version=_version(), description=DESCRIPTION,
                  docs_url=None, redoc_url=None, root_path=settings.root_path,
                  dependencies=[Depends(known_query)])
    app.state.tokens = tokens or TokenStore(settings.tokens_path)
    app.state.services = Services(
        settings,
        engine or Engine(ServingRepo(settings.repo_root), settings.specs_rel, settings.cache_dir,
                         ledgers=settings.ledgers, reports=settings.reports),
        http.Bodies(settings.body_cache_bytes))
    app.include_router(tenants.router)
    app.include_router(billing.router)
    app.include_router(history.router)
    from server.web.site import install as install_pages  # the self-service pages (issue 11)
    install_pages(app, settings, app.state.services.engine, app.state.tokens)
    _errors(app)

    @app.get("/healthz", tags=["meta"], summary="Liveness", response_model=Health)
    def healthz(response: Response) -> Health:
        """No token needed. `revision` is HEAD of the spec repository."""
        engine = app.state.services.engine
        try:
            head = engine.resolve_rev(None)
        except BadRequest:
            head = None
        if head is not None:
            response.headers[http.REVISION_HEADER] = head
        response.headers["Cache-Control"] = "no-store"
        return Health(status="ok", revision=head)

    return app


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse({"error": message}, status_code=status, headers=headers)


def _errors(app: FastAPI) -> None:
    @app.exception_handler(BadRequest)
    def bad_request(_: Request, exc: BadRequest) -> Response:
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    def invalid(_: Request, exc: RequestValidationError) -> Response:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error.get("loc", ())[1:]) or "request"
            problems.append(f"{where}: {error.get('msg', 'invalid')}")
        return _error(400, "; ".join(problems) or "invalid request")

    @app.exception_handler(Unauthorized)
    def unauthorized(_: Request, exc: Unauthorized) -> Response:
        return _error(401, str(exc), {"WWW-Authenticate": exc.challenge})

    @app.exception_handler(NotFound)
    def not_found(_: Request, exc: NotFound) -> Response:
        return _error(404, str(exc))

    @app.exception_handler(SpecInvalid)
    def spec_invalid(_: Request, exc: SpecInvalid) -> Response:
        lines = [p.render() for p in exc.problems]
        return _error(422, f"the specs at that revision have {len(lines)} problem(s): "
                           + "; ".join(lines[:5]))

    @app.exception_handler(UserError)
    def user_error(_: Request, exc: UserError) -> Response:
        return _error(422, str(exc))

    @app.exception_handler(HTTPException)
    def http_error(_: Request, exc: HTTPException) -> Response:
        return _error(exc.status_code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    def internal(_: Request, exc: Exception) -> Response:
        log.exception("internal error")
        return _error(500, f"internal error ({type(exc).__name__}); see the server log")


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("tenantry")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0"
