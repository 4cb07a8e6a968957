"""Strict, fast YAML reading for spec files.

Specs are read with libyaml (PyYAML's C parser, ~2.5x ruamel's C loader here; figures in
docs/design.md) and a constructor of our own that:

* resolves scalars like YAML 1.2's core schema, so ``NO`` (Norway) stays a string and only
  ``true``/``false`` are booleans;
* reads every number with a fraction or exponent as ``Decimal`` straight from its text, so
  money never passes through a binary float;
* rejects duplicate keys, non-string keys, anchors/aliases (which also stops "billion
  laughs" before anything is expanded) and every tag beyond the plain YAML types.

Positions are not kept on the fast path. When something is wrong, ``locate`` composes the
document again (cheap, in C) and walks the node tree to the offending key or value.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml
from yaml.cyaml import CParser  # type: ignore[attr-defined]

# Spec files larger than this are refused before parsing: a tenant of 5,000 users is
# ~700 KiB, so 5 MiB leaves room and still parses in well under a second.
MAX_FILE_BYTES = 5 * 1024 * 1024

# YAML 1.2 core schema: ``007`` is the integer 7, ``0x1F``/``0o17`` stay text here.
_INT = re.compile(r"^[-+]?[0-9]+$")
# Longer integers are refused rather than handed to int() (Python caps int parsing at
# 4,300 digits, and no spec value comes anywhere near this). Decimals have no such cap.
_MAX_DIGITS = 100
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".nan": "NaN", ".NaN": "NaN", ".NAN": "NaN", ".inf": "Infinity",
                  ".Inf": "Infinity", ".INF": "Infinity", "+.inf": "Infinity",
                  "-.inf": "-Infinity", "-.Inf": "-Infinity", "-.INF": "-Infinity"}
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True,
         "false": False, "False": False, "FALSE": False}
# The shape of a date; a plain scalar of this shape that is no calendar date stays text.
DATE_SHAPE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class YamlProblem(Exception):
    """A YAML-level problem at a 1-based line and column."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def mark_of(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_PLAIN_TAG = "tenantry:plain"


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Resolver(yaml.resolver.BaseResolver):
    """Plain scalars get a private tag; the constructor types them (YAML 1.2 core)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Only called for untagged nodes: quoted scalars are text, collections plain.
        if kind is yaml.ScalarNode:
            return _PLAIN_TAG if implicit[0] else _STR_TAG
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


def _show_tag(tag: str) -> str:
    return "!!" + tag.removeprefix("tag:yaml.org,2002:") if tag.startswith("tag:yaml.org,") \
        else tag


class _Constructor:
    """Builds plain Python values from a composed node tree."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        if id(node) in self._seen:
            # libyaml shares the anchored node for each alias; a second visit is an alias.
            # Nothing is ever expanded, so "billion laughs" stops here at once.
            raise _AliasSeen()
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _SEQ_TAG)
            return tuple(self.build(item) for item in node.value)
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise YamlProblem(f"YAML tag {_show_tag(node.tag)!r} is not allowed in specs; "
                              "remove it and write a plain value", *mark_of(node))

    def _mapping(self, node: yaml.MappingNode) -> dict[str, Any]:
        self._check_tag(node, _MAP_TAG)
        out: dict[str, Any] = {}
        first: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _PLAIN_TAG and key_node.value == "<<":
                raise YamlProblem("merge keys ('<<') are not allowed in specs; write the "
                                  "keys out", *mark_of(key_node))
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlProblem("a key must be plain text, not a list or mapping",
                                  *mark_of(key_node))
            key = self.build(key_node)
            if key is None and key_node.value == "":
                raise YamlProblem("a key is missing before ':'", *mark_of(key_node))
            if not isinstance(key, str):
                raise YamlProblem(f"key {key_node.value} must be text; put it in quotes "
                                  f"(\"{key_node.value}\")", *mark_of(key_node))
            if key in out:
                line, _ = mark_of(first[key])
                raise YamlProblem(f"duplicate key {key!r} (first at line {line}); keep only "
                                  "one", *mark_of(key_node))
            first[key] = key_node
            out[key] = self.build(value_node)
        return out

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        if node.tag != _PLAIN_TAG:
            # Quoted scalars, block scalars and explicit !!str stay strings; other tags
            # (!!python/object, !!binary, custom ones) are refused.
            self._check_tag(node, _STR_TAG)
            return value
        if value in _NULL:
            return None
        if value in _BOOL:
            return _BOOL[value]
        if _INT.match(value):
            if len(value.lstrip("+-")) > _MAX_DIGITS:
                raise YamlProblem(f"number with more than {_MAX_DIGITS} digits; no spec "
                                  "value is that long", *mark_of(node))
            return int(value)
        if _FLOAT.match(value) or value in _SPECIAL_FLOAT:
            try:
                return Decimal(_SPECIAL_FLOAT.get(value, value))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                raise YamlProblem(f"bad number {value!r}", *mark_of(node)) from None
        if DATE_SHAPE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                # Not a calendar date (2026-02-30): stays text, and the field that wanted
                # a date says so, while the rest of the file is still checked.
                return value
        return value


class _Loader(CParser, _Resolver):
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Resolver.__init__(self)


# libyaml's wording for common mistakes -> what to do about them.
_HINTS = {
    "mapping values are not allowed in this context":
        "unexpected ':'; put a value that contains ': ' in quotes, or fix the indentation",
    "did not find expected key":
        "bad indentation or a missing key; the keys of one mapping must line up",
    "did not find expected '-' indicator":
        "bad indentation; the items of one list must line up",
    "but found another document":
        "a spec file holds one YAML document; remove the second '---' and what follows",
    "found undefined alias": "aliases ('*name') are not allowed in specs; write the value out",
}


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> YamlProblem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    problem = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
    if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
        return YamlProblem("YAML syntax error: tab character; YAML is indented with spaces "
                           "only", line, col)
    if problem in _HINTS:
        return YamlProblem(f"YAML syntax error: {_HINTS[problem]}", line, col)
    if problem == "found character that cannot start any token" and mark is not None \
            and 0 <= mark.index < len(text):
        return YamlProblem(f"YAML syntax error: a plain value cannot start with "
                           f"{text[mark.index]!r}; put the value in quotes", line, col)
    ctx = exc.context_mark
    if problem.startswith("did not find expected ',' or ") and ctx is not None:
        opener, closer = ("[", "]") if problem.endswith("']'") else ("{", "}")
        return YamlProblem(f"YAML syntax error: the {opener!r} opened at line {ctx.line + 1}, "
                           f"column {ctx.column + 1} is not closed; add {closer!r}, or put a "
                           f"value that starts with {opener!r} in quotes", line, col)
    if exc.context and ctx is not None and (ctx.line, ctx.column) != (line - 1, col - 1):
        # "did not find expected ',' or ']' (while parsing a flow sequence at line 3, ...)"
        problem += f" ({exc.context} at line {ctx.line + 1}, column {ctx.column + 1})"
    return YamlProblem(f"YAML syntax error: {problem}", line, col)


def compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as exc:
        raise _syntax_problem(exc, text) from None
    except yaml.reader.ReaderError as exc:
        # libyaml reports a byte offset into the UTF-8 text.
        raw = text.encode("utf-8")
        pos = max(0, min(int(exc.position), len(raw)))
        line = raw.count(b"\n", 0, pos) + 1
        col = len(raw[raw.rfind(b"\n", 0, pos) + 1:pos].decode("utf-8", "replace")) + 1
        char = exc.character if isinstance(exc.character, int) else 0
        raise YamlProblem(f"control character U+{char:04X} is not allowed in YAML; remove "
                          "it", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {' '.join(str(exc).split())}", 0, 0) from None
    finally:
        loader.dispose()


def decode(data: bytes) -> str:
    """Decode spec bytes as UTF-8, naming the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        # read_tree hands over only the first MAX_FILE_BYTES + 1 bytes, so the exact size
        # is not known here.
        raise YamlProblem(f"file is larger than {MAX_FILE_BYTES:,} bytes, the limit for one "
                          "spec file; split the tenant or trim the file", 0, 0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem("file is not valid UTF-8; save it as UTF-8", line, col) from None
    return text.removeprefix("\ufeff")


class _AliasSeen(Exception):
    """An alias was met while building; ``_alias_problem`` finds where it was written."""


def _alias_problem(text: str) -> YamlProblem:
    # Nodes do not remember where their aliases stand, so read the events once more (only
    # on this error path) for the first one.
    loader = _Loader(text)
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, yaml.AliasEvent):
                mark = event.start_mark
                line, col = (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)
                return YamlProblem(f"aliases ('*{event.anchor}') and anchors are not allowed "
                                   "in specs; write the value out", line, col)
    except yaml.YAMLError:  # pragma: no cover - the text composed a moment ago
        pass
    finally:
        loader.dispose()
    return YamlProblem("aliases and anchors are not allowed in specs; write the values out",
                       0, 0)


def load(data: bytes) -> Any:
    """Parse one spec document into plain values (dict/tuple/str/int/Decimal/date/bool/None)."""
    text = decode(data)
    node = compose(text)
    if node is None:
        return None
    try:
        return _Constructor().build(node)
    except _AliasSeen:
        raise _alias_problem(text) from None
