"""Parsing of option values shared by several commands."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from reconciler.errors import UserError


@dataclass(frozen=True)
class Options:
    """Global options (``-C``, ``--specs``, ``--debug``) shared by every command."""

    chdir: Path | None = None
    specs: Path | None = None
    debug: bool = False


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"([0-9]+)/([0-9]+)", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UserError(f"--shard {value!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])
