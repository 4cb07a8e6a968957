"""The one module that talks to git.

Plan/apply need little: where the repository is, HEAD, whether the specs are dirty, and a
note on the applied commit. GitPython finds the repository; everything else is plain git
commands, which is what GitPython runs underneath anyway.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

from .errors import UserError

NOTES_REF = "refs/notes/tenantry"


@dataclass(frozen=True)
class Repo:
    root: Path

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        try:
            proc = subprocess.run(["git", "-C", str(self.root), *args], input=input,
                                  capture_output=True, check=False)
        except FileNotFoundError:
            raise UserError("git is not installed or not on PATH") from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip().splitlines()
            raise UserError(f"git {args[0]}: {message[-1] if message else 'failed'}")
        return proc.stdout.decode()

    def head(self) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return out.strip() or None

    def resolve(self, rev: str) -> str:
        out = self.git("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
        if not out.strip():
            raise UserError(f"unknown revision {rev!r}; use a commit, branch or tag")
        return out.strip()

    def is_dirty(self, paths: Sequence[Path]) -> bool:
        rel = [str(p.resolve().relative_to(self.root)) if p.resolve().is_relative_to(self.root)
               else str(p) for p in paths]
        out = self.git("status", "--porcelain", "--untracked-files=all", "--", *rel)
        return bool(out.strip())

    def add_note(self, commit: str, record: dict[str, Any]) -> None:
        """Append one JSON line to the tenantry note on ``commit`` (an apply's outcome)."""
        line = json.dumps(record, sort_keys=True, separators=(",", ":"))
        self.git("notes", "--ref", NOTES_REF, "append", "-m", line, commit)

    def notes(self, commit: str) -> list[dict[str, Any]]:
        out = self.git("notes", "--ref", NOTES_REF, "show", commit, check=False)
        return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


def discover(path: Path) -> Repo | None:
    """The git repository containing ``path``, or None."""
    import git  # GitPython: imported here so that commands without git stay fast

    try:
        found = git.Repo(path, search_parent_directories=True)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        return None
    if found.working_tree_dir is None:
        return None
    return Repo(Path(found.working_tree_dir).resolve())
