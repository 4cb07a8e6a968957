"""The billing engine (SPEC §6.3): seat intervals + terms at REV + a span -> a report.

Pure and exact: amounts are summed as fractions and rounded once per line, half up, to the
currency's minor unit; totals are sums of rounded lines.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable

from . import ranges as R
from .bill_report import BillReport, Customer, Invoice, Line, Quantity, SpanInfo, Statement
from .calendar import Clock, Period, Span
from .history import History, Interval, SeatKey, Stamp
from .money import round_money, round_quantity
from .terms import BillTo, Terms, UpnDays

ZERO = Fraction(0)


@dataclass(frozen=True)
class _Seat:
    """One seat's facts within the span, before it becomes a report line."""

    key: SeatKey
    counted: R.Ranges
    billable: R.Ranges
    reasons: tuple[str, ...]
    intervals: tuple[Interval, ...]
    list_amount: Fraction | None  # at list price; None in peak mode
    charged: bool  # has a charge (daily: billable days; snapshot: held at the end)


class _Engine:
    def __init__(self, history: History, terms: Terms, span: Span, clock: Clock) -> None:
        self.history, self.terms, self.span, self.clock = history, terms, span, clock
        self.close = terms.billing.close_day
        self.mode = terms.billing.proration
        self.places = terms.billing.minor_units
        self.first = clock.midnight(span.start)  # first instant of the span
        self.after = clock.midnight(span.end + dt.timedelta(days=1))  # first instant after it
        self._daily_memo: dict[tuple[str, R.Ranges], Fraction] = {}
        self._periods: dict[int, tuple[int, int]] = {}  # day -> (period end, days in period)
        self._tenant_names: dict[str, str] = {}
        self._classes: dict[tuple[object, ...], tuple[R.Ranges, tuple[str, ...],
                                                      Fraction | None, bool]] = {}

    # --- which seats, which days --------------------------------------------------------

    def seats(self) -> Iterable[_Seat]:
        if self.span.days == 0:
            return
        grouped: dict[SeatKey, list[Interval]] = defaultdict(list)
        for interval in self.history.intervals:
            if self._overlaps(interval):
                grouped[interval.key].append(interval)
        for key in sorted(grouped):
            yield self._seat(key, tuple(grouped[key]))

    def _overlaps(self, i: Interval) -> bool:
        if i.start >= self.after:
            return False
        if i.end is None or i.end > self.first:
            return True
        return i.end == i.start and i.start >= self.first  # held for an instant, in the span

    def _days(self, i: Interval) -> R.Range:
        first = self.clock.day_of(max(i.start, self.first))
        if i.end is None or i.end >= self.after:
            last = self.span.end
        elif i.end > i.start:
            last = self.clock.day_of(i.end - 1)  # end is exclusive
        else:
            last = self.clock.day_of(i.start)
        return first.toordinal(), min(last, self.span.end).toordinal()

    def _seat(self, key: SeatKey, intervals: tuple[Interval, ...]) -> _Seat:
        tenant, user, sku = key
        counted = R.merge(self._days(i) for i in intervals)
        held_at_end = self.mode == "snapshot" and any(
            i.start < self.after and (i.end is None or i.end >= self.after) for i in intervals)
        # Everything below depends only on this class, not on the seat: most seats of a
        # tenant and SKU share it, so it is computed once per class (190,000 seats -> a few
        # thousand classes on the benchmark history).
        seat_class = (tenant, sku, counted, self._upn_days(tenant, user), held_at_end)
        facts = self._classes.get(seat_class)
        if facts is None:
            facts = self._classes[seat_class] = self._charge(*seat_class)
        billable, reasons, amount, charged = facts
        return _Seat(key, counted, billable, reasons, intervals, amount, charged)

    def _charge(self, tenant: str, sku: str, counted: R.Ranges, upns: UpnDays,
                held_at_end: bool) -> tuple[R.Ranges, tuple[str, ...], Fraction | None, bool]:
        """Billable days, reasons, list-price amount and whether it is charged."""
        billable, reasons = counted, []
        for exclusion in self.terms.exclusions(tenant, upns, sku):
            # Only reasons that took days away are shown (an excluded tenant's seats say
            # "tenant excluded", not also "before go-live").
            if R.overlaps_any(billable, exclusion.days):
                reasons.append(exclusion.reason)
                billable = R.subtract_all(billable, exclusion.days)
        amount: Fraction | None
        if self.mode == "daily":
            amount = self._daily(sku, billable) if billable else ZERO
            charged = bool(billable)
        elif self.mode == "snapshot":
            end = self.span.end
            charged = R.contains(billable, end.toordinal()) and held_at_end
            amount = self.terms.price(sku, end) if charged else ZERO
            if billable and not charged:
                reasons.append(f"not held at the end of {end}")
        else:
            amount, charged = None, bool(billable)
        return billable, tuple(reasons), amount, charged

    # --- prices -------------------------------------------------------------------------

    def _period_of(self, ordinal: int) -> tuple[int, int]:
        if ordinal not in self._periods:
            period = Period.containing(dt.date.fromordinal(ordinal), self.close)
            self._periods[ordinal] = (period.end(self.close).toordinal(), period.days(self.close))
        return self._periods[ordinal]

    def _daily(self, sku: str, days: R.Ranges) -> Fraction:
        """Sum of price(d) / N(d) over the days, split at period ends and price changes."""
        memo_key = (sku, days)
        if memo_key in self._daily_memo:
            return self._daily_memo[memo_key]
        product = self.terms.catalog.products[sku]
        breaks = [c.from_.toordinal() for c in product.price_changes]
        total = ZERO
        for first, last in days:
            day = first
            while day <= last:
                period_end, period_days = self._period_of(day)
                stop = min(last, period_end, *[b - 1 for b in breaks if b > day])
                price = Fraction(product.price_on(dt.date.fromordinal(day)))
                total += price * (stop - day + 1) / period_days
                day = stop + 1
        self._daily_memo[memo_key] = total
        return total

    # --- names and provenance -----------------------------------------------------------

    def _upn_days(self, tenant: str, user: str) -> tuple[tuple[R.Range, tuple[int, ...]], ...]:
        """Each UPN the user had, as the days it was the UPN at the end of the day and the
        rules its UPN matches."""
        entries = self.history.user_names[(tenant, user)]
        rules = self.terms.user_rules
        if len(entries) == 1:
            return (((R.NEG, R.POS), rules(entries[0][1])),)
        out: list[tuple[R.Range, tuple[int, ...]]] = []
        for index, (at, upn, _) in enumerate(entries):
            first = R.NEG if index == 0 else self.clock.day_of(at).toordinal()
            last = R.POS if index + 1 == len(entries) \
                else self.clock.day_of(entries[index + 1][0]).toordinal() - 1
            if first <= last:  # renamed again later the same day: that day has the later UPN
                out.append(((first, last), rules(upn)))
        return tuple(out)

    def _names(self, tenant: str, user: str) -> tuple[str, str]:
        entries = self.history.user_names[(tenant, user)]
        chosen = entries[0]
        for entry in entries:
            if entry[0] < self.after:
                chosen = entry
        return chosen[1], chosen[2]

    def tenant_name(self, tenant: str) -> str:
        name = self._tenant_names.get(tenant)
        if name is None:  # asked once per seat line: memoised per tenant
            entries = self.history.tenant_names.get(tenant, [])
            chosen = [name for at, name in entries if at < self.after]
            name = self._tenant_names[tenant] = chosen[-1] if chosen \
                else self.terms.tenants[tenant].name
        return name

    def last_change(self, seat: _Seat) -> Stamp:
        events = [i.added for i in seat.intervals] + [i.removed for i in seat.intervals
                                                      if i.removed is not None]
        before_end = [e for e in events if e.at < self.after]
        return max(before_end or events, key=lambda s: s.at)

    # --- peak ---------------------------------------------------------------------------

    def peak(self, seats: list[_Seat]) -> int:
        """Most billable seats held at the same moment; a swap at one instant counts once."""
        events: list[tuple[int, int, int]] = []  # (time, order, delta); ends sort first
        for seat in seats:
            for interval in seat.intervals:
                if interval.end == interval.start:  # held for an instant (same-time commits)
                    if self.first <= interval.start < self.after and R.contains(
                            seat.billable, self.clock.day_of(interval.start).toordinal()):
                        events += [(interval.start, 1, +1), (interval.start, 2, -1)]
                    continue
                end = self.after if interval.end is None else min(interval.end, self.after)
                for first, last in seat.billable:
                    lo = max(interval.start, self.clock.midnight(dt.date.fromordinal(first)))
                    hi = min(end, self.clock.midnight(dt.date.fromordinal(last + 1)))
                    if lo < hi:
                        events += [(lo, 1, +1), (hi, 0, -1)]
        count = best = 0
        for _, _, delta in sorted(events):
            count += delta
            best = max(best, count)
        return best


def bill(history: History, terms: Terms, span: Span, clock: Clock, revision: str,
         warnings: Iterable[str] = ()) -> BillReport:
    engine = _Engine(history, terms, span, clock)
    places, mode = engine.places, engine.mode
    seats = list(engine.seats())
    bill_to = {t: terms.bill_to(t) for t in {s.key[0] for s in seats}}

    lines: list[Line] = []
    for seat in seats:
        tenant, user, sku = seat.key
        upn, display = engine._names(tenant, user)
        stamp = engine.last_change(seat)
        product = terms.catalog.products.get(sku)
        amount = None if seat.list_amount is None else round_money(
            seat.list_amount * bill_to[tenant].factor, places)
        lines.append(Line(
            tenant=tenant, tenant_name=engine.tenant_name(tenant), user=user, upn=upn,
            display_name=display, sku=sku, days=R.count(seat.counted),
            billable_days=R.count(seat.billable), amount=amount, billable=seat.charged,
            reasons=seat.reasons, bill_to=bill_to[tenant].party, changed_by=stamp.author,
            commit=stamp.sha, product=product.name if product else ""))

    quantities, list_by_row = _quantities(engine, seats, lines, bill_to)
    customers = _customers(engine, lines, quantities, bill_to)
    invoices = _invoices(terms, customers, lines, quantities, bill_to)
    statements = _statements(terms, seats, lines, list_by_row, places, mode)
    return BillReport(
        revision=revision,
        span=SpanInfo(span.start, span.end, span.days, span.period, terms.billing.timezone,
                      _last_commit_day(history, clock, span)),
        currency=terms.billing.currency, minor_units=places, proration=mode,
        lines=tuple(lines), customers=customers, invoices=invoices, statements=statements,
        quantities=quantities, warnings=tuple(warnings),
        total=sum((i.amount for i in invoices), Decimal(0)).quantize(
            Decimal(1).scaleb(-places)))


def _last_commit_day(history: History, clock: Clock, span: Span) -> dt.date | None:
    """The day of REV's last commit, when days of the span come after it (SPEC §6.2)."""
    if not history.stamps:
        return None
    day = clock.day_of(max(stamp.at for stamp in history.stamps.values()))
    return day if day < span.end else None


def _quantities(engine: _Engine, seats: list[_Seat], lines: list[Line],
                bill_to: dict[str, BillTo]) -> tuple[tuple[Quantity, ...],
                                                     dict[tuple[str, str], Fraction]]:
    """Per tenant and SKU: quantity and charge; also the list-price charge for statements."""
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for index, seat in enumerate(seats):
        groups[(seat.key[0], seat.key[2])].append(index)
    out: list[Quantity] = []
    list_amounts: dict[tuple[str, str], Fraction] = {}
    end = engine.span.end
    for (tenant, sku), members in sorted(groups.items()):
        factor = bill_to[tenant].factor
        if engine.mode == "peak":
            count = engine.peak([seats[i] for i in members])
            price = engine.terms.price(sku, end) if count else ZERO
            list_amounts[(tenant, sku)] = count * price
            out.append(Quantity(tenant, sku, Decimal(count),
                                round_money(count * price * factor, engine.places)))
            continue
        amount = sum((lines[i].amount or Decimal(0) for i in members), Decimal(0))
        if engine.mode == "snapshot":
            quantity = Decimal(sum(1 for i in members if seats[i].charged))
        else:
            seat_days = sum(lines[i].billable_days for i in members)
            quantity = round_quantity(Fraction(seat_days, engine.span.days))
        out.append(Quantity(tenant, sku, quantity,
                            amount.quantize(Decimal(1).scaleb(-engine.places))))
    return tuple(out), list_amounts


def _customers(engine: _Engine, lines: list[Line], quantities: tuple[Quantity, ...],
               bill_to: dict[str, BillTo]) -> tuple[Customer, ...]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for q in quantities:
        totals[q.tenant] += q.amount
    return tuple(Customer(t, engine.tenant_name(t), bill_to[t].party,
                          totals[t].quantize(Decimal(1).scaleb(-engine.places)))
                 for t in sorted(totals))


def _invoices(terms: Terms, customers: tuple[Customer, ...], lines: list[Line],
              quantities: tuple[Quantity, ...], bill_to: dict[str, BillTo]) -> tuple[Invoice, ...]:
    # An invoice goes to a party with at least one charge; test tenants and tenants not yet
    # live show under customers (0.00) but get no empty invoice.
    charged = {line.tenant for line in lines if line.billable} if terms.billing.proration \
        != "peak" else {q.tenant for q in quantities if q.quantity > 0}
    # Keyed by (party, kind): a tenant id may equal a reseller id; they are two parties.
    totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for customer in customers:
        if customer.tenant in charged:
            totals[(customer.bill_to, bill_to[customer.tenant].kind)] += customer.amount
    out = []
    for party, kind in sorted(totals):
        if kind == "reseller":
            name = terms.resellers[party].name
        else:
            name = next(c.name for c in customers if c.tenant == party)
        out.append(Invoice(party, kind, totals[(party, kind)], name))
    return tuple(out)


def _statements(terms: Terms, seats: list[_Seat], lines: list[Line],
                list_by_row: dict[tuple[str, str], Fraction], places: int,
                mode: str) -> tuple[Statement, ...]:
    """Each reseller's view over every tenant beneath it, rounded per line like invoices."""
    rows: dict[str, list[Fraction]] = defaultdict(list)
    if mode == "peak":
        for (tenant, _), amount in list_by_row.items():
            for rid in terms.statement_resellers(tenant):
                rows[rid].append(amount)
    else:
        for seat in seats:
            if seat.charged and seat.list_amount is not None:
                for rid in terms.statement_resellers(seat.key[0]):
                    rows[rid].append(seat.list_amount)
    out = []
    # Every reseller gets a statement (SPEC §6.3), 0.00 when nothing beneath it was charged.
    for rid in sorted(terms.resellers):
        reseller = terms.resellers[rid]
        share = Fraction(reseller.discount) / 100
        factor = 1 - share if reseller.mode == "aggregate" else share
        owed = sum((round_money(a * factor, places) for a in rows[rid]), Decimal(0))
        out.append(Statement(rid, reseller.mode, owed.quantize(Decimal(1).scaleb(-places)),
                             reseller.name))
    return tuple(out)
