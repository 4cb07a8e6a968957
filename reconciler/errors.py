"""Errors that reach the user as one ``error: ...`` line and exit code 1.

Everything a user can cause (bad specs, a stale plan, an unreachable directory) raises a
``UserError``; the CLI's single error boundary turns it into text. Anything else is a bug
and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

# A location inside a YAML document: the keys and list indexes from the root.
Path = tuple[str | int, ...]


class UserError(Exception):
    """A problem the user can fix; its message is one line saying what to do."""


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with one spec file, at a position resolved for display.

    ``line``/``col`` are 1-based; 0 means "the file as a whole".
    """

    file: str
    line: int
    col: int
    message: str
    severity: str = field(default="error", compare=False)

    def render(self) -> str:
        where = self.file if self.line == 0 else f"{self.file}:{self.line}:{self.col}"
        return f"{where}: {self.severity}: {self.message}"


class SpecInvalid(UserError):
    """The specs have problems; every one of them is listed, not just the first."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__(f"{len(self.problems)} problem(s) in the specs")


class DirectoryUnavailable(UserError):
    """A directory could not be read completely; nothing may be planned from it."""
