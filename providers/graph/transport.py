"""HTTP to Graph through msgraph-sdk's request adapter, with bodies as raw JSON.

The SDK's adapter brings what is worth having: a token per customer tenant
(``auth.Credentials``) and Graph's middleware (retry on 429/503/504 honouring
``Retry-After``, redirects, telemetry headers). Its typed models cost about 9 ms per user,
and its batch helper mangles URLs and ``dependsOn`` and drops JSON bodies, so requests are
built and responses read as JSON here: a ``NativeResponseHandler`` hands back the raw
response.

All HTTP runs on one event loop in a background thread, sharing one connection pool; plan
and apply call in from their worker threads through ``run``.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Coroutine, Mapping, TypeVar, cast

import httpx
from kiota_abstractions.method import Method
from kiota_abstractions.native_response_handler import NativeResponseHandler
from kiota_abstractions.request_adapter import RequestAdapter
from kiota_abstractions.request_information import RequestInformation
from kiota_http.middleware.options import ResponseHandlerOption, RetryHandlerOption

from reconciler.errors import DirectoryUnavailable

from .auth import Credentials

T = TypeVar("T")
# The middleware retries 429/503/504 this many times before we see the response; requests
# that still fail are retried here (reads) or per request inside a batch (writes).
MIDDLEWARE_RETRIES = 3
READ_ATTEMPTS = 4
MAX_WAIT = 120.0  # longest Retry-After honoured; beyond it the request gives up


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]
    data: Any  # the JSON body, or None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def error(self) -> str:
        return describe(self.status, self.data)


def describe(status: int, data: Any) -> str:
    """``400 Request_BadRequest: <Graph's message>`` from an error body."""
    error = data.get("error") if isinstance(data, dict) else None
    if isinstance(error, dict):
        return f"{status} {error.get('code') or 'error'}: {error.get('message') or ''}".strip()
    return f"HTTP {status}"


def retry_after(headers: Mapping[str, str], attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 1``: Retry-After when given, else
    exponential backoff with jitter."""
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return min(15.0, 0.25 * float(2 ** attempt)) * (0.5 + random.random() / 2)


class Unreachable(Exception):
    """No response (timeout, connection lost): a write may or may not have happened."""


class Transport:
    def __init__(self, name: str, base_url: str, credentials: Credentials,
                 connections: int) -> None:
        self.name = name
        self.base = base_url.rstrip("/") + "/v1.0"
        self.credentials = credentials
        self.connections = connections
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._client: httpx.AsyncClient | None = None
        self._adapters: dict[str, RequestAdapter] = {}

    # --- the event loop thread ---------------------------------------------------------

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the HTTP loop and wait for it (from any thread but the loop's)."""
        with self._lock:
            if self._loop is None:
                self._loop = asyncio.new_event_loop()
                self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                                name=f"graph-{self.name}")
                self._thread.start()
            loop = self._loop
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, loop)
        return future.result()

    def close(self) -> None:
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is None or thread is None:
            return
        asyncio.run_coroutine_threadsafe(self._aclose(), loop).result()
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.close()

    async def _aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        self._adapters.clear()
        await self.credentials.aclose()

    # --- requests ----------------------------------------------------------------------

    def _adapter(self, entra_tenant: str) -> RequestAdapter:
        adapter = self._adapters.get(entra_tenant)
        if adapter is None:
            from msgraph.graph_request_adapter import GraphRequestAdapter
            from msgraph_core import GraphClientFactory
            if self._client is None:
                client = httpx.AsyncClient(
                    timeout=httpx.Timeout(60.0, connect=15.0),
                    limits=httpx.Limits(max_connections=self.connections,
                                        max_keepalive_connections=self.connections))
                retry = RetryHandlerOption(delay=0.0, max_retries=MIDDLEWARE_RETRIES)
                self._client = GraphClientFactory.create_with_default_middleware(
                    client=client, options={retry.get_key(): retry})
            adapter = GraphRequestAdapter(self.credentials.provider(entra_tenant),
                                          client=self._client)
            self._adapters[entra_tenant] = adapter
        return adapter

    async def send(self, entra_tenant: str, method: str, url: str, body: Any = None, *,
                   middleware_retries: bool = True) -> Reply:
        """One request; raises ``Unreachable`` when no response came back. The middleware
        retries throttling and outages unless told not to: a caller that must know whether
        a write may have happened twice (``$batch``) retries for itself."""
        info = RequestInformation()
        info.http_method = Method(method)
        info.url = url if url.startswith(("http://", "https://")) else self.base + url
        info.headers.try_add("Accept", "application/json")
        if body is not None:
            info.set_stream_content(json.dumps(body).encode(), "application/json")
        info.add_request_options([ResponseHandlerOption(NativeResponseHandler())])
        if not middleware_retries:
            info.add_request_options([RetryHandlerOption(max_retries=0, should_retry=False)])
        try:
            response = cast(httpx.Response, await self._adapter(
                entra_tenant).send_primitive_async(info, "bytes", None))
        except httpx.HTTPError as exc:
            raise Unreachable(f"{type(exc).__name__}: {exc}".rstrip(": ")) from None
        except Exception as exc:
            if type(exc).__name__ == "ClientAuthenticationError":
                raise DirectoryUnavailable(f"directory {self.name!r}: no token for tenant "
                                           f"{entra_tenant}: {_first_line(exc)}") from None
            raise
        content = response.content
        try:
            data = json.loads(content) if content else None
        except ValueError:
            data = None
        return Reply(response.status_code, response.headers, data)

    async def read(self, entra_tenant: str, url: str, what: str) -> Any:
        """GET a JSON document, retrying throttling and outages; anything else that is not
        a success raises ``DirectoryUnavailable`` (a plan must never use a partial read)."""
        problem = ""
        for attempt in range(READ_ATTEMPTS):
            try:
                reply = await self.send(entra_tenant, "GET", url)
            except Unreachable as exc:
                problem = str(exc)
                await asyncio.sleep(retry_after({}, attempt))
                continue
            if reply.ok and isinstance(reply.data, dict):
                return reply.data
            problem = reply.error()
            if reply.status not in (429, 500, 502, 503, 504):
                break
            wait = retry_after(reply.headers, attempt)
            if wait > MAX_WAIT:
                break
            await asyncio.sleep(wait)
        hint = " (does the app have User.ReadWrite.All, LicenseAssignment.ReadWrite.All " \
               "and Organization.Read.All, with admin consent?)" \
            if problem.startswith(("401", "403")) else ""
        raise DirectoryUnavailable(f"Graph tenant {entra_tenant}: {what} failed: "
                                   f"{problem}{hint}")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
