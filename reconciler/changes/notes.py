"""The apply note: a small versioned JSON document (``tenantry.apply/1``) that ``apply``
leaves on the applied commit under ``refs/notes/tenantry``, one line per apply.

It says when, which tenants, how many changes were done, failed and skipped, why each
failure failed, and which tenantry did it. Failure messages come from directories; they
are cleaned before they are written (secrets that the directories' ``*_env`` variables hold
are masked, control characters dropped, length capped), because notes are pushed to the
same remote as the specs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

NOTE_SCHEMA = "tenantry.apply/1"
MAX_FAILURES = 50  # failures listed in one note; the count covers all of them
MAX_MESSAGE = 300
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
MASK = "***"


@dataclass(frozen=True)
class Failure:
    change: str  # the change id, e.g. "acme/bo/create"
    message: str


@dataclass(frozen=True)
class ApplyNote:
    applied_at: str  # ISO 8601, UTC
    tool_version: str
    revision: str | None  # the commit the note is on
    dirty: bool  # the applied specs differed from that commit
    tenants: tuple[str, ...]  # tenants with changes in the plan
    applied: int
    failed: int
    skipped: int
    failures: tuple[Failure, ...] = ()  # at most MAX_FAILURES
    skipped_changes: tuple[str, ...] = ()
    not_planned: tuple[str, ...] = ()  # tenants whose directory could not be read
    schema: str = NOTE_SCHEMA

    @property
    def ok(self) -> bool:
        return not (self.failed or self.not_planned)

    def to_json(self) -> dict[str, Any]:
        return {"schema": self.schema, "applied_at": self.applied_at,
                "tool_version": self.tool_version, "revision": self.revision,
                "dirty": self.dirty, "tenants": list(self.tenants),
                "counts": {"applied": self.applied, "failed": self.failed,
                           "skipped": self.skipped},
                "failures": [{"change": f.change, "message": f.message}
                             for f in self.failures],
                "skipped": list(self.skipped_changes), "not_planned": list(self.not_planned)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ApplyNote:
        if data.get("schema") == NOTE_SCHEMA:
            counts = data["counts"]
            return cls(str(data["applied_at"]), str(data["tool_version"]), data.get("revision"),
                       bool(data["dirty"]), tuple(data["tenants"]), int(counts["applied"]),
                       int(counts["failed"]), int(counts["skipped"]),
                       tuple(Failure(f["change"], f["message"]) for f in data["failures"]),
                       tuple(data["skipped"]), tuple(data["not_planned"]))
        # Notes written before the schema existed: counts were lists of change ids.
        failed, skipped = list(data.get("failed", [])), list(data.get("skipped", []))
        return cls(str(data["applied_at"]), str(data.get("tool_version", "")), None,
                   bool(data.get("dirty", False)), tuple(data.get("tenants", [])),
                   int(data.get("applied", 0)), len(failed), len(skipped),
                   tuple(Failure(str(c), "") for c in failed), tuple(skipped),
                   tuple(data.get("not_planned", [])), schema="")


def build(*, applied_at: str, tool_version: str, revision: str | None, dirty: bool,
          tenants: Iterable[str], applied: int, failures: Iterable[tuple[str, str]],
          skipped: Iterable[str], not_planned: Iterable[str],
          secrets: Iterable[str] = ()) -> ApplyNote:
    failed = sorted(failures)
    masked = [s for s in secrets if len(s) >= 4]
    return ApplyNote(
        applied_at=applied_at, tool_version=tool_version, revision=revision, dirty=dirty,
        tenants=tuple(sorted(set(tenants))), applied=applied, failed=len(failed),
        skipped=len(list(skipped := sorted(skipped))),
        failures=tuple(Failure(change, clean(message, masked))
                       for change, message in failed[:MAX_FAILURES]),
        skipped_changes=tuple(skipped), not_planned=tuple(sorted(not_planned)))


def clean(message: str, secrets: Iterable[str] = ()) -> str:
    """A directory's error message fit for a note: secrets masked, one line, capped."""
    for secret in sorted(secrets, key=len, reverse=True):
        message = message.replace(secret, MASK)
    message = _CONTROL.sub(" ", message).strip()
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 1] + "…"


def parse_notes(text: str) -> list[ApplyNote]:
    """Every apply recorded in a note's text; lines that are not ours are skipped."""
    found = []
    for line in text.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            found.append(ApplyNote.from_json(json.loads(line)))
        except (ValueError, KeyError, TypeError):
            continue
    return found
