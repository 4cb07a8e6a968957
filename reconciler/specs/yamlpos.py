"""Where a problem is: a path inside a YAML document turned into line and column.

Only used when something is wrong, so it re-composes the document (cheap, in C) rather than
keeping positions on the fast path.
"""

from __future__ import annotations

import yaml

from reconciler.errors import Path
from reconciler.specs.yamlsafe import YamlProblem, compose, decode, mark_of


def position(data: bytes, path: Path, *, at_key: bool = False) -> tuple[int, int]:
    """Line and column of the key (``at_key``) or of the value at ``path``."""
    return (locate_key if at_key else locate)(data, path)


def locate(data: bytes, path: Path) -> tuple[int, int]:
    """Line and column of the value at ``path`` (or of its nearest existing parent).

    A missing key reports its parent mapping; an unknown key reports the key itself.
    """
    try:
        node = compose(decode(data))
    except YamlProblem:
        return 0, 0
    if node is None:
        return 1, 1
    where = mark_of(node)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                    # Point at the value, or at the key when the value is a block below it.
                    where = mark_of(value_node) if isinstance(value_node, yaml.ScalarNode) \
                        or value_node.flow_style else mark_of(key_node)
                    node = value_node
                    break
            else:
                return where
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and 0 <= step < len(node.value):
            node = node.value[step]
            where = mark_of(node)
        else:
            return where
    return where


def locate_key(data: bytes, path: Path) -> tuple[int, int]:
    """Line and column of the *key* at the end of ``path`` (for unknown/extra keys)."""
    try:
        node = compose(decode(data))
    except YamlProblem:
        return 0, 0
    if node is None or not path:
        return 1, 1
    parent_path, last = path[:-1], path[-1]
    for step in parent_path:
        nxt = _child(node, step)
        if nxt is None:
            return mark_of(node)
        node = nxt
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(last):
                return mark_of(key_node)
    return mark_of(node)


def _child(node: yaml.Node, step: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(step):
                return value_node  # type: ignore[no-any-return]
    if isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
            and 0 <= step < len(node.value):
        return node.value[step]  # type: ignore[no-any-return]
    return None
