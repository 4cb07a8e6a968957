"""Writing spec files: plain dicts to YAML with ruamel, in the layout people write by hand.

Lists of SKUs and globs are written inline (``skus: [M365-BP, SUPPORT]``) so that a seat
change is a one-line diff in review.
"""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.representer import RoundTripRepresenter

_INLINE_LISTS = {"skus", "users", "tenants"}


def _decimal(representer: RoundTripRepresenter, value: Decimal) -> Any:
    # Money is written as it was given (36.50 stays 36.50), never through a float.
    return representer.represent_scalar("tag:yaml.org,2002:float", str(value))


def _convert(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dict):
        out = CommentedMap()
        for k, v in value.items():
            out[k] = _convert(v, k)
        return out
    if isinstance(value, list | tuple):
        seq = CommentedSeq(_convert(v) for v in value)
        if key in _INLINE_LISTS and all(not isinstance(v, dict) for v in value):
            seq.fa.set_flow_style()
        return seq
    return value


def dump(document: dict[str, Any]) -> str:
    yaml = YAML(typ="rt")
    yaml.default_flow_style = False
    yaml.width = 120
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.representer.add_representer(Decimal, _decimal)
    yaml.representer.add_representer(dt.date, RoundTripRepresenter.represent_date)
    buffer = io.StringIO()
    yaml.dump(_convert(document), buffer)
    return buffer.getvalue()


def convert(value: Any) -> Any:
    """Plain data as ruamel nodes in the hand-written layout (inline SKU lists), for
    inserting into a document loaded in round-trip mode."""
    return _convert(value)
