"""Directory providers: one module per directory kind, behind ``reconciler.directory``.

Directory client libraries (sqlite3 here, ldap3 and msgraph later) are imported only inside
their provider module, and only when a directory of that kind is opened.
"""
