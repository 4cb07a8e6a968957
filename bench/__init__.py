"""Benchmarks for tenantry: ``python -m bench [--quick | --large]`` (see bench/README.md).

Not part of the installed package; run from the repository's top folder with the project's
environment (``.venv/bin/python -m bench``).
"""
