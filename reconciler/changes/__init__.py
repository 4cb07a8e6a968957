"""Changes to the specs over git history: what a pull request changes and costs (``diff``),
what was provisioned at a moment (``show``), and who changed what, when (``log``).

``views`` reduces a tenant file version to everything a person would call a change;
``compare`` describes the difference between two versions as typed deltas; ``diffrun``,
``showrun`` and ``logrun`` wire those to git and return typed documents that renderers (and
the read API) consume. Money comes from billing (``reconciler.billing.recurring``), so a
pull request is priced exactly as it will be billed. Nothing here knows about directories.
"""
