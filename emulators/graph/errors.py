"""Graph's error body: ``{"error": {"code", "message", "innerError": {...}}}``."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any


class GraphError(Exception):
    """An error response, raised anywhere in request handling and rendered by the server."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self, client_request_id: str | None = None) -> dict[str, Any]:
        return error_body(self.code, self.message, client_request_id)


def error_body(code: str, message: str, client_request_id: str | None = None) -> dict[str, Any]:
    inner = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S"),
             "request-id": str(uuid.uuid4()),
             "client-request-id": client_request_id or str(uuid.uuid4())}
    return {"error": {"code": code, "message": message, "innerError": inner}}


def bad_request(message: str, code: str = "Request_BadRequest") -> GraphError:
    return GraphError(400, code, message)


def not_found(key: str) -> GraphError:
    return GraphError(404, "Request_ResourceNotFound",
                      f"Resource '{key}' does not exist or one of its queried reference-property "
                      "objects are not present.")
