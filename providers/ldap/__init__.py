"""The ``ldap`` provider: Active Directory and OpenLDAP, through ldap3 (the ``ldap`` extra).

See ``docs/ldap.md`` for setting a directory up; ``flavors.py`` for what differs between AD
and OpenLDAP; ``reader.py`` and ``writer.py`` for how a tenant is read and changed.
"""

from .directory import LdapDirectory, open_directory

__all__ = ["LdapDirectory", "open_directory"]
