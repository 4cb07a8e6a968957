"""One module per command; ``tenantry.cli`` wires them into the command line."""
