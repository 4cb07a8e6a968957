"""One router per resource: tenants, billing, history."""
