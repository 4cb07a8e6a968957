"""Bearer-token authentication as a FastAPI dependency, reusable by every router.

``principal: Authenticated`` (``Depends(authenticate)``) gives a handler the ``Principal`` (the token's record and scope) or
answers 401 with ``WWW-Authenticate: Bearer`` before the handler runs. ``sees(principal,
terms)`` turns the scope into what it may see at one revision (``scope.Visibility``); a
handler that looks up one tenant answers 404 for a tenant outside it, exactly as for one that
does not exist, so ids cannot be probed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from reconciler.billing.terms import Terms
from server.scope import Scope, Visibility, visibility
from server.tokens import TokenInfo, TokenStore

# Declares the scheme in the OpenAPI document; the header is parsed below, strictly.
bearer_scheme = HTTPBearer(auto_error=False, description="A token from 'tenantry token create'.")

# RFC 6750 §2.1: "Bearer" (any case), one or more spaces, then the token. Nothing else.
_AUTHORIZATION = re.compile(r"[Bb][Ee][Aa][Rr][Ee][Rr] +([A-Za-z0-9._~+/-]+=*)")


Bearer = Annotated[HTTPAuthorizationCredentials | None, Security(bearer_scheme)]


class Unauthorized(Exception):
    def __init__(self, message: str, invalid_token: bool) -> None:
        super().__init__(message)
        self.invalid_token = invalid_token

    @property
    def challenge(self) -> str:
        if self.invalid_token:
            return 'Bearer realm="tenantry", error="invalid_token"'
        return 'Bearer realm="tenantry"'


class NotFound(Exception):
    """404: does not exist, or is outside the token's scope (the same answer for both)."""


@dataclass(frozen=True)
class Principal:
    token: TokenInfo

    @property
    def scope(self) -> Scope:
        return self.token.scope


def authenticate(request: Request, _: Bearer) -> Principal:
    header = request.headers.get("authorization")
    if header is None:
        raise Unauthorized("send 'Authorization: Bearer <token>' (tenantry token create)",
                           invalid_token=False)
    match = _AUTHORIZATION.fullmatch(header)
    store: TokenStore = request.app.state.tokens
    info = store.check(match[1]) if match else None
    if info is None:
        raise Unauthorized("the token is unknown, revoked or expired, or the Authorization "
                           "header is not 'Bearer <token>'", invalid_token=True)
    return Principal(info)


# A handler's parameter ``principal: Authenticated`` requires a valid token.
Authenticated = Annotated[Principal, Depends(authenticate)]


def sees(principal: Principal, terms: Terms) -> Visibility:
    return visibility(principal.scope, terms)
