"""Where a command runs: the spec folder, the git repository around it, its directories."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from reconciler.errors import UserError
from reconciler.gitrepo import Repo, discover
from reconciler.specs import ParseCache, gc_paused
from reconciler.specs.loading import load_specs, read_tree
from reconciler.specs.tree import Specs
from tenantry.options import Options

if TYPE_CHECKING:
    from providers.registry import DirectoryPool

DEFAULT_SPECS = "specs"
CACHE = ".tenantry/cache"
# Set to bypass every cache under .tenantry/cache (parsed files, history, reports).
NO_CACHE_ENV = "TENANTRY_NO_CACHE"


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

    @property
    def cache_dir(self) -> Path | None:
        """Where caches live: ``.tenantry/cache`` at the top of the spec repository (None
        outside git, or with TENANTRY_NO_CACHE set)."""
        if self.repo is None or os.environ.get(NO_CACHE_ENV):
            return None
        return self.repo.root / CACHE

    def require_specs_dir(self) -> None:
        """Refuse a missing spec folder with the same words as ``validate``."""
        if not self.specs_dir.is_dir():
            read_tree(self.specs_dir)  # raises "specs folder ... not found; ..."

    def load(self) -> Specs:
        # Unchanged tenant files come from the parse cache bill keeps too (by content). The
        # specs stay alive until the command ends: frozen, the collector never walks them.
        with gc_paused(freeze=True):
            return load_specs(read_tree(self.specs_dir), label=self.label,
                              cache=ParseCache(self.cache_dir))

    def directories(self, specs: Specs, new_passwords: Path | None = None) -> DirectoryPool:
        """The spec's directories, opened on first use. ``new_passwords`` (relative to the
        current folder) is where apply records initial passwords of created accounts."""
        # Imported here: validate and bill never open a directory (and the plan model the
        # providers import costs ~0.1 s of start-up).
        from providers.passwords import NewPasswords
        from providers.registry import Context, DirectoryPool

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
