"""Signing in to the pages: the token in a cookie, and the CSRF token derived from it.

The cookie holds the API token itself, so the pages have exactly the token's rights and a
revoked token stops working on the next page, as it does for the API. It is ``HttpOnly``
(scripts cannot read it), ``SameSite=Strict`` (no other site can make the browser send it,
not even on a link: a link from an e-mail lands on the sign-in page, which then returns to
where it pointed), scoped to the pages' path, and ``Secure`` whenever the request came over
TLS (directly, or through a proxy that says so in ``X-Forwarded-Proto``; see
docs/self-service.md). Over TLS its name carries the ``__Host-`` prefix, which browsers
only accept from a secure origin, for the whole host.

Every form carries a synchroniser token: HMAC-SHA256 keyed with the session's token over a
fixed label. It is stable for the session (any tab, any form), cannot be computed without
the cookie, and a forged post from another site carries none.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from starlette.requests import Request
from starlette.responses import Response

PLAIN_COOKIE = "tenantry_session"
SECURE_COOKIE = "__Host-tenantry_session"
_CSRF_LABEL = b"tenantry web form v1"


def secure(request: Request) -> bool:
    return request.url.scheme == "https"


def cookie_token(request: Request) -> str | None:
    name = SECURE_COOKIE if secure(request) else PLAIN_COOKIE
    value = request.cookies.get(name)
    return value if value and len(value) < 200 else None


def sign_in(response: Response, request: Request, token: str, path: str) -> None:
    is_secure = secure(request)
    response.set_cookie(SECURE_COOKIE if is_secure else PLAIN_COOKIE, token, httponly=True,
                        samesite="strict", secure=is_secure,
                        path="/" if is_secure else path or "/")


def sign_out(response: Response, request: Request, path: str) -> None:
    is_secure = secure(request)
    response.delete_cookie(SECURE_COOKIE if is_secure else PLAIN_COOKIE,
                           path="/" if is_secure else path or "/", secure=is_secure,
                           httponly=True, samesite="strict")


def csrf_token(token: str) -> str:
    digest = hmac.new(token.encode(), _CSRF_LABEL, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def csrf_ok(token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(token), str(sent))
