"""tenantry's pure core: spec model, diff, plan, apply loop and billing engine.

Nothing in this package talks to a directory; providers live in ``providers`` and are
handed in through the narrow interfaces of ``reconciler.directory``.
"""
