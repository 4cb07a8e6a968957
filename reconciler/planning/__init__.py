"""Planning: desired against actual, as data.

``state`` normalises both sides to the same small shapes, ``diff`` compares one tenant,
``planner`` builds the versioned ``Plan`` (``plan``) across tenants, and ``apply`` carries
it out through the directory port (``directory``: ``DirectoryReader`` / ``Directory``),
one result per change. Nothing here knows about billing.
"""
