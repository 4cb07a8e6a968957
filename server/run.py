"""Running the app on uvicorn."""

from __future__ import annotations

import sys

from reconciler.errors import UserError
from server.app import create_app
from server.engine import Engine
from server.settings import Settings
from server.tokens import TokenStore


def serve(settings: Settings, host: str, port: int, *, warm: bool = True) -> None:
    import uvicorn  # the api extra: imported only when serving

    tokens = TokenStore(settings.tokens_path)
    tokens.require_file()
    app = create_app(settings, tokens=tokens)
    engine: Engine = app.state.services.engine
    if warm:
        # HEAD's history is read (and a cold cache parsed on every core) before the first
        # request, and before uvicorn starts any thread: the parse workers are forked.
        print(f"tenantry serve: reading the history of {settings.repo_root} ...",
              file=sys.stderr, flush=True)
        try:
            engine.warm()
        except UserError as exc:
            print(f"warning: HEAD cannot be billed yet ({exc}); serving anyway",
                  file=sys.stderr, flush=True)
    web = getattr(app.state, "web", None)
    if web is not None:
        web.start_warming()  # the pages' checks, after the history: see Web.start_warming
    # Behind a reverse proxy, X-Forwarded-* are trusted from loopback only (uvicorn's
    # default), which is where the proxy should run; see docs/api.md.
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False,
                date_header=True, proxy_headers=True, access_log=True)
