"""What the command-line modules share: the workspace of a run, option checks, and
options that several commands take."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
import typer.core

from reconciler.errors import UserError
from tenantry.options import Options


class WholeHelp(typer.core.TyperGroup):
    """Lists every command's first sentence whole: click cuts them to the terminal width
    with "..." otherwise (they wrap instead). For ``tenantry`` and its command groups."""

    # Any: typer's click is its own vendored copy in recent releases, click in older ones.
    def format_commands(self, ctx: Any, formatter: Any) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

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
