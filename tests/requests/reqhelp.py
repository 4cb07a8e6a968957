"""A spec repository for request tests: a hand-written tenant file (comments, its own
spacing) next to ordinary ones, and the forge emulator."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from conftest import CATALOG, SpecRepo, tenant, to_yaml, user

# Written by hand, the way people do: comments everywhere, aligned values, compact lists.
CONTOSO = """\
# Contoso Ltd: managed since 2026.
name: Contoso Ltd
domain: contoso.example
users:
  # The owner; never remove.
  alice:
    upn:          alice@contoso.example   # she asked for this one
    display_name: Alice Smith
    skus: [M365-BP,SUPPORT]
  # Bob runs the warehouse.
  bob:
    upn:          bob@contoso.example
    display_name: Bob Jones
    given_name:   Bob
    enabled: false
    skus: [EXO-P1]
"""

NORTHWIND = tenant("Northwind", {"nina": user("nina@northwind.example", "Nina Novak",
                                              skus=["M365-BP"])},
                   domain="northwind.example")


def seed(repo: SpecRepo) -> str:
    """Catalog, contoso (hand-written) and northwind, committed on main; returns the sha."""
    return repo.commit_specs({"catalog.yaml": CATALOG, "tenants/contoso.yaml": CONTOSO,
                              "tenants/northwind.yaml": to_yaml(NORTHWIND)}, "seed",
                             date="2026-03-01T09:00:00Z")


@dataclass
class Forge:
    """A loopback stand-in for GitHub's and GitLab's REST APIs: records each call and
    answers the way they do (201 and the new pull request), or with ``fail`` (status,
    message)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    fail: tuple[int, str] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def forge_server() -> Iterator[Forge]:
    forge = Forge()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            forge.calls.append({"path": self.path,
                                "headers": {k.lower(): v for k, v in self.headers.items()},
                                "body": body})
            if forge.fail:
                self._answer(forge.fail[0], {"message": forge.fail[1]})
            elif "/merge_requests" in self.path:
                self._answer(201, {"iid": len(forge.calls) + 40,
                                   "web_url": f"{forge.url}/mr/{len(forge.calls) + 40}"})
            else:
                self._answer(201, {"number": len(forge.calls) + 100,
                                   "html_url": f"{forge.url}/pull/{len(forge.calls) + 100}"})

        def _answer(self, status: int, doc: dict[str, Any]) -> None:
            data = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    forge.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield forge
    finally:
        server.shutdown()
        server.server_close()
