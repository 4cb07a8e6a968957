"""``tenantry requests new|list|show|merge|update``: change requests as reviewed branches."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from tenantry.cli_common import WholeHelp, workspace

requests_app = typer.Typer(name="requests", no_args_is_help=True, cls=WholeHelp,
                           help="Change requests: one reviewed branch per change "
                                "(requests/<n>-<slug>).")

RequestSettingsFile = Annotated[Optional[Path], typer.Option(
    "--settings", metavar="FILE",
    help="Request settings (default .tenantry/requests.toml in the spec repository).")]
BaseBranch = Annotated[Optional[str], typer.Option(
    "--base", metavar="BRANCH", help="The branch requests start from and merge into "
                                     "(default: the settings, else the branch checked out).")]


@requests_app.command("new")
def requests_new(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(metavar="TENANT")],
    change: Annotated[str, typer.Argument(
        metavar="CHANGE", help="add-user, update-user, set-enabled, change-skus or "
                               "remove-user.")],
    user: Annotated[str, typer.Argument(metavar="USER", help="The user id.")],
    by: Annotated[str, typer.Option("--as", metavar="NAME",
                                    help="Who asks (the commit's author).")],
    upn: Annotated[Optional[str], typer.Option("--upn", metavar="UPN")] = None,
    display_name: Annotated[Optional[str], typer.Option("--display-name", metavar="TEXT")]
    = None,
    given_name: Annotated[Optional[str], typer.Option("--given-name", metavar="TEXT")] = None,
    surname: Annotated[Optional[str], typer.Option("--surname", metavar="TEXT")] = None,
    sku: Annotated[list[str], typer.Option("--sku", metavar="SKU",
                                           help="add-user: a SKU (repeatable).")] = [],
    add_sku: Annotated[list[str], typer.Option("--add-sku", metavar="SKU",
                                               help="change-skus (repeatable).")] = [],
    remove_sku: Annotated[list[str], typer.Option("--remove-sku", metavar="SKU",
                                                  help="change-skus (repeatable).")] = [],
    enabled: Annotated[Optional[bool], typer.Option(
        "--enable/--disable", help="set-enabled; add-user: --disable adds it disabled.")]
    = None,
    check: Annotated[bool, typer.Option("--check", help="Check only; submit nothing.")]
    = False,
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """Ask for a change to one tenant: checked like validate, committed on a new branch."""
    from tenantry.commands import requests as cmd
    given = {"upn": upn, "display_name": display_name, "given_name": given_name,
             "surname": surname, "skus": sku, "add": add_sku, "remove": remove_sku,
             "enabled": enabled}
    values = {k: v for k, v in given.items() if v is not None and v != []}
    raise typer.Exit(cmd.new(workspace(ctx), tenant=tenant, op=change, user=user, values=values,
                             requester=by, check_only=check, settings_file=settings,
                             base=base))


@requests_app.command("list")
def requests_list(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Merged ones too.")] = False,
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """Requests not yet merged (with --all, every one)."""
    from tenantry.commands import requests as cmd
    raise typer.Exit(cmd.list_requests(workspace(ctx), show_all=show_all, settings_file=settings,
                                       base=base))


@requests_app.command("show")
def requests_show(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(metavar="N", min=1)],
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """One request: who asked, when, and its change as a diff."""
    from tenantry.commands import requests as cmd
    raise typer.Exit(cmd.show(workspace(ctx), number=number, settings_file=settings, base=base))


@requests_app.command("merge")
def requests_merge(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(metavar="N", min=1)],
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """Merge a request into the base branch (a merge commit); a request git cannot merge is
    carried out again on the base's file; refused when the specs would not validate."""
    from tenantry.commands import requests as cmd
    raise typer.Exit(cmd.merge(workspace(ctx), number=number, settings_file=settings, base=base))


@requests_app.command("update")
def requests_update(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(metavar="N", min=1)],
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """Bring a request's branch up to date with the base (its edit carried out again there),
    and push it where a forge reviews it, so its pull request merges cleanly."""
    from tenantry.commands import requests as cmd
    raise typer.Exit(cmd.update(workspace(ctx), number=number, settings_file=settings,
                                base=base))
