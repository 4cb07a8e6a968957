"""Emulators of the directories tenantry talks to: test support, and servers for benchmarks.

Not part of the installed package. ``python -m emulators.graph --port 8081`` runs the
Microsoft Graph emulator on its own.
"""
