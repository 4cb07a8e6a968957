"""How to run this tenantry again, for hints that must work exactly as printed."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path


def tenantry_command() -> str:
    """``tenantry`` when PATH finds this very script, else its absolute path (after the
    README's quickstart it lives in .venv/bin, not on PATH), else ``python -m tenantry``."""
    script = Path(sys.executable).parent / "tenantry"
    if not script.is_file():
        return f"{shlex.quote(sys.executable)} -m tenantry"
    found = shutil.which("tenantry")
    if found and Path(found).resolve() == script.resolve():
        return "tenantry"
    return shlex.quote(str(script.absolute()))


def activate_hint() -> str | None:
    """How to put tenantry on PATH, when it is in a virtual environment that is not active."""
    activate = Path(sys.executable).parent / "activate"
    if tenantry_command() != "tenantry" and activate.is_file():
        return f"To type just 'tenantry', first run: source {shlex.quote(str(activate))}"
    return None
