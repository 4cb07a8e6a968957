"""The wording of validation problems: one line each, saying what to do.

``documents`` maps each pydantic error to a path in the document; this module turns the
error's kind into the sentence a person reads. Values are echoed only where they cannot be
secrets (ids, SKUs, UPNs); environment names, GUIDs and URLs never are.
"""

from __future__ import annotations

import datetime as dt

from pydantic_core import ErrorDetails

from reconciler.errors import Path
from reconciler.specs import yamlsafe

_KEY_NOUNS = {"users": "user id", "resellers": "reseller id", "directories": "directory id"}


def key_message(loc: Path, kind: str, err: ErrorDetails) -> str:
    key = loc[-1] if loc else ""
    parent = loc[-2] if len(loc) >= 2 else ""
    if kind == "string_pattern_mismatch":
        if parent == "products":
            return (f"SKU {key!r} must be upper case letters, digits, '.', '_' or '-' "
                    "(e.g. M365-BP); rename it")
        noun = _KEY_NOUNS.get(str(parent), "id")
        return (f"{noun} {key!r} must be lower case letters, digits, '.', '_' or '-', "
                "starting with a letter or digit, at most 63 characters; rename it")
    if kind == "string_type":
        return f"key {key!r} must be text; put it in quotes"
    return f"key {key!r}: {err['msg']}"


_CONTAINER_KINDS = {"dict_type", "model_type", "model_attributes_type"}


def value_message(kind: str, err: ErrorDetails) -> str:
    ctx = err.get("ctx") or {}
    given = err.get("input")
    messages = {
        "string_type": "must be text (put numbers, dates and true/false in quotes)",
        "int_type": "must be a whole number",
        "int_from_float": "must be a whole number",
        "bool_type": "must be true or false",
        "date_type": "must be a date like 2026-02-01",
        "dict_type": "must be a mapping of keys to values",
        "model_type": "must be a mapping of keys to values",
        "model_attributes_type": "must be a mapping of keys to values",
        "tuple_type": "must be a list, e.g. [A, B]",
        "list_type": "must be a list, e.g. [A, B]",
        "string_too_short": "must not be empty",
        "too_short": "must not be empty",
        "string_too_long": f"is longer than {ctx.get('max_length')} characters; shorten it",
        "too_long": f"has more than {ctx.get('max_length')} items",
        "literal_error": f"must be one of {ctx.get('expected')}",
        "less_than_equal": f"must be at most {ctx.get('le')}",
        "greater_than_equal": f"must be at least {ctx.get('ge')}",
        "union_tag_invalid": f"provider must be one of {ctx.get('expected_tags')}",
        "union_tag_not_found": "missing required key 'provider' (local, ldap or graph)",
    }
    if kind == "string_pattern_mismatch":
        return _pattern_message(str(ctx.get("pattern", "")), given)
    if kind == "value_error":
        return str(err["msg"]).removeprefix("Value error, ")
    message = messages.get(kind, str(err["msg"]))
    if given is None and (kind.endswith("_type") or kind in _CONTAINER_KINDS):
        # `key:` with nothing after it.
        if kind == "string_type":
            return "is empty; write some text"
        if kind in _CONTAINER_KINDS:
            return "is empty; write its keys indented below it, or remove it"
        return f"is empty; it {message}"
    if kind == "bool_type" and isinstance(given, str):
        return (f"must be true or false, not {_show(given)} (YAML 1.2 reads yes/no/on/off "
                "as text)")
    if kind == "date_type" and isinstance(given, str):
        return _date_message(given)
    if kind == "literal_error":
        return f"{_show(given)} is not allowed; use one of {ctx.get('expected')}"
    if kind == "union_tag_invalid":
        return f"provider {_show(ctx.get('tag'))} is not known; use one of " \
               f"{ctx.get('expected_tags')}"
    return message


def _date_message(given: str) -> str:
    try:
        dt.date.fromisoformat(given)
    except ValueError:
        if yamlsafe.DATE_SHAPE.match(given):
            return f"{_show(given)} is not a real date; check the month and day"
        return f"must be a date like 2026-02-01 (YYYY-MM-DD), not {_show(given)}"
    return f"must be a date, not text: remove the quotes around {given}"


def _show(value: object) -> str:
    """A short, one-line rendering of a user's value (never used for secret fields)."""
    if isinstance(value, tuple):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= 60 else text[:56] + "...'"


def _pattern_message(pattern: str, given: object = None) -> str:
    from reconciler.specs import fields as m
    if pattern == m.NAME_PATTERN and isinstance(given, str):
        bad = m.CONTROL_CHARACTER.search(given)
        if bad is not None:
            return f"contains the control character U+{ord(bad[0]):04X}; use plain text"
    # (what the value must be, an example); echoing the value is safe for these patterns.
    echoable = {
        m.ID_PATTERN: ("an id", ("use lower case letters, digits, '.', '_' or '-', "
                                 "starting with a letter or digit, at most 63 characters")),
        m.SKU_PATTERN: ("a SKU code", ("use upper case letters, digits, '.', '_' or '-', "
                                       "e.g. M365-BP")),
        m.UPN_PATTERN: ("a user principal name", "write it like alice@contoso.example"),
        m.DOMAIN_PATTERN: ("a domain name", "write it like contoso.example"),
        m.COUNTRY_PATTERN: ("a two-letter ISO country code", "use upper case, e.g. NZ or NO"),
    }
    if pattern in echoable:
        noun, todo = echoable[pattern]
        return f"{_show(given)} is not {noun}; {todo}"
    # Never echo these: a secret pasted in the wrong place must not reach a CI log.
    return {
        m.ENV_PATTERN: "must be the name of an environment variable (e.g. AD_PASSWORD) that "
                       "holds the secret, never the secret itself",
        m.GUID_PATTERN: "must be a GUID like 00000000-0000-0000-0000-000000000000",
        m.LDAP_URL_PATTERN: "must be an ldap:// or ldaps:// URL, e.g. "
                            "ldaps://dc1.example.net:636",
        m.LDAP_ATTRIBUTE_PATTERN: "must be an LDAP attribute name, e.g. employeeType",
        m.GRAPH_URL_PATTERN: "must be the service root, without /v1.0, e.g. "
                             "https://graph.microsoft.com (http:// only for an emulator)",
        m.GRAPH_MARKER_PATTERN: "must be onPremisesExtensionAttributes.extensionAttribute1 "
                                "to 15, or a directory extension property "
                                "extension_<app id without dashes>_<name>",
    }.get(pattern, "has the wrong format")
