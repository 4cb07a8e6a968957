"""Which module serves which ``provider:`` kind, and opening directories from config.

Modules are imported on first use so that ``tenantry --help`` never loads a directory
client (msgraph-sdk alone takes seconds to import).
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from providers.passwords import DEFAULT_PATH as DEFAULT_PASSWORDS
from providers.passwords import NewPasswords

from reconciler.errors import DirectoryUnavailable
from reconciler.planning.directory import Directory
from reconciler.specs import DirectoryConfig

PROVIDERS: dict[str, str] = {
    "local": "providers.local",
    "graph": "providers.graph",
    "ldap": "providers.ldap",
}

# Plan and apply work on several tenants at once (reconciler.planning.fanout): opening a
# directory and creating the passwords sink happen once, whichever thread asks first.
_LOCK = threading.RLock()


@dataclass(frozen=True)
class Context:
    """Where the spec repository lives; local paths in directories.yaml are relative to it.

    ``new_passwords`` is where providers record the initial password of each account they
    create (see ``providers.passwords``); nowhere else may a password be written.
    """

    root: Path
    new_passwords: NewPasswords | None = None

    def passwords(self) -> NewPasswords:
        with _LOCK:
            if self.new_passwords is None:
                object.__setattr__(self, "new_passwords",
                                   NewPasswords(self.root / DEFAULT_PASSWORDS))
        assert self.new_passwords is not None
        return self.new_passwords


class _Module(Protocol):
    def open_directory(self, name: str, config: DirectoryConfig, context: Context) -> Directory: ...


def open_directory(name: str, config: DirectoryConfig, context: Context) -> Directory:
    module_name = PROVIDERS.get(config.provider)
    if module_name is None:
        raise DirectoryUnavailable(
            f"directory {name!r}: provider {config.provider!r} is not available in this "
            f"version of tenantry (available: {', '.join(sorted(PROVIDERS))})")
    module: _Module = importlib.import_module(module_name)
    return module.open_directory(name, config, context)


class DirectoryPool:
    """Opens each directory once per command and closes them all at the end."""

    def __init__(self, configs: dict[str, DirectoryConfig], context: Context) -> None:
        self._configs = configs
        self._context = context
        self._open: dict[str, Directory] = {}

    def __call__(self, name: str) -> Directory:
        with _LOCK:
            if name not in self._open:
                self._open[name] = open_directory(name, self._configs[name], self._context)
            return self._open[name]

    def close(self) -> None:
        for directory in self._open.values():
            directory.close()
        self._open.clear()

    def __enter__(self) -> DirectoryPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
