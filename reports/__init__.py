"""Renderers: they read typed documents (plans, bills) and produce text, never decide."""
