"""What the command-line modules share: the workspace of a run, option checks, and
options that several commands take."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from reconciler.errors import UserError
from tenantry.options import Options

if TYPE_CHECKING:
    from tenantry.workspace import Workspace


def workspace(ctx: typer.Context) -> Workspace:
    """The run's workspace, from the global options (``-C``, ``--specs``, ``--debug``)."""
    from tenantry.workspace import Workspace  # imports the models: only when a command runs

    options = ctx.obj if isinstance(ctx.obj, Options) else Options()
    return Workspace(options)


def choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"{option} {value!r}: use one of {', '.join(allowed)}")


TokensFile = Annotated[Optional[Path], typer.Option(
    "--tokens", metavar="FILE",
    help="The token store (default .tenantry/tokens.sqlite in the spec repository).")]
OutputFile = Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE",
                                                   help="Write to FILE (atomically).")]
