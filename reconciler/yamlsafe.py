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
from yaml.cyaml import CParser

from .errors import Path

# Spec files larger than this are refused before parsing: a tenant of 5,000 users is
# ~700 KiB, so 5 MiB leaves room and still parses in well under a second.
MAX_FILE_BYTES = 5 * 1024 * 1024

_INT = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_SPECIAL_FLOAT = {".nan": "NaN", ".NaN": "NaN", ".NAN": "NaN", ".inf": "Infinity",
                  ".Inf": "Infinity", ".INF": "Infinity", "+.inf": "Infinity",
                  "-.inf": "-Infinity", "-.Inf": "-Infinity", "-.INF": "-Infinity"}
_NULL = {"", "~", "null", "Null", "NULL"}
_BOOL = {"true": True, "True": True, "TRUE": True,
         "false": False, "False": False, "FALSE": False}
_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


class YamlProblem(Exception):
    """A YAML-level problem at a 1-based line and column."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


_PLAIN_TAG = "tenantry:plain"


class _Resolver(yaml.resolver.BaseResolver):
    """Plain scalars get a private tag; the constructor types them (YAML 1.2 core)."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode and implicit[0]:
            return _PLAIN_TAG
        return super().resolve(kind, value, implicit)


_STR_TAG = "tag:yaml.org,2002:str"
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"


class _Constructor:
    """Builds plain Python values from a composed node tree."""

    def __init__(self) -> None:
        self._seen: set[int] = set()

    def build(self, node: yaml.Node) -> Any:
        if id(node) in self._seen:
            # libyaml shares the anchored node for each alias; a second visit is an alias.
            raise YamlProblem("anchors and aliases are not allowed in specs; write the "
                              "values out", *_mark(node))
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
            raise YamlProblem(f"YAML tag {node.tag!r} is not allowed in specs", *_mark(node))

    def _mapping(self, node: yaml.MappingNode) -> dict[str, Any]:
        self._check_tag(node, _MAP_TAG)
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _PLAIN_TAG and key_node.value == "<<":
                raise YamlProblem("merge keys ('<<') are not allowed in specs", *_mark(key_node))
            key = self.build(key_node)
            if not isinstance(key, str):
                raise YamlProblem(f"key {key!r} must be a string; put it in quotes",
                                  *_mark(key_node))
            if key in out:
                raise YamlProblem(f"duplicate key {key!r}", *_mark(key_node))
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
            return int(value)
        if _FLOAT.match(value) or value in _SPECIAL_FLOAT:
            try:
                return Decimal(_SPECIAL_FLOAT.get(value, value))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                raise YamlProblem(f"bad number {value!r}", *_mark(node)) from None
        if _DATE.match(value):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                raise YamlProblem(f"{value!r} is not a real date (YYYY-MM-DD)",
                                  *_mark(node)) from None
        return value


class _Loader(CParser, _Resolver):  # type: ignore[misc]
    def __init__(self, stream: str) -> None:
        CParser.__init__(self, stream)
        _Resolver.__init__(self)


def _compose(text: str) -> yaml.Node | None:
    loader = _Loader(text)
    try:
        node: yaml.Node | None = loader.get_single_node()
        return node
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if mark is not None and 0 <= mark.index < len(text) and text[mark.index] == "\t":
            problem = "tab character; YAML is indented with spaces only"
        raise YamlProblem(f"YAML syntax error: {problem}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}", 0, 0) from None
    finally:
        loader.dispose()


def decode(data: bytes) -> str:
    """Decode spec bytes as UTF-8, naming the line of the first bad byte."""
    if len(data) > MAX_FILE_BYTES:
        raise YamlProblem(f"file is {len(data):,} bytes, over the {MAX_FILE_BYTES:,}-byte "
                          "limit for one spec file; split the tenant or trim the file", 0, 0)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlProblem("file is not valid UTF-8; save it as UTF-8", line, col) from None
    return text.removeprefix("\ufeff")


def load(data: bytes) -> Any:
    """Parse one spec document into plain values (dict/tuple/str/int/Decimal/date/bool/None)."""
    node = _compose(decode(data))
    if node is None:
        return None
    return _Constructor().build(node)


def locate(data: bytes, path: Path) -> tuple[int, int]:
    """Line and column of the value at ``path`` (or of its nearest existing parent).

    A missing key reports its parent mapping; an unknown key reports the key itself.
    """
    try:
        node = _compose(decode(data))
    except YamlProblem:
        return 0, 0
    if node is None:
        return 1, 1
    where = _mark(node)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    # Point at the value, or at the key when the value is a block below it.
                    where = _mark(value_node) if isinstance(value_node, yaml.ScalarNode) \
                        or value_node.flow_style else _mark(key_node)
                    node = value_node
                    break
            else:
                return where
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and 0 <= step < len(node.value):
            node = node.value[step]
            where = _mark(node)
        else:
            return where
    return where


def locate_key(data: bytes, path: Path) -> tuple[int, int]:
    """Line and column of the *key* at the end of ``path`` (for unknown/extra keys)."""
    try:
        node = _compose(decode(data))
    except YamlProblem:
        return 0, 0
    if node is None or not path:
        return 1, 1
    parent_path, last = path[:-1], path[-1]
    for step in parent_path:
        nxt = _child(node, step)
        if nxt is None:
            return _mark(node)
        node = nxt
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(last):
                return _mark(key_node)
    return _mark(node)


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
            and 0 <= step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None
