"""``tenantry token create|list|revoke``: bearer tokens for the read API."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from tenantry.cli_common import TokensFile, WholeHelp, workspace

token_app = typer.Typer(name="token", no_args_is_help=True, cls=WholeHelp,
                        help="Bearer tokens for the read API (tenantry serve).")


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", metavar="NAME",
                                      help="Who it is for (many tokens per name).")],
    scope: Annotated[str, typer.Option("--scope", metavar="all|tenant:ID|reseller:ID",
                                       help="What it may see.")] = "all",
    expires: Annotated[Optional[str], typer.Option(
        "--expires", metavar="DATE", help="Last valid day (UTC), or an ISO date-time.")] = None,
    tokens: TokensFile = None,
) -> None:
    """Create a token and print it once."""
    from tenantry.commands import token as cmd
    raise typer.Exit(cmd.create(workspace(ctx), name=name, scope=scope, expires=expires,
                                tokens=tokens))


@token_app.command("list")
def token_list(ctx: typer.Context, tokens: TokensFile = None) -> None:
    """List tokens: name, id, scope, created, last used, expiry (never the token)."""
    from tenantry.commands import token as cmd
    raise typer.Exit(cmd.list_tokens(workspace(ctx), tokens=tokens))


@token_app.command("revoke")
def token_revoke(ctx: typer.Context,
                 ident: Annotated[str, typer.Argument(metavar="ID")],
                 tokens: TokensFile = None) -> None:
    """Revoke a token; the server refuses it from the next request."""
    from tenantry.commands import token as cmd
    raise typer.Exit(cmd.revoke(workspace(ctx), ident=ident, tokens=tokens))
