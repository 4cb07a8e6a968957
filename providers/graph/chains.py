"""How a stage's operations are grouped for ``$batch``: chains (a user's operations that
need one another, such as a create and its assignLicense) and the batches that carry them.

Graph takes a batch that is fully parallel or fully sequential, so single operations travel
in parallel batches and whole chains in sequential ones, never split across two.
"""

from __future__ import annotations

from dataclasses import dataclass

from reconciler.planning.directory import Status

from .operations import Op

MAX_BATCH = 20  # Graph's limit of requests in one $batch


@dataclass
class Outcome:
    status: Status
    message: str = ""


@dataclass(eq=False)
class Chain:
    ops: list[Op]
    pos: int = 0
    not_before: float = 0.0

    @property
    def head(self) -> Op:
        return self.ops[self.pos]

    @property
    def done(self) -> bool:
        return self.pos >= len(self.ops)


def chains_of(ops: list[Op]) -> list[Chain]:
    """One chain per user whose operations in this stage need one another; the rest alone."""
    by_user: dict[str, list[Op]] = {}
    for op in ops:
        by_user.setdefault(op.user, []).append(op)
    chains: list[Chain] = []
    for mine in by_user.values():
        if any(need in mine for op in mine for need in op.needs):
            chains.append(Chain(mine))
        else:
            chains.extend(Chain([op]) for op in mine)
    return chains


def pack(ready: list[Chain]) -> list[tuple[list[tuple[Chain, Op]], bool]]:
    """Batches of at most 20: parallel ones of single operations, sequential ones of whole
    chains (a chain is never split across batches)."""
    batches: list[tuple[list[tuple[Chain, Op]], bool]] = []
    singles = [(c, c.head) for c in ready if len(c.ops) - c.pos == 1]
    for start in range(0, len(singles), MAX_BATCH):
        batches.append((singles[start:start + MAX_BATCH], False))
    current: list[tuple[Chain, Op]] = []
    for chain in (c for c in ready if len(c.ops) - c.pos > 1):
        rest = [(chain, op) for op in chain.ops[chain.pos:]]
        if current and len(current) + len(rest) > MAX_BATCH:
            batches.append((current, True))
            current = []
        current.extend(rest)
    if current:
        batches.append((current, True))
    return batches
