"""Billing periods and billing days (SPEC §6.1): close_day, month ends, time zones."""

from __future__ import annotations

import pytest
from billhelp import bill, line, setup, span
from conftest import Cli, SpecRepo, tenant, user


def one_seat(repo: SpecRepo, billing: dict[str, object], *, sku: str = "M365-BP",
             date: str = "2025-12-10T12:00:00+00:00") -> None:
    setup(repo, billing=billing, date=date,
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=[sku])})})


def test_close_day_last_bills_calendar_months(repo: SpecRepo, cli: Cli) -> None:
    # al holds M365-BP (36.50) from 2026-02-15 12:00 UTC on.
    setup(repo, billing={"close_day": "last"}, date="2026-02-15T12:00:00+00:00",
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP"])})})

    feb = bill(cli, "--period", "2026-02")
    # 2026-02 = 02-01 .. 02-28 (28 days); al counts 02-15 .. 02-28 = 14 days.
    assert span(feb) == ("2026-02-01", "2026-02-28", 28, "2026-02")
    al = line(feb, "acme", "al", "M365-BP")
    assert (al["days"], al["billable_days"]) == (14, 14)
    assert al["amount"] == "18.25"  # 36.50 × 14/28 = 18.25

    mar = bill(cli, "--period", "2026-03")
    # 2026-03 = 03-01 .. 03-31 (31 days), held throughout: 36.50 × 31/31 = 36.50
    assert span(mar) == ("2026-03-01", "2026-03-31", 31, "2026-03")
    assert line(mar, "acme", "al", "M365-BP")["amount"] == "36.50"

    apr = bill(cli, "--period", "2026-04")
    assert span(apr) == ("2026-04-01", "2026-04-30", 30, "2026-04")


def test_close_day_25(repo: SpecRepo, cli: Cli) -> None:
    # al holds M365-BP from 2026-10-11 10:00 UTC (billing time zone UTC).
    one_seat(repo, {"close_day": 25}, date="2026-10-11T10:00:00+00:00")

    doc = bill(cli, "--period", "2026-10")
    # close_day 25: 2026-10 = 2026-09-26 .. 2026-10-25 (5 + 25 = 30 days).
    assert span(doc) == ("2026-09-26", "2026-10-25", 30, "2026-10")
    al = line(doc, "acme", "al", "M365-BP")
    # counts 10-11 .. 10-25 = 15 days: 36.50 × 15/30 = 18.25
    # (a calendar month would give 21 days of 31: 24.73)
    assert (al["days"], al["amount"]) == (15, "18.25")

    nov = bill(cli, "--period", "2026-11")
    # 2026-11 = 10-26 .. 11-25 (6 + 25 = 31 days), held throughout: 36.50
    assert span(nov) == ("2026-10-26", "2026-11-25", 31, "2026-11")
    assert line(nov, "acme", "al", "M365-BP")["amount"] == "36.50"

    # January wraps the year: 2025-12-26 .. 2026-01-25 (6 + 25 = 31 days).
    assert span(bill(cli, "--period", "2026-01")) == ("2025-12-26", "2026-01-25", 31, "2026-01")


def test_close_day_31_clamps_in_february(repo: SpecRepo, cli: Cli) -> None:
    # al holds SUPPORT (25.00) from 2026-02-15 12:00 UTC on.
    one_seat(repo, {"close_day": 31}, sku="SUPPORT", date="2026-02-15T12:00:00+00:00")

    feb = bill(cli, "--period", "2026-02")
    # min(31, 28) = 28: 2026-02 = 02-01 .. 02-28 (January ends on 31).
    assert span(feb) == ("2026-02-01", "2026-02-28", 28, "2026-02")
    # 02-15 .. 02-28 = 14 days: 25.00 × 14/28 = 12.50
    assert line(feb, "acme", "al", "SUPPORT")["amount"] == "12.50"

    mar = bill(cli, "--period", "2026-03")
    # The day after 02-28 .. min(31, 31): 03-01 .. 03-31, 31 days: 25.00
    assert span(mar) == ("2026-03-01", "2026-03-31", 31, "2026-03")
    assert line(mar, "acme", "al", "SUPPORT")["amount"] == "25.00"

    # Leap year: min(31, 29) = 29, and March again starts on the 1st.
    assert span(bill(cli, "--period", "2028-02")) == ("2028-02-01", "2028-02-29", 29, "2028-02")
    assert span(bill(cli, "--period", "2028-03")) == ("2028-03-01", "2028-03-31", 31, "2028-03")


def test_close_day_30_after_february(repo: SpecRepo, cli: Cli) -> None:
    # al holds SUPPORT from 2026-03-31 12:00 UTC on.
    one_seat(repo, {"close_day": 30}, sku="SUPPORT", date="2026-03-31T12:00:00+00:00")
    # February ends on min(30, 28) = 28, so March is 03-01 .. 03-30 (30 days) ...
    mar = bill(cli, "--period", "2026-03")
    assert span(mar) == ("2026-03-01", "2026-03-30", 30, "2026-03")
    assert mar["lines"] == []  # added on 03-31: not in 2026-03
    # ... and April is 03-31 .. 04-30 (31 days): held throughout, 25.00 × 31/31 = 25.00
    apr = bill(cli, "--period", "2026-04")
    assert span(apr) == ("2026-03-31", "2026-04-30", 31, "2026-04")
    assert line(apr, "acme", "al", "SUPPORT")["amount"] == "25.00"


def test_billing_day_is_the_local_day(repo: SpecRepo, cli: Cli) -> None:
    # Billing time zone Pacific/Auckland (NZDT, UTC+13, in March 2026).
    # Added at 2026-03-09 23:30 UTC = 2026-03-10 12:30 in Auckland;
    # removed at 2026-03-10 10:30 UTC = 2026-03-10 23:30 in Auckland.
    setup(repo, billing={"timezone": "Pacific/Auckland", "currency": "NZD"},
          date="2026-03-09T23:30:00+00:00",
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP"])})})
    repo.commit_specs({"tenants/acme.yaml": tenant("Acme", {"al": user("al@acme.example")})},
                      "al leaves", date="2026-03-10T10:30:00+00:00")

    doc = bill(cli, "--period", "2026-03")
    al = line(doc, "acme", "al", "M365-BP")
    # One Auckland day (03-10); in UTC it would have been two (03-09 and 03-10).
    assert (al["days"], al["billable_days"]) == (1, 1)
    assert al["amount"] == "1.18"  # 36.50 × 1/31 = 1.1774… → 1.18
    assert doc["currency"] == "NZD"

    # The Auckland day 03-09 never saw the seat; the day 03-10 did.
    assert bill(cli, "--from", "2026-03-09", "--to", "2026-03-09")["lines"] == []
    only = bill(cli, "--from", "2026-03-10", "--to", "2026-03-10")
    assert line(only, "acme", "al", "M365-BP")["days"] == 1
    # --from/--to still prices by the period the day is in: 36.50 × 1/31 = 1.18
    assert line(only, "acme", "al", "M365-BP")["amount"] == "1.18"


@pytest.mark.parametrize("zone, expected_day", [("UTC", "2026-06-30"),
                                                ("Pacific/Auckland", "2026-07-01"),
                                                ("America/Los_Angeles", "2026-06-30")])
def test_day_of_a_commit_follows_the_zone(repo: SpecRepo, cli: Cli, zone: str,
                                          expected_day: str) -> None:
    # 2026-06-30 18:00 UTC is 07-01 06:00 in Auckland (NZST, +12) and 06-30 11:00 in
    # Los Angeles (PDT, -7). A seat added then counts from that local day.
    setup(repo, billing={"timezone": zone}, date="2026-06-30T18:00:00+00:00",
          tenants={"acme": tenant("Acme", {"al": user("al@acme.example", skus=["SUPPORT"])})})
    doc = bill(cli, "--from", "2026-06-29", "--to", "2026-07-02")
    al = line(doc, "acme", "al", "SUPPORT")
    # 06-30 .. 07-02 = 3 days, or 07-01 .. 07-02 = 2 days in Auckland.
    assert al["days"] == (2 if expected_day == "2026-07-01" else 3)
