"""Which model type sits at a path inside a document (for "did you mean" hints).

Walks pydantic field annotations through Annotated, Optional, dict, tuple and the
``provider``-discriminated directory union, using the raw document to pick the member.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel

from reconciler.errors import Path


def fields_at(model: type[BaseModel], loc: Path, raw: Any = None) -> list[str]:
    """Field names of the model found at ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for index, step in enumerate(loc):
        current = _step_type(current, step)
        if current is None:
            return []
        current = _pick_member(current, _raw_at(raw, loc[:index + 1]))
        if current is None:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _raw_at(raw: Any, loc: Path) -> Any:
    for step in loc:
        if isinstance(raw, dict) and isinstance(step, str):
            raw = raw.get(step)
        elif isinstance(raw, tuple) and isinstance(step, int) and 0 <= step < len(raw):
            raw = raw[step]
        else:
            return None
    return raw


def _pick_member(tp: Any, value: Any) -> Any:
    """For a union of models tagged by ``provider``, the member the value asks for."""
    inner = tp
    while typing.get_origin(inner) is typing.Annotated:
        inner = typing.get_args(inner)[0]
    if typing.get_origin(inner) not in (typing.Union, types.UnionType):
        return tp
    models = [a for a in typing.get_args(inner) if isinstance(a, type)
              and issubclass(a, BaseModel)]
    if len(models) <= 1 or not isinstance(value, dict):
        return tp
    for member in models:
        field = member.model_fields.get("provider")
        if field is not None and value.get("provider") in typing.get_args(field.annotation):
            return member
    return None


def _step_type(tp: Any, step: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, field in tp.model_fields.items():
            if step in (name, field.alias):
                return field.annotation
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is dict and args:
        return args[1]
    if origin is tuple and args:
        return args[0]
    return None


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = models[0] if len(models) == 1 else members[0]
            if len(models) > 1:
                return None
        else:
            return tp
