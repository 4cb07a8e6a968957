"""Renderers: they read typed documents (plans, bills) and produce text, never decide."""

# Folders of custom templates that override the built-in HTML ones (reports.bill_html).
TEMPLATES_ENV = "TENANTRY_TEMPLATES"
