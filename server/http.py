"""Responses: ETags, conditional requests, paging links, and the rendered-body cache.

A response body is a pure function of what its ETag hashes: the code (a fingerprint of the
sources), the endpoint, the resolved commit(s), the canonical query, the token's scope and,
for the default billing span, today's date. So the ETag is known before anything is
computed: ``If-None-Match`` with it answers 304 at the cost of one ``git rev-parse``, and a
body rendered once is reused for every request with the same ETag.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response

from server.memo import Memo

REVISION_HEADER = "X-Tenantry-Revision"
# Responses differ per token: no shared cache may keep them; clients revalidate by ETag.
CACHE_CONTROL = "private, no-cache"
JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class Body:
    content: bytes
    media_type: str
    next: str | None = None


class Bodies:
    """Rendered bodies by ETag, bounded by total size."""

    def __init__(self, max_bytes: int) -> None:
        self._memo: Memo[str, Body] = Memo(4096, max_bytes, lambda b: len(b.content))

    def get(self, etag: str, render: Callable[[], Body]) -> Body:
        return self._memo.get(etag, render)


def etag(parts: Mapping[str, Any]) -> str:
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode())
    return f'"{digest.hexdigest()[:40]}"'


def matches(request: Request, tag: str) -> bool:
    """``If-None-Match`` names this ETag (weak comparison, RFC 9110 §13.1.2)."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    wanted = tag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False


def headers(tag: str, revision: str, next_link: str | None = None) -> dict[str, str]:
    out = {"ETag": tag, REVISION_HEADER: revision, "Cache-Control": CACHE_CONTROL,
           "Vary": "Authorization", "X-Content-Type-Options": "nosniff"}
    if next_link is not None:
        out["Link"] = f'<{next_link}>; rel="next"'
    return out


def not_modified(tag: str, revision: str) -> Response:
    return Response(status_code=304, headers=headers(tag, revision))


def respond(body: Body, tag: str, revision: str) -> Response:
    return Response(body.content, media_type=body.media_type,
                    headers=headers(tag, revision, body.next))


def dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int | None  # None: everything (CSV's default)

    def cut(self, items: Sequence[Any]) -> Sequence[Any]:
        end = None if self.limit is None else self.offset + self.limit
        return items[self.offset:end]

    def next_offset(self, count: int) -> int | None:
        if self.limit is None or self.offset + self.limit >= count:
            return None
        return self.offset + self.limit


def link(path: str, params: Mapping[str, str | int | None]) -> str:
    """``path?query`` with the parameters that are set, in a fixed order."""
    query = urlencode([(k, str(v)) for k, v in params.items() if v is not None])
    return f"{path}?{query}" if query else path
