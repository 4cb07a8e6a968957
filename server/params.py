"""Query parameters checked before anything runs: revisions and billing spans.

Revision text comes from the network, so it is held to a narrow shape — a commit id, a
branch or tag name, optionally followed by ``~N``/``^N`` — before git sees it. Anything
else (a leading ``-``, shell metacharacters, ``@{...}``, ``:/search``, whitespace) is a 400
with a message saying what is accepted. ``gitrepo`` refuses options on its own as well.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from reconciler.billing.run import BillRequest

REV_PATTERN = r"[A-Za-z0-9_][A-Za-z0-9._/-]{0,199}(?:[~^][0-9]{0,4})*"
_REV = re.compile(REV_PATTERN)
REV_HELP = ("a commit id, branch or tag (letters, digits, '.', '_', '/', '-'), optionally "
            "followed by ~N or ^N")


class BadRequest(Exception):
    """A request the client can fix: answered 400 with this one-line message."""


def check_rev(name: str, value: str) -> str:
    if not _REV.fullmatch(value) or ".." in value or "//" in value:
        raise BadRequest(f"{name} {value!r}: not a revision; use {REV_HELP}")
    return value


def check_range(value: str) -> tuple[str, str]:
    """``A..B`` as (A, B), each side a revision; B may be empty (HEAD)."""
    base, sep, head = value.partition("..")
    if not sep:
        raise BadRequest(f"range {value!r}: a commit range is A..B (e.g. v1..HEAD)")
    check_rev("range", base)
    if head:
        check_rev("range", head)
    return base, head


@dataclass(frozen=True)
class BillingQuery:
    """A billing span as the client asked for it (at most one of the three ways)."""

    rev: str | None = None
    period: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    range: str | None = None

    def request(self, today: dt.date | None = None) -> BillRequest:
        return BillRequest(commit_range=self.range, period=self.period, start=self.start,
                           end=self.end, rev=self.rev, today=today)

    @property
    def default_span(self) -> bool:
        """No span given: the period containing today, up to today (it moves daily)."""
        return not (self.period or self.start or self.end or self.range)


def billing_query(rev: str | None, period: str | None, start: str | None, end: str | None,
                  span_range: str | None) -> BillingQuery:
    if rev is not None:
        check_rev("rev", rev)
    if span_range is not None:
        check_range(span_range)
    given = [name for name, value in (("period", period), ("from/to", start or end),
                                      ("range", span_range)) if value is not None]
    if len(given) > 1:
        raise BadRequest(f"give one span: {' and '.join(given)} cannot be combined")
    if (start is None) != (end is None):
        raise BadRequest("from and to go together: the days from..to, inclusive")
    if span_range is not None and rev is not None:
        raise BadRequest("range A..B already names the revision (B); drop rev")
    if period is not None and not re.fullmatch(r"[0-9]{4}-(0[1-9]|1[0-2])", period):
        raise BadRequest(f"period {period!r}: use YYYY-MM, e.g. 2026-10")
    query = BillingQuery(rev=rev, period=period, start=_date("from", start),
                         end=_date("to", end), range=span_range)
    if query.start and query.end and query.end < query.start:
        raise BadRequest(f"to {query.end} is before from {query.start}")
    return query


def _date(name: str, text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return dt.date.fromisoformat(text)
    except ValueError:
        raise BadRequest(f"{name} {text!r}: use a date like 2026-10-25") from None
