"""The HTTP server: Graph v1.0 under ``/v1.0``, the test controls under ``/_emulator``.

Every Graph request needs ``Authorization: Bearer <token>``; the token selects the customer
tenant (as a real token's ``tid`` claim does), so one emulator serves many tenants. The
controls need no token: they set tenants, users and SKUs up, flip the switches (faults,
latency, read lag) and read the request counters.
"""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import api, control_api
from .directory import Tenant
from .errors import GraphError, error_body
from .switches import Counters, Faults, Switches
from .users import Request, Response


class Emulator:
    """The emulator's state: tenants by token, switches, counters; one lock for writes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.tenants: dict[str, Tenant] = {}       # tenant id -> tenant
        self.switches = Switches()
        self.faults = Faults(self.switches)
        self.counters = Counters()

    def by_token(self, token: str) -> Tenant | None:
        return next((t for t in self.tenants.values() if t.token == token), None)

    def lag(self) -> float:
        return float(self.switches.read_lag)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes: without this, Nagle's algorithm holds the
        # body back for the client's delayed ACK, 40 ms on every keep-alive response.
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet: benchmarks send hundreds of thousands of requests

    def _handle(self, method: str) -> None:
        emulator = self.server.emulator
        split = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(split.query, keep_blank_values=True))
        try:
            body = self._body()
            if split.path.startswith("/_emulator/"):
                response = control_api.handle(emulator, method, split.path, body)
            elif split.path.startswith("/v1.0/") or split.path == "/v1.0":
                response = self._graph(emulator, method, split.path[len("/v1.0"):], query, body)
            else:
                raise GraphError(404, "NotFound", "Only the v1.0 endpoint is emulated.")
            self._send(response.status, response.body, response.headers)
        except GraphError as exc:
            self._send(exc.status, exc.body(self.headers.get("client-request-id")), exc.headers)

    def _graph(self, emulator: Emulator, method: str, path: str, query: dict[str, str],
               body: Any) -> Response:
        emulator.counters.add(api.route_key(method, path))
        tenant = self._tenant(emulator)
        if emulator.switches.latency:
            time.sleep(float(emulator.switches.latency))
        fault = emulator.faults.before()
        if fault is not None:
            emulator.counters.add(f"fault {fault.status}")
            raise fault
        base_url = f"http://{self.headers.get('Host', 'localhost')}/v1.0"
        if path == "/$batch" and method == "POST":
            response = api.run_batch(tenant, body, base_url, emulator.lag, emulator.faults,
                                     emulator.counters, emulator.lock)
        else:
            with emulator.lock:
                response = api.dispatch(tenant, Request(method, path, query, body, base_url),
                                        emulator.lag(),
                                        bool(emulator.switches.expire_page_tokens))
        lost = emulator.faults.after(method)
        if lost is not None:
            emulator.counters.add("fault 504")
            raise lost
        return response

    def _tenant(self, emulator: Emulator) -> Tenant:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise GraphError(401, "InvalidAuthenticationToken", "Access token is empty.")
        tenant = emulator.by_token(token.strip())
        if tenant is None:
            raise GraphError(401, "InvalidAuthenticationToken",
                             "Access token validation failure. Invalid audience.")
        return tenant

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise GraphError(400, "BadRequest", "Unable to read JSON request payload.") \
                from None

    def _send(self, status: int, body: dict[str, Any] | None,
              headers: dict[str, str] | None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class EmulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        import sys
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # a client hanging up is no news

    def __init__(self, port: int = 0, emulator: Emulator | None = None) -> None:
        self.emulator = emulator or Emulator()
        super().__init__(("127.0.0.1", port), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class GraphEmulator:
    """The emulator in a background thread of this process: ``with GraphEmulator() as e``."""

    def __init__(self, port: int = 0) -> None:
        self.server = EmulatorServer(port)
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True,
                                        name="graph-emulator")

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def emulator(self) -> Emulator:
        return self.server.emulator

    def start(self) -> GraphEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> GraphEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


__all__ = ["Emulator", "EmulatorServer", "GraphEmulator", "error_body"]
