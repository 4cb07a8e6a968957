"""Routing one Graph request to its handler, and ``$batch``.

``$batch`` follows Graph's documented rules: at most 20 requests (else 400); ids unique;
a request may depend only on an earlier one, and a batch is either fully parallel (no
``dependsOn``) or fully sequential (each request depends on the one before), else 400; a
request whose dependency failed gets 424; every request gets its own status, and the
responses come back in any order. Each request is subject to the fault switches on its
own, as Graph throttles the requests inside a batch individually.
"""

from __future__ import annotations

import threading
import urllib.parse
from typing import Any, Callable

from . import users
from .directory import Tenant
from .errors import GraphError, bad_request
from .switches import Counters, Faults
from .users import Request, Response

MAX_BATCH = 20


def route_key(method: str, path: str) -> str:
    """``GET /users/{id}`` and the like: the counter's key for a request."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "users":
        parts[1] = "{id}"
    return f"{method} /{'/'.join(parts)}"


def dispatch(tenant: Tenant, request: Request, lag: float,
             expired_tokens: bool = False) -> Response:
    parts = [urllib.parse.unquote(p) for p in request.path.split("/") if p]
    method = request.method
    if parts == ["users"]:
        if method == "GET":
            return users.list_users(tenant, request, lag, expired_tokens)
        if method == "POST":
            return users.create_user(tenant, request.body, lag)
    elif len(parts) == 2 and parts[0] == "users":
        if method == "GET":
            return users.get_user(tenant, parts[1], request, lag)
        if method == "PATCH":
            return users.update_user(tenant, parts[1], request.body, lag)
        if method == "DELETE":
            return users.delete_user(tenant, parts[1], lag)
    elif len(parts) == 3 and parts[0] == "users" and parts[2] == "assignLicense":
        if method == "POST":
            return users.assign_license(tenant, parts[1], request.body, lag)
    elif parts == ["subscribedSkus"]:
        if method == "GET":
            return users.subscribed_skus(tenant, request)
    else:
        segment = parts[0] if parts else ""
        raise GraphError(400, "BadRequest", f"Resource not found for the segment '{segment}'.")
    raise GraphError(405, "Request_BadRequest",
                     "Specified HTTP method is not allowed for the request target.")


def run_batch(tenant: Tenant, body: Any, base_url: str, lag: Callable[[], float],
              faults: Faults, counters: Counters, lock: threading.Lock) -> Response:
    requests = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(requests, list) or not all(isinstance(r, dict) for r in requests):
        raise bad_request("Invalid batch payload format.")
    if len(requests) > MAX_BATCH:
        raise bad_request(f"The number of requests in the batch ({len(requests)}) exceeds "
                          f"the limit of {MAX_BATCH}.")
    ids = [str(r.get("id", "")) for r in requests]
    if "" in ids or len({i.lower() for i in ids}) != len(ids):
        raise bad_request("Batch request ids must be present and unique.")
    _check_sequencing(requests, ids)
    sequential = any(r.get("dependsOn") for r in requests)
    order = list(range(len(requests)))
    if not sequential:
        faults.shuffle(order)  # independent requests run in whatever order suits the server
    responses: dict[int, dict[str, Any]] = {}
    failed: set[str] = set()
    for index in order:
        item = requests[index]
        depends = [str(d) for d in item.get("dependsOn") or ()]
        if any(d in failed for d in depends):
            responses[index] = _sub(ids[index], 424, GraphError(
                424, "FailedDependency", "The request was not run: a request it depends on "
                "failed.").body())
            failed.add(ids[index])
            continue
        status, payload, headers = _one(tenant, item, base_url, lag, faults, counters, lock)
        responses[index] = _sub(ids[index], status, payload, headers)
        if status >= 400:
            failed.add(ids[index])
    shuffled = [responses[i] for i in range(len(requests))]
    faults.shuffle(shuffled)  # "responses might appear in a different order than requests"
    return Response(200, {"responses": shuffled})


def _check_sequencing(requests: list[dict[str, Any]], ids: list[str]) -> None:
    seen: set[str] = set()
    for index, item in enumerate(requests):
        depends = item.get("dependsOn")
        if depends is not None and (not isinstance(depends, list) or not all(
                isinstance(d, str) and d in seen for d in depends)):
            raise bad_request(f"Invalid dependency for request Id {ids[index]}: a request may "
                              "depend only on requests before it in the batch.")
        seen.add(ids[index])
    if not any(item.get("dependsOn") for item in requests):
        return
    for index, item in enumerate(requests):
        expected = [ids[index - 1]] if index else None
        if (item.get("dependsOn") or None) != expected:
            raise bad_request("Batch should be either fully sequential or fully parallel.")


def _one(tenant: Tenant, item: dict[str, Any], base_url: str, lag: Callable[[], float],
         faults: Faults, counters: Counters,
         lock: threading.Lock) -> tuple[int, Any, dict[str, str]]:
    method = str(item.get("method", "")).upper()
    split = urllib.parse.urlsplit(str(item.get("url", "")))
    path = "/" + split.path.lstrip("/")
    if path.startswith("/v1.0/"):
        path = path[len("/v1.0"):]
    counters.add("$batch " + route_key(method, path))
    headers = {str(k).lower(): str(v) for k, v in (item.get("headers") or {}).items()}
    try:
        if "body" in item and "content-type" not in headers:
            raise bad_request("Write requests (excluding DELETE) must contain the Content-Type "
                              "header declaration.")
        fault = faults.before(batched=True)
        if fault is not None:
            counters.add(f"fault {fault.status}")
            raise fault
        request = Request(method, path, dict(urllib.parse.parse_qsl(split.query)),
                          item.get("body"), base_url)
        with lock:
            response = dispatch(tenant, request, lag())
        lost = faults.after(method)
        if lost is not None:
            counters.add("fault 504")
            raise lost
        return response.status, response.body, {"Content-Type": "application/json"}
    except GraphError as exc:
        return exc.status, exc.body(), {"Content-Type": "application/json", **exc.headers}


def _sub(request_id: str, status: int, body: Any,
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    sub: dict[str, Any] = {"id": request_id, "status": status,
                           "headers": headers or {"Content-Type": "application/json"}}
    if body is not None:
        sub["body"] = body
    return sub
