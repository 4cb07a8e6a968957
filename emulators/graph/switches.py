"""What tests and benchmarks turn on: faults, latency, read lag; and what they read back:
a request counter per route."""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import Any

from .errors import GraphError


@dataclass
class Switches:
    latency: float = 0.0            # seconds added to every HTTP request
    read_lag: float = 0.0           # reads see the directory as it was this many seconds ago
    throttle_rate: float = 0.0      # share of requests answered 429 (with Retry-After)
    unavailable_rate: float = 0.0   # share answered 503
    lost_response_rate: float = 0.0 # share of writes carried out, then answered 504
    retry_after: int = 1            # seconds, in the Retry-After of a 429
    throttle_batched_next: int = 0  # the next N requests inside $batch bodies get a 429
    expire_page_tokens: bool = False  # every $skiptoken has expired (a listing cut short)
    seed: int | None = None

    def update(self, values: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for key, value in values.items():
            if key not in known:
                raise ValueError(f"unknown switch {key!r} (known: {', '.join(sorted(known))})")
            setattr(self, key, value)


@dataclass
class Faults:
    """Decides, request by request, whether to inject a fault (thread-safe)."""

    switches: Switches
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reseed(self) -> None:
        with self._lock:
            self._rng = random.Random(self.switches.seed)

    def _roll(self) -> float:
        with self._lock:
            return self._rng.random()

    def before(self, batched: bool = False) -> GraphError | None:
        """A fault that stops the request before it runs (the request had no effect)."""
        s = self.switches
        if batched and s.throttle_batched_next > 0:
            with self._lock:
                s.throttle_batched_next -= 1
            return self._throttled()
        if not (s.throttle_rate or s.unavailable_rate):
            return None
        roll = self._roll()
        if roll < s.throttle_rate:
            return self._throttled()
        if roll < s.throttle_rate + s.unavailable_rate:
            return GraphError(503, "ServiceNotAvailable", "The service is temporarily "
                              "unavailable. Please retry later.")
        return None

    def _throttled(self) -> GraphError:
        return GraphError(429, "TooManyRequests", "Too many requests. Retry after the number "
                          "of seconds in the Retry-After header.",
                          {"Retry-After": str(self.switches.retry_after)})

    def after(self, method: str) -> GraphError | None:
        """A fault that loses the response of a write that was carried out."""
        rate = self.switches.lost_response_rate
        if rate and method != "GET" and self._roll() < rate:
            return GraphError(504, "GatewayTimeout", "The gateway did not receive a response "
                              "in time.")
        return None

    def shuffle(self, items: list[Any]) -> None:
        with self._lock:
            self._rng.shuffle(items)


class Counters:
    """Requests per route (``GET /users``, ``$batch POST /users``, ...) and faults injected."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, key: str) -> None:
        with self._lock:
            self._counts[key] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))

    def reset(self) -> None:
        with self._lock:
            self._counts.clear()
