"""A Microsoft Graph v1.0 emulator for what tenantry uses: users, licences, ``$batch``.

It follows Microsoft's documented behaviour (paging, ``$select``, ``$top`` limits, error
bodies, ``$batch`` rules, assignLicense errors, live ``consumedUnits``) for several customer
tenants at once, chosen by bearer token, with switches for faults (429 with Retry-After,
503, responses lost after a write), latency and read lag, and a request counter per route.

In tests: ``python -m emulators.graph --port 0`` in a subprocess (it prints its URL), or
``GraphEmulator()`` in a thread; ``EmulatorControl(url)`` sets it up and reads counters.
"""

from .control import EmulatorControl
from .server import GraphEmulator

__all__ = ["EmulatorControl", "GraphEmulator"]
