"""The read API (SPEC §8): ``tenantry serve``. See ``server.app`` and docs/api.md."""
