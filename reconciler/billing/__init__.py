"""Billing: who held which seat on which days, from git history, and what that costs.

``records`` reduces a tenant file version to what billing needs (cached by blob id in
``cache``); ``history`` turns the first-parent log into seat intervals; ``calendar`` knows
periods and billing days; ``terms`` reads prices, rules and reseller terms at the billed
revision; ``seat_charges`` prices one seat; ``rollups`` sums seats into customers,
invoices and statements; ``report`` is the typed report the renderers read; ``run`` wires
it to git. Nothing here knows about planning or directories.
"""
