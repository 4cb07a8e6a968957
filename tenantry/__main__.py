from tenantry.cli import entry

entry()
