"""``log`` as ``tenantry.log/1`` JSON: entries newest first, each with its changes per
tenant, the apply notes on its commit and the apply that carried it out."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

from reconciler.changes.logrun import LOG_SCHEMA, ChangeLog, LogEntry
from reconciler.changes.notes import ApplyNote

from .diff_json import fields_json, user_json


def document(log: ChangeLog) -> dict[str, Any]:
    zone = ZoneInfo(log.timezone)

    def entry(e: LogEntry) -> dict[str, Any]:
        return {"commit": e.commit,
                "date": dt.datetime.fromtimestamp(e.committed, zone).isoformat(),
                "author": e.author, "committer": e.committer,
                "merged_authors": list(e.merged_authors), "subject": e.subject,
                "pull_request": e.pull_request,
                "changes": [{"tenant": d.tenant, "name": d.name, "status": d.status.value,
                             "billing": fields_json(d.billing), "settings": fields_json(d.settings),
                             "users": [user_json(u) for u in d.users]} for d in e.changes],
                "notes": [note(n) for n in e.notes],
                "applied": {"commit": e.applied.commit, **note(e.applied.note)}
                if e.applied else None,
                "warnings": list(e.warnings)}

    return {"schema": LOG_SCHEMA, "target": log.target, "range": log.commit_range,
            "tip": log.tip, "timezone": log.timezone,
            "entries": [entry(e) for e in log.entries]}


def note(n: ApplyNote) -> dict[str, Any]:
    return n.to_json()


def render(log: ChangeLog) -> str:
    return json.dumps(document(log), ensure_ascii=False, indent=2) + "\n"
