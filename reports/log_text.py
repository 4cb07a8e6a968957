"""``log`` for a terminal: one block per commit, newest first.

    2026-03-04 10:15 +1300  1a2b3c4d5e6f  Jo Bloggs <jo@example.net>  PR #12
        Merge pull request #12 from msp/alice-e3
      contoso: + seat M365-E3 for alice (alice@contoso.example)
      applied 2026-03-04T10:20:03+00:00 by tenantry 0.1.0 on 1a2b3c4d5e6f: 3 done, 0 failed
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from reconciler.changes.logrun import ChangeLog
from reconciler.changes.notes import ApplyNote

from .bill_common import short
from .change_lines import tenant_lines
from .safe_text import terminal_text


def render(log: ChangeLog) -> str:
    zone = ZoneInfo(log.timezone)
    what = log.target or "every tenant"
    span = f" in {log.commit_range}" if log.commit_range else ""
    out = [f"tenantry log {what}{span} (times in {log.timezone})"]
    if not log.entries:
        out += ["", "No commits changed it."]
    for e in log.entries:
        when = dt.datetime.fromtimestamp(e.committed, zone)
        pr = f"  PR {e.pull_request}" if e.pull_request else ""
        out += ["", f"{when:%Y-%m-%d %H:%M %z}  {short(e.commit)}  {e.author}{pr}",
                f"    {e.subject}"]
        if e.merged_authors:
            out.append(f"    merged commits by {', '.join(e.merged_authors)}")
        for delta in e.changes:
            out += [f"  {delta.tenant}: {symbol} {text}" for symbol, text in tenant_lines(delta)]
        out += [f"  warning: {w}" for w in e.warnings]
        out += [f"  note: {_note(n, e.commit)}" for n in e.notes]
        if e.applied is not None and e.applied.commit != e.commit:
            out.append(f"  applied later: {_note(e.applied.note, e.applied.commit)}")
    return terminal_text("\n".join(out)) + "\n"


def _note(n: ApplyNote, commit: str) -> str:
    version = f" by tenantry {n.tool_version}" if n.tool_version else ""
    text = (f"applied {n.applied_at}{version} on {short(commit)}: {n.applied} done, "
            f"{n.failed} failed")
    if n.skipped:
        text += f", {n.skipped} skipped"
    if n.not_planned:
        text += f"; not planned: {', '.join(n.not_planned)}"
    if n.dirty:
        text += " (uncommitted specs)"
    failures = "; ".join(f"{f.change}: {f.message}" if f.message else f.change
                         for f in n.failures)
    return text + (f" — {failures}" if failures else "")
