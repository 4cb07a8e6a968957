"""The ``graph`` provider: Microsoft Entra ID (Office 365) users and licences through
Microsoft Graph, for one customer tenant or, as a GDAP partner app, for many.

msgraph-sdk and azure-identity (the ``graph`` extra) are imported only here, when a graph
directory is opened. The pieces: ``auth`` (a token per customer tenant), ``transport`` (the
SDK's request adapter, raw JSON), ``reading`` (the listing at the API floor), ``licences``
(SKU mapping and what Graph would refuse), ``operations`` (changes as requests),
``batches`` ($batch with dependsOn and per-request retries), ``marker`` (ownership).
"""

from __future__ import annotations

from reconciler.specs import DirectoryConfig, GraphDirectory

from ..registry import Context
from .directory import EntraDirectory


def open_directory(name: str, config: DirectoryConfig, context: Context) -> EntraDirectory:
    assert isinstance(config, GraphDirectory)
    return EntraDirectory(name, config, context)


__all__ = ["EntraDirectory", "open_directory"]
