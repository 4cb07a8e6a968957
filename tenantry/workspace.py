"""Where a command runs: the spec folder, the git repository around it, its directories."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from providers.passwords import NewPasswords
from providers.registry import Context, DirectoryPool
from reconciler.errors import UserError
from reconciler.gitrepo import Repo, discover
from reconciler.specs.loading import load_specs, read_tree
from reconciler.specs.tree import Specs
from tenantry.options import Options

DEFAULT_SPECS = "specs"


class Workspace:
    def __init__(self, options: Options) -> None:
        base = Path.cwd()
        if options.chdir is not None:
            base = (base / options.chdir).resolve()
            if not base.is_dir():
                raise UserError(f"-C {str(options.chdir)!r}: no such folder")
        self.cwd = base
        self.specs_dir = (base / (options.specs or DEFAULT_SPECS)).resolve()
        # Messages name spec files the way the user would type them from where they are.
        self.label = _display(self.specs_dir, base)

    @cached_property
    def repo(self) -> Repo | None:
        return discover(self.specs_dir if self.specs_dir.exists() else self.cwd)

    @property
    def root(self) -> Path:
        """The spec repository's top folder: local directory files live under it."""
        return self.repo.root if self.repo else self.cwd

    def require_specs_dir(self) -> None:
        """Refuse a missing spec folder with the same words as ``validate``."""
        if not self.specs_dir.is_dir():
            read_tree(self.specs_dir)  # raises "specs folder ... not found; ..."

    def load(self) -> Specs:
        return load_specs(read_tree(self.specs_dir), label=self.label)

    def directories(self, specs: Specs, new_passwords: Path | None = None) -> DirectoryPool:
        """The spec's directories, opened on first use. ``new_passwords`` (relative to the
        current folder) is where apply records initial passwords of created accounts."""
        sink = NewPasswords(self.cwd / new_passwords) if new_passwords is not None else None
        return DirectoryPool(dict(specs.directories.directories),
                             Context(root=self.root, new_passwords=sink))

    def specs_dirty(self) -> bool:
        return self.repo is not None and self.repo.is_dirty([self.specs_dir])


def _display(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base) if path.is_relative_to(base) else str(path)
    except ValueError:
        return str(path)
