"""Per-seat charging (SPEC §6.2-6.3): which days each seat counted and was billable, why
not, and what it costs at list price. ``billing`` rolls seats up into the report.

Seats that share a class — tenant, SKU, days held, the rules their UPN matches — share the
result, which is computed once per class.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, NamedTuple

from reconciler.billing import ranges as R
from reconciler.billing.calendar import Clock, Period, Span
from reconciler.billing.history import History, Interval, SeatKey, Stamp
from reconciler.billing.money import round_money
from reconciler.billing.terms import NOT_IN_CATALOG, Terms, UpnDays

ZERO = Fraction(0)


class SeatClass:
    """What every seat of one class shares: its days, charge and reasons.

    A class is (tenant, SKU, days counted, the rules the user's UPNs match, held at the
    end): the seats of one tenant and SKU mostly share one, so on a large history ~190,000
    seats fall into a few thousand classes, each computed once.
    """

    __slots__ = ("tenant", "sku", "counted", "billable", "reasons", "list_amount", "charged",
                 "days", "billable_days", "_factor", "_amount")

    def __init__(self, tenant: str, sku: str, counted: R.Ranges, billable: R.Ranges,
                 reasons: tuple[str, ...], list_amount: Fraction | None,
                 charged: bool) -> None:
        self.tenant, self.sku = tenant, sku
        self.counted, self.billable, self.reasons = counted, billable, reasons
        self.list_amount = list_amount  # at list price; None in peak mode
        self.charged = charged  # has a charge (daily: billable days; snapshot: held at end)
        self.days, self.billable_days = R.count(counted), R.count(billable)
        self._factor: Fraction | None = None
        self._amount: Decimal | None = None

    def amount(self, factor: Fraction, places: int) -> Decimal | None:
        """The line amount at ``factor`` × list, rounded once: a class belongs to one
        tenant, so every seat of it asks with the same factor."""
        if factor is not self._factor:
            self._factor = factor
            self._amount = None if self.list_amount is None \
                else round_money(self.list_amount * factor, places)
        return self._amount


class ChargedSeat(NamedTuple):
    """One seat's facts within the span, before it becomes a report line."""

    key: SeatKey
    intervals: tuple[Interval, ...]
    facts: SeatClass

    @property
    def counted(self) -> R.Ranges:
        return self.facts.counted

    @property
    def billable(self) -> R.Ranges:
        return self.facts.billable

    @property
    def reasons(self) -> tuple[str, ...]:
        return self.facts.reasons

    @property
    def list_amount(self) -> Fraction | None:
        return self.facts.list_amount

    @property
    def charged(self) -> bool:
        return self.facts.charged


class SeatEngine:
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
        self._upns: dict[tuple[str, str], UpnDays] = {}
        self._forever: dict[tuple[int, ...], UpnDays] = {}
        # The days of a seat held through the whole span (most seats): one shared value.
        self._whole: R.Range = (span.start.toordinal(), span.end.toordinal())
        self._classes: dict[tuple[object, ...], SeatClass] = {}

    # --- which seats, which days --------------------------------------------------------

    def seats(self) -> Iterable[ChargedSeat]:
        if self.span.days == 0:
            return
        first, after = self.first, self.after
        for key, intervals in self.history.by_seat():
            # The intervals that overlap the span (inlined: this runs for every interval of
            # the history; the last case is a seat held for an instant, within the span).
            if len(intervals) == 1:  # most seats
                i = intervals[0]
                if i.start < after and (i.end is None or i.end > first
                                        or (i.end == i.start and i.start >= first)):
                    yield self._seat(key, (i,))
                continue
            live = tuple([i for i in intervals if i.start < after and (
                i.end is None or i.end > first or (i.end == i.start and i.start >= first))])
            if live:
                yield self._seat(key, live)

    def _days(self, i: Interval) -> R.Range:
        if i.start <= self.first and (i.end is None or i.end >= self.after):
            return self._whole
        first = self.clock.day_of(max(i.start, self.first))
        if i.end is None or i.end >= self.after:
            last = self.span.end
        elif i.end > i.start:
            last = self.clock.day_of(i.end - 1)  # end is exclusive
        else:
            last = self.clock.day_of(i.start)
        return first.toordinal(), min(last, self.span.end).toordinal()

    def _seat(self, key: SeatKey, intervals: tuple[Interval, ...]) -> ChargedSeat:
        tenant, user, sku = key
        counted = (self._days(intervals[0]),) if len(intervals) == 1 \
            else R.merge(self._days(i) for i in intervals)
        held_at_end = self.mode == "snapshot" and any(
            i.start < self.after and (i.end is None or i.end >= self.after) for i in intervals)
        upns = self._upns.get((tenant, user))
        if upns is None:  # asked once per SKU the user holds
            upns = self._upns[(tenant, user)] = self._upn_days(tenant, user)
        seat_class = (tenant, sku, counted, upns, held_at_end)
        facts = self._classes.get(seat_class)
        if facts is None:
            facts = self._classes[seat_class] = self._charge(*seat_class)
        return ChargedSeat(key, intervals, facts)

    def _charge(self, tenant: str, sku: str, counted: R.Ranges, upns: UpnDays,
                held_at_end: bool) -> SeatClass:
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
        return SeatClass(tenant, sku, counted, billable, tuple(reasons), amount, charged)

    def days_lost_to_catalog(self, seat: ChargedSeat) -> int:
        """The days a seat whose SKU is not in the catalog would otherwise have billed."""
        tenant, user, sku = seat.key
        days = seat.counted
        for exclusion in self.terms.exclusions(tenant, self._upn_days(tenant, user), sku):
            if exclusion.reason != NOT_IN_CATALOG:
                days = R.subtract_all(days, exclusion.days)
        return R.count(days)

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

    def _upn_days(self, tenant: str, user: str) -> UpnDays:
        """Each UPN the user had, as the days it was the UPN at the end of the day and the
        rules its UPN matches."""
        entries = self.history.user_names[(tenant, user)]
        rules = self.terms.user_rules
        if len(entries) == 1:  # never renamed: one shared value per set of rules
            matched = rules(entries[0][1])
            found = self._forever.get(matched)
            if found is None:
                found = self._forever[matched] = (((R.NEG, R.POS), matched),)
            return found
        out: list[tuple[R.Range, tuple[int, ...]]] = []
        for index, (at, upn, _) in enumerate(entries):
            first = R.NEG if index == 0 else self.clock.day_of(at).toordinal()
            last = R.POS if index + 1 == len(entries) \
                else self.clock.day_of(entries[index + 1][0]).toordinal() - 1
            if first <= last:  # renamed again later the same day: that day has the later UPN
                out.append(((first, last), rules(upn)))
        return tuple(out)

    def names(self, tenant: str, user: str) -> tuple[str, str]:
        entries = self.history.user_names[(tenant, user)]
        if len(entries) == 1:  # never renamed: most users
            return entries[0][1], entries[0][2]
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

    def last_change(self, seat: ChargedSeat) -> Stamp:
        if len(seat.intervals) == 1:  # the general rule below, for one interval
            interval = seat.intervals[0]
            removed = interval.removed
            return removed if removed is not None \
                and interval.added.at < removed.at < self.after else interval.added
        events = [i.added for i in seat.intervals] + [i.removed for i in seat.intervals
                                                      if i.removed is not None]
        before_end = [e for e in events if e.at < self.after]
        return max(before_end or events, key=lambda s: s.at)

    # --- peak ---------------------------------------------------------------------------

    def peak(self, seats: list[ChargedSeat]) -> int:
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
