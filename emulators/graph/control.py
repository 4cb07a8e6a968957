"""A small client for the emulator's controls, for tests and benchmarks (stdlib only)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any, Sequence


class EmulatorControl:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.url}/_emulator/{path}", data=data,
                                         method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=120) as response:
            raw = response.read()
        return json.loads(raw) if raw else None

    def reset(self, **switches: Any) -> None:
        self._call("POST", "reset", switches)

    def switches(self, **switches: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "switches", switches)
        return result

    def tenant(self, tenant_id: str, token: str, *, skus: dict[str, int] | None = None,
               domains: Sequence[str] = ()) -> None:
        self._call("PUT", f"tenants/{tenant_id}", {
            "token": token, "domains": list(domains),
            "skus": [{"skuPartNumber": name, "enabled": seats}
                     for name, seats in (skus or {}).items()]})

    def add_users(self, tenant_id: str, users: Sequence[dict[str, Any]]) -> list[str]:
        ids: list[str] = self._call("POST", f"tenants/{tenant_id}/users",
                                    {"users": list(users)})["ids"]
        return ids

    def users(self, tenant_id: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._call("GET", f"tenants/{tenant_id}/users")["value"]
        return found

    def created(self, tenant_id: str) -> int:
        """How many users Graph requests have created in the tenant (seeded ones aside)."""
        count: int = self._call("GET", f"tenants/{tenant_id}/users")["created"]
        return count

    def skus(self, tenant_id: str) -> dict[str, dict[str, Any]]:
        value = self._call("GET", f"tenants/{tenant_id}/skus")["value"]
        return {s["skuPartNumber"]: s for s in value}

    def set_seats(self, tenant_id: str, seats: dict[str, int]) -> None:
        self._call("PATCH", f"tenants/{tenant_id}/skus", seats)

    def stats(self) -> dict[str, int]:
        counts: dict[str, int] = self._call("GET", "stats")["requests"]
        return counts

    def reset_stats(self) -> None:
        self._call("POST", "stats/reset")
