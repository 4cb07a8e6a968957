"""Parsed tenant files, cached by content, so that no version is parsed or validated twice.

The key is the file's git blob id (``blob_id``: the same sha1 ``git hash-object`` gives, so
a working-tree file and the same version in history share one entry), under a folder named
by the loader version and the schema version: a tenantry that reads YAML or validates
differently never sees another's entries. ``validate``, ``plan`` and ``bill`` share it.

An entry holds a valid version as the JSON of its validated ``TenantSpec`` (``Parsed``), or
an invalid one as its first problem, located (``Invalid``: what billing reports about a
broken historical file). Each file starts with a header naming the blob and a sha256 of the
body; an entry whose header, digest or body does not check out is treated as missing, so a
corrupt or truncated entry is parsed again and rewritten, never trusted. Entries are written
to a temporary file and renamed into place, so concurrent runs and crashes leave a whole
entry or none. Nothing is cached that is not in the file itself: the cache can be deleted at
any time.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import pydantic
import yaml

from reconciler.atomicfile import write_atomic
from reconciler.specs.documents import DocumentInvalid, parse
from reconciler.specs.model import TenantSpec
from reconciler.specs.yamlpos import position

# Bump when what an entry holds changes shape. Changes to how files are read or validated
# need no bump: the folder name also hashes the sources that decide them (below).
CACHE_VERSION = 1
_MAGIC = b"tenantry-parsed"
FOLDER = "parsed"
_LEGACY = ("tenants-v1",)  # billing's record cache before it was shared

# Modules whose code decides what a file parses to (loader) and what validates (schema).
_LOADER_MODULES = ("yamlsafe.py", "documents.py", "messages.py", "modelpath.py",
                   "yamlpos.py", "cache.py")
_SCHEMA_MODULES = ("model.py", "fields.py", "directories.py", "currencies.py")


def blob_id(data: bytes) -> str:
    """Git's object id for a blob with this content (what ``git hash-object`` prints)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


@lru_cache(maxsize=1)
def loader_version() -> str:
    """A short hash of the YAML loader: its sources, PyYAML's version, ``CACHE_VERSION``."""
    return _fingerprint(f"{CACHE_VERSION}/{yaml.__version__}", _LOADER_MODULES)


@lru_cache(maxsize=1)
def schema_version() -> str:
    """A short hash of the spec models: their sources and pydantic's version."""
    return _fingerprint(pydantic.VERSION, _SCHEMA_MODULES)


def _fingerprint(seed: str, modules: tuple[str, ...]) -> str:
    digest = hashlib.sha256(seed.encode())
    here = Path(__file__).parent
    for name in modules:
        digest.update(name.encode())
        try:
            digest.update((here / name).read_bytes())
        except OSError:  # pragma: no cover - sources always ship with the package
            digest.update(b"?")
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Invalid:
    """A tenant file version that does not parse or validate: its first problem, located.

    ``line`` is 0 when the problem concerns the file as a whole; ``more`` counts the others.
    """

    line: int
    message: str
    more: int

    def describe(self) -> str:
        where = f"line {self.line}: " if self.line else ""
        more = f" (and {self.more} more)" if self.more else ""
        return f"{where}{self.message}{more}"


@dataclass(frozen=True)
class Parsed:
    """A valid tenant file version, as the JSON of its validated model."""

    payload: bytes
    # The model itself when this process parsed the file (no need to rebuild it).
    _spec: TenantSpec | None = field(default=None, compare=False, repr=False)

    def spec(self) -> TenantSpec:
        """The model; rebuilt from the JSON when another process or run parsed it."""
        return self._spec if self._spec is not None \
            else TenantSpec.model_validate_json(self.payload)

    @property
    def built(self) -> TenantSpec | None:
        """The model, if this process parsed the file (then it costs nothing)."""
        return self._spec

    def data(self) -> dict[str, Any]:
        """The model's fields as plain JSON values (faster than ``spec()`` for readers that
        need a few fields of every version)."""
        loaded: dict[str, Any] = json.loads(self.payload)
        return loaded

    def __reduce__(self) -> tuple[type[Parsed], tuple[bytes]]:
        # Only the JSON crosses a process boundary: smaller and faster than the model.
        return Parsed, (self.payload,)


Entry = Parsed | Invalid


def parse_entry(data: bytes) -> Entry:
    """Parse and validate one tenant file version."""
    try:
        spec = parse(TenantSpec, data)
    except DocumentInvalid as exc:
        return invalid(data, exc)
    return Parsed(spec.model_dump_json().encode(), spec)


def invalid(data: bytes, exc: DocumentInvalid) -> Invalid:
    problem = exc.problems[0]
    if exc.yaml_level is not None:
        line = exc.yaml_level[0]
    else:
        line = position(data, problem.path, at_key=problem.at_key)[0]
    return Invalid(line, problem.message, len(exc.problems) - 1)


class ParseCache:
    """Entries in memory and, given a folder, on disk (``folder/parsed/<versions>/``)."""

    def __init__(self, folder: Path | None, *, memory: bool = True) -> None:
        self.version = f"{loader_version()}-{schema_version()}"
        self.root = folder / FOLDER / self.version if folder else None
        self.base = folder
        # Keep entries read or parsed (validate reads them again); billing keeps records
        # of its own and turns memory off: thousands of models would not fit.
        self.memory = memory
        self._memory: dict[str, Entry] = {}
        self._made = False
        self._folders: set[str] = set()  # fan-out folders known to exist
        self.hits = 0  # entries read from disk

    def _path(self, blob: str) -> Path:
        assert self.root is not None
        return self.root / blob[:2] / blob[2:]

    def get(self, blob: str) -> Entry | None:
        entry = self._memory.get(blob)
        if entry is not None or self.root is None:
            return entry
        try:
            raw = self._path(blob).read_bytes()
        except OSError:
            return None
        entry = decode(blob, raw)
        if entry is not None:
            if self.memory:
                self._memory[blob] = entry
            self.hits += 1
        return entry

    def put(self, blob: str, entry: Entry) -> None:
        """Remember an entry and write it to disk."""
        self.remember(blob, entry)
        if self.root is None:
            return
        path = self._path(blob)
        try:
            if not self._made:
                self._prepare()
            if blob[:2] not in self._folders:
                path.parent.mkdir(exist_ok=True)
                self._folders.add(blob[:2])
            write_atomic(path, encode(blob, entry), durable=False)
        except OSError:
            pass  # a cache that cannot be written only costs time next run

    def remember(self, blob: str, entry: Entry) -> None:
        """Hold an entry in memory only (another process parsed and wrote it)."""
        if self.memory:
            self._memory[blob] = entry

    def retain(self, blobs: set[str]) -> None:
        """Forget the in-memory entries not in ``blobs``: a long-running reader's bound."""
        self._memory = {blob: e for blob, e in self._memory.items() if blob in blobs}

    def _prepare(self) -> None:
        """Create the folder; drop entries of other versions (they are never read again)."""
        assert self.root is not None and self.base is not None
        self._made = True
        if self.root.is_dir():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        ignore = self.base / ".gitignore"
        if not ignore.exists():
            # The cache never belongs in git, even where .tenantry/ is not ignored.
            write_atomic(ignore, b"*\n", durable=False)
        stale = [p for p in self.root.parent.iterdir() if p != self.root]
        stale += [self.base / name for name in _LEGACY]
        for path in stale:
            shutil.rmtree(path, ignore_errors=True)


def encode(blob: str, entry: Entry) -> bytes:
    body = b"V" + entry.payload if isinstance(entry, Parsed) else \
        b"I" + json.dumps([entry.line, entry.message, entry.more]).encode()
    return b"%s %s %s\n%s" % (_MAGIC, blob.encode(), hashlib.sha256(body).hexdigest().encode(),
                              body)


def decode(blob: str, raw: bytes) -> Entry | None:
    """The entry in ``raw``, or None unless it is whole and written for ``blob``."""
    header, newline, body = raw.partition(b"\n")
    parts = header.split(b" ")
    if not newline or len(parts) != 3 or parts[0] != _MAGIC or parts[1] != blob.encode() \
            or parts[2] != hashlib.sha256(body).hexdigest().encode():
        return None
    kind, rest = body[:1], body[1:]
    if kind == b"V":
        return Parsed(rest)
    try:
        line, message, more = json.loads(rest)
    except (ValueError, TypeError):
        return None
    if kind != b"I" or not (isinstance(line, int) and isinstance(message, str)
                            and isinstance(more, int)):
        return None
    return Invalid(line, message, more)
