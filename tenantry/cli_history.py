"""The commands that read history: ``diff``, ``show``, ``log``; and ``import``, which
writes a tenant file from its directory. Registered on the main app by ``tenantry.cli``."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from tenantry.cli_common import OutputFile, choice, workspace

history = typer.Typer()


@history.command()
def diff(
    ctx: typer.Context,
    base: Annotated[str, typer.Argument(
        metavar="BASE", help="The base revision; or two joined by three dots: the second "
                             "against its merge base with the first, as a pull request.")],
    head: Annotated[Optional[str], typer.Argument(metavar="HEAD",
                                                  help="Default: HEAD.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="text|json|markdown",
                                     help="Output format.")] = "text",
    on: Annotated[Optional[str], typer.Option(
        "--on", metavar="DATE", help="Price both sides on DATE (default: HEAD's day).")] = None,
    all_tenants: Annotated[bool, typer.Option(
        "--all-tenants", help="Price unchanged tenants too: totals for the whole book.")] = False,
    output: OutputFile = None,
) -> None:
    """Spec changes between two revisions and their monthly charge; exit 2 when any."""
    from tenantry.commands import diff as cmd
    choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(workspace(ctx), base=base, head=head, fmt=fmt, on=on,
                             all_tenants=all_tenants, output=output))


@history.command()
def show(
    ctx: typer.Context,
    target: Annotated[Optional[str], typer.Argument(metavar="TENANT[/USER]")] = None,
    at: Annotated[Optional[str], typer.Option(
        "--at", metavar="DATE", help="The state at the end of DATE (or at DATETIME).")] = None,
    rev: Annotated[Optional[str], typer.Option("--rev", metavar="REV",
                                               help="The state at REV.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json|csv|xlsx",
                                     help="Output format (xlsx needs --output).")] = "table",
    output: OutputFile = None,
) -> None:
    """What was provisioned at a moment, from git history (names as they were then)."""
    from tenantry.commands import show as cmd
    choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(workspace(ctx), target=target, at=at, rev=rev, fmt=fmt,
                             output=output))


@history.command()
def log(
    ctx: typer.Context,
    target: Annotated[Optional[str], typer.Argument(metavar="TENANT[/USER]")] = None,
    commit_range: Annotated[Optional[str], typer.Argument(metavar="A..B")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="text|json",
                                     help="Output format.")] = "text",
) -> None:
    """Who changed a tenant or user, when, in which pull request, and when it was applied."""
    from tenantry.commands import log as cmd
    choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(workspace(ctx), target=target, commit_range=commit_range,
                             fmt=fmt))


@history.command("import")
def import_(
    ctx: typer.Context,
    tenant: Annotated[str, typer.Argument(metavar="TENANT")],
    adopt: Annotated[bool, typer.Option(
        "--adopt", help="Mark unmarked users 'adopt: true': the next apply takes them over "
                        "(sets the ownership marker, nothing else).")] = False,
    directory: Annotated[Optional[str], typer.Option(
        "--directory", metavar="ID", help="The directory of a tenant without a file.")] = None,
    container: Annotated[Optional[str], typer.Option(
        "--container", metavar="C", help="Its container (ldap OU, graph tenant id).")] = None,
    domain: Annotated[Optional[str], typer.Option("--domain", metavar="D",
                                                  help="Its UPN domain.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", metavar="NAME",
                                                help="Its display name (new file).")] = None,
) -> None:
    """Write specs/tenants/TENANT.yaml from what its directory holds (merging into it)."""
    from tenantry.commands import import_tenant as cmd
    raise typer.Exit(cmd.run(workspace(ctx), tenant=tenant, adopt=adopt, directory=directory,
                             container=container, domain=domain, name=name))
