"""Parsing of option values shared by several commands."""

from __future__ import annotations

import re

from reconciler.errors import UserError


def parse_shard(value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    match = re.fullmatch(r"([0-9]+)/([0-9]+)", value)
    if not match or not 1 <= int(match[1]) <= int(match[2]):
        raise UserError(f"--shard {value!r}: use I/N with 1 <= I <= N, e.g. --shard 2/4")
    return int(match[1]), int(match[2])
