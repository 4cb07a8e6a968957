"""Spans (SPEC §6.4): --period, --from/--to, A..B, --rev, the default span; bad input.
Billing time zone UTC, calendar months unless a test says so: March has 31 days.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from billhelp import bill, half_up, line, quantity, setup, span
from conftest import Cli, SpecRepo, tenant, user


@pytest.fixture
def three(repo: SpecRepo) -> tuple[str, str, str]:
    """c1 03-05 10:00 adds al (M365-BP); c2 03-12 10:00 adds bo (SUPPORT); c3 03-20 10:00
    removes al."""
    c1 = setup(repo, date="2026-03-05T10:00:00+00:00", tenants={"acme": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"])})})
    c2 = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example", skus=["M365-BP"]),
        "bo": user("bo@acme.example", skus=["SUPPORT"])})}, "bo", date="2026-03-12T10:00:00Z")
    c3 = repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {
        "al": user("al@acme.example"), "bo": user("bo@acme.example", skus=["SUPPORT"])})},
        "al out", date="2026-03-20T10:00:00Z")
    return c1, c2, c3


def test_commit_range(cli: Cli, three: tuple[str, str, str]) -> None:
    c1, c2, c3 = three
    doc = bill(cli, f"{c1}..{c3}")
    # The days after c1's day (03-05) up to and including c3's day: 03-06 .. 03-20
    assert span(doc) == ("2026-03-06", "2026-03-20", 15, None)
    assert doc["revision"] == c3
    # al 03-06 .. 03-20 = 15 days: 36.50 × 15/31 = 17.6612… → 17.66
    # bo 03-12 .. 03-20 = 9 days: 25.00 × 9/31 = 7.2580… → 7.26
    al, bo = line(doc, "acme", "al", "M365-BP"), line(doc, "acme", "bo", "SUPPORT")
    assert (al["billable_days"], al["amount"], bo["billable_days"], bo["amount"]) == \
        (15, "17.66", 9, "7.26")

    # Consecutive ranges never bill a day twice, and together bill every day once.
    first, second = bill(cli, f"{c1}..{c2}"), bill(cli, f"{c2}..{c3}")
    assert span(first) == ("2026-03-06", "2026-03-12", 7, None)
    assert span(second) == ("2026-03-13", "2026-03-20", 8, None)
    # al: 7 + 8 = 15 days: 36.50 × 7/31 = 8.2419… → 8.24; 36.50 × 8/31 = 9.4193… → 9.42
    # bo: 1 + 8 = 9 days: 25.00 × 1/31 = 0.8064… → 0.81; 25.00 × 8/31 = 6.4516… → 6.45
    assert [(x["user"], x["billable_days"], x["amount"]) for x in first["lines"]] == \
        [("al", 7, "8.24"), ("bo", 1, "0.81")]
    assert [(x["user"], x["billable_days"], x["amount"]) for x in second["lines"]] == \
        [("al", 8, "9.42"), ("bo", 8, "6.45")]

    # Symbolic revisions, and "A.." meaning A..HEAD.
    assert bill(cli, "HEAD~2..HEAD") == doc
    assert bill(cli, f"{c1}..") == doc


def test_rev_bills_an_older_revision_as_a_forecast(cli: Cli, three: tuple[str, str, str]) -> None:
    _, c2, _ = three
    doc = bill(cli, "--period", "2026-03", "--rev", c2)
    assert doc["revision"] == c2
    # At c2 al still holds the seat, and days after c2 are billed from c2's state:
    # al 03-05 .. 03-31 = 27 days: 36.50 × 27/31 = 31.7903… → 31.79
    # bo 03-12 .. 03-31 = 20 days: 25.00 × 20/31 = 16.1290… → 16.13
    assert (line(doc, "acme", "al", "M365-BP")["amount"],
            line(doc, "acme", "bo", "SUPPORT")["amount"]) == ("31.79", "16.13")
    # At HEAD al left on 03-20: 03-05 .. 03-20 = 16 days: 36.50 × 16/31 = 18.8387… → 18.84
    assert line(bill(cli, "--period", "2026-03"), "acme", "al", "M365-BP")["amount"] == "18.84"


def test_from_to_across_periods(cli: Cli, three: tuple[str, str, str]) -> None:
    doc = bill(cli, "--from", "2026-03-25", "--to", "2026-04-05")
    assert span(doc) == ("2026-03-25", "2026-04-05", 12, None)
    bo = line(doc, "acme", "bo", "SUPPORT")
    # Each day at its own period's N: 7 March days of 31, 5 April days of 30:
    # 25.00 × 7/31 + 25.00 × 5/30 = 5.6451… + 4.1666… = 9.8118… → 9.81
    assert (bo["days"], bo["amount"]) == (12, "9.81")
    assert quantity(doc, "acme", "SUPPORT")["quantity"] == "1.0000"  # 12 seat-days / 12


def test_default_span_is_the_current_period_up_to_today(repo: SpecRepo, cli: Cli) -> None:
    # Dates relative to today, in the billing time zone (UTC).
    today = dt.datetime.now(dt.UTC).date()
    setup(repo, billing={"close_day": 25}, date=today - dt.timedelta(days=70),
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["SUPPORT"])})})

    # close_day 25: today's period ends on the 25th of this month if today is on or before
    # the 25th, else on the 25th of next month; it starts the day after the previous 25th.
    year, month = today.year, today.month
    if today.day > 25:
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
    start = dt.date(prev_year, prev_month, 25) + dt.timedelta(days=1)
    end_of_period = dt.date(year, month, 25)
    n = (end_of_period - start).days + 1
    held = (today - start).days + 1

    doc = bill(cli)
    assert span(doc) == (start.isoformat(), today.isoformat(), held, f"{year:04d}-{month:02d}")
    # 25.00 × held / N, half up
    assert line(doc, "acme", "al", "SUPPORT")["amount"] == half_up(Decimal(25) * held / n)
    assert n == calendar.monthrange(prev_year, prev_month)[1]  # N: 25 + days after the 25th


@pytest.mark.parametrize("args, message", [
    (["--period", "2026-13"], "--period"),
    (["--period", "26-01"], "--period"),
    (["--from", "2026-03-01"], "--from and --to"),
    (["--to", "2026-03-01"], "--from and --to"),
    (["--from", "2026-03-10", "--to", "2026-03-01"], "before"),
    (["--from", "2026-02-30", "--to", "2026-03-01"], "--from"),
    (["--format", "xlsx"], "--output"),
    (["--format", "pdf"], "--format"),
    (["--rev", "no-such-branch"], "no-such-branch"),
    (["no-such-tag..HEAD"], "no-such-tag"),
    (["HEAD..HEAD", "--period", "2026-03"], "--period"),
    (["HEAD..HEAD", "--from", "2026-03-01", "--to", "2026-03-02"], "--from"),
    (["HEAD..HEAD", "--rev", "HEAD"], "--rev"),
    (["HEAD"], ".."),
])
def test_bad_input_is_one_error_line(cli: Cli, three: tuple[str, str, str], args: list[str],
                                     message: str) -> None:
    if "--format" not in args:
        args = [*args, "--format", "json"]
    result = cli("bill", *args)
    assert result.code == 1
    assert result.out == ""
    lines = result.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.err
    assert message in lines[0]
    assert "Traceback" not in result.err


def test_bill_outside_a_git_repository(tmp_path: Path, cli: Cli,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = cli("bill", "--period", "2026-03", "--format", "json")
    assert result.code == 1 and result.err.startswith("error: ")
    assert len(result.err.splitlines()) == 1


def test_people_see_the_time_zone_and_where_the_forecast_starts(repo: SpecRepo,
                                                                  cli: Cli) -> None:
    # The last commit is on 2026-04-10 (Auckland); the rest of period 2026-04 is billed
    # from that state (SPEC §6.2, a forecast for days still to come), which the human
    # formats say, along with the zone.
    setup(repo, billing={"timezone": "Pacific/Auckland"},
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP"])})},
          date="2026-04-10T09:00:00+12:00")
    text = cli("bill", "--period", "2026-04", "--format", "markdown").out
    assert "days in Pacific/Auckland" in text
    assert "last commit 2026-04-10, later days use its state" in text
    # A span that ends on the last commit's day has nothing to say.
    earlier = cli("bill", "--from", "2026-04-01", "--to", "2026-04-10", "--format", "markdown")
    assert earlier.code == 0 and "later days" not in earlier.out
    # The JSON keeps exactly SPEC §6.5's span fields.
    assert set(bill(cli, "--period", "2026-04")["span"]) == {"start", "end", "days", "period"}
