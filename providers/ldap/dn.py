"""Distinguished names: built only from escaped values, compared the way servers compare them.

Every value that goes into a DN passes through ``escape_value`` and every value that goes into
a filter through ``ldap3``'s ``escape_filter_chars`` (see ``equality_filter``): display names
such as ``Smith, John (Contractor)*``, ``x)(uid=*`` or `` #lead `` must name one entry, never
change a DN's shape or widen a search.
"""

from __future__ import annotations

import re

from ldap3.core.exceptions import LDAPInvalidDnError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import parse_dn

DnKey = tuple[tuple[str, str], ...]

_SPECIAL = set('\\,+"<>;=')
_NEEDS_PARSER = re.compile(r'[\\"+<>;#]')
_HEX_PAIR = re.compile(r"\\([0-9A-Fa-f]{2})|\\(.)", re.DOTALL)


def escape_value(value: str) -> str:
    """An attribute value as it must appear in a DN (RFC 4514 section 2.4).

    Written out rather than ``ldap3.utils.dn.escape_rdn``, which escapes a value made of a
    single space twice and so produces a DN the server rejects.
    """
    out = []
    last = len(value) - 1
    for index, char in enumerate(value):
        if char in _SPECIAL:
            out.append("\\" + char)
        elif char == "\x00":
            out.append("\\00")
        elif char == " " and index in (0, last):
            out.append("\\ ")
        elif char == "#" and index == 0:
            out.append("\\#")
        else:
            out.append(char)
    return "".join(out)


def rdn(attribute: str, value: str) -> str:
    return f"{attribute}={escape_value(value)}"


def join(relative: str, base: str) -> str:
    """``relative`` (a container or group DN from the specs) placed under ``base``."""
    relative = relative.strip()
    return f"{relative},{base}" if relative else base


def check(dn: str, what: str) -> str:
    """``dn`` if it parses as a DN; otherwise a ValueError naming ``what`` it was meant to be."""
    try:
        if not parse_dn(dn):
            raise LDAPInvalidDnError("empty")
    except (LDAPInvalidDnError, IndexError, ValueError):
        raise ValueError(f"{what} {dn!r} is not a distinguished name (write it like "
                         "OU=Contoso or cn=lic-m365-bp,ou=groups)") from None
    return dn


def key(dn: str) -> DnKey:
    """A comparable form of ``dn``: attribute types and values case-folded, escapes decoded.

    The same entry comes back as ``CN=a\\3Db`` from one query and ``cn=a\\=b`` from another;
    group ``member`` values and search results must still meet.
    """
    if not _NEEDS_PARSER.search(dn):
        # The common case, and a hot one (every group member, every user of every read):
        # nothing escaped, quoted or multi-valued, so splitting is parsing.
        pairs = [part.split("=", 1) for part in dn.split(",")]
        if all(len(pair) == 2 for pair in pairs):
            return tuple((attr.strip().lower(), " ".join(value.split()).casefold())
                         for attr, value in pairs)
    try:
        parts = parse_dn(dn)
    except (LDAPInvalidDnError, IndexError, ValueError):
        return (("", dn.casefold()),)
    return tuple((attr.strip().lower(), " ".join(_unescape(value).split()).casefold())
                 for attr, value, _sep in parts)


def _unescape(value: str) -> str:
    raw = bytearray()
    position = 0
    for match in _HEX_PAIR.finditer(value):
        raw += value[position:match.start()].encode()
        raw += bytes.fromhex(match.group(1)) if match.group(1) else match.group(2).encode()
        position = match.end()
    raw += value[position:].encode()
    return raw.decode("utf-8", errors="replace")


def first_value(dn: str) -> str:
    """The value of the first RDN, unescaped (``cn`` of a user)."""
    parts = parse_dn(dn)
    return _unescape(parts[0][1]) if parts else ""


def parent(dn: str) -> str:
    """Everything after the first RDN, as written."""
    parts = parse_dn(dn)
    rest = 0
    while rest < len(parts) and parts[rest][2] == "+":  # a multi-valued first RDN
        rest += 1
    return "".join(f"{attr}={value}{sep}" for attr, value, sep in parts[rest + 1:])


def equality_filter(attribute: str, value: str) -> str:
    return f"({attribute}={escape_filter_chars(value)})"
