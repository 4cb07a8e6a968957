"""The command line: option parsing, and the one error boundary.

Commands live one per module in ``tenantry.commands`` and are imported when they run, so
``tenantry --help`` stays fast.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
import typer.core

from reconciler.errors import SpecInvalid, UserError
from tenantry import __version__
from tenantry.options import Options
from tenantry.output import err

if TYPE_CHECKING:
    from tenantry.workspace import Workspace

EXIT_INTERNAL = 3


class _Commands(typer.core.TyperGroup):
    """Lists every command's first sentence whole: click cuts them to the terminal width
    with "..." otherwise (they wrap instead)."""

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


app = typer.Typer(
    name="tenantry", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    cls=_Commands,
    help="GitOps provisioning and billing for MSPs: specs in git are the source of truth.",
    context_settings={"help_option_names": ["-h", "--help"]})


def _print_version(value: bool) -> None:
    # Eager, so it works without a command (`tenantry --version`).
    if value:
        print(f"tenantry {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    ctx: typer.Context,
    chdir: Annotated[Optional[Path], typer.Option("-C", help="Run as if started in DIR.",
                                                  metavar="DIR")] = None,
    specs: Annotated[Optional[Path], typer.Option("--specs", metavar="DIR",
                                                  help="Spec folder (default: specs).")] = None,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    version: Annotated[bool, typer.Option("--version", help="Print the version.",
                                          is_eager=True, callback=_print_version)] = False,
) -> None:
    ctx.obj = Options(chdir=chdir, specs=specs, debug=debug)


def _ws(ctx: typer.Context) -> Workspace:
    from tenantry.workspace import Workspace  # imports the models: only when a command runs

    options = ctx.obj if isinstance(ctx.obj, Options) else Options()
    return Workspace(options)


Tenants = Annotated[list[str], typer.Option("--tenant", metavar="ID",
                                            help="Only this tenant (repeatable).")]
Shard = Annotated[Optional[str], typer.Option("--shard", metavar="I/N",
                                              help="Only shard I of N (for parallel CI).")]


@app.command()
def validate(ctx: typer.Context) -> None:
    """Check every spec file and the references between them."""
    from tenantry.commands import validate as cmd
    raise typer.Exit(cmd.run(_ws(ctx)))


@app.command()
def plan(
    ctx: typer.Context,
    tenant: Tenants = [],
    shard: Shard = None,
    fmt: Annotated[str, typer.Option("--format", metavar="text|json|markdown",
                                     help="Output format.")] = "text",
    out_file: Annotated[Optional[str], typer.Option("--out", metavar="FILE",
                                                     help="Save the plan (JSON).")] = None,
    detailed_exitcode: Annotated[bool, typer.Option(
        "--detailed-exitcode", help="Exit 2 when there are changes.")] = False,
) -> None:
    """Show what apply would change: specs in the working tree against the directories."""
    from tenantry.commands import plan as cmd
    _choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(_ws(ctx), tenants=tenant, shard=shard, fmt=fmt, out_file=out_file,
                             detailed_exitcode=detailed_exitcode))


@app.command()
def apply(
    ctx: typer.Context,
    plan_file: Annotated[Optional[Path], typer.Argument(
        metavar="PLANFILE", help="A plan saved by 'tenantry plan --out'.")] = None,
    auto_approve: Annotated[bool, typer.Option("--auto-approve",
                                               help="Do not ask for confirmation.")] = False,
    max_deletes: Annotated[int, typer.Option("--max-deletes", metavar="N", min=0,
                                             help="Refuse plans deleting more users.")] = 10,
    tenant: Tenants = [],
    shard: Shard = None,
    allow_dirty: Annotated[bool, typer.Option("--allow-dirty",
                                              help="Apply uncommitted specs.")] = False,
    new_passwords: Annotated[Optional[str], typer.Option(
        "--new-passwords", metavar="FILE",
        help="Where initial passwords of created accounts go (mode 0600; default "
             ".tenantry/new-passwords.csv in the spec repository).")] = None,
    lock_timeout: Annotated[float, typer.Option(
        "--lock-timeout", metavar="SECONDS", min=0,
        help="Wait this long for another apply on the same directory (default: 0).")] = 0,
) -> None:
    """Carry out a plan (a saved one, or a fresh one after confirmation)."""
    from tenantry.commands import apply as cmd
    raise typer.Exit(cmd.run(_ws(ctx), plan_file=plan_file, auto_approve=auto_approve,
                             max_deletes=max_deletes, tenants=tenant, shard=shard,
                             allow_dirty=allow_dirty, new_passwords=new_passwords,
                             lock_timeout=lock_timeout))


@app.command()
def bill(
    ctx: typer.Context,
    commit_range: Annotated[Optional[str], typer.Argument(
        metavar="A..B", help="Bill the days after A's day up to B's day.")] = None,
    period: Annotated[Optional[str], typer.Option("--period", metavar="YYYY-MM",
                                                  help="One billing period.")] = None,
    start: Annotated[Optional[str], typer.Option("--from", metavar="DATE",
                                                 help="First day (with --to).")] = None,
    end: Annotated[Optional[str], typer.Option("--to", metavar="DATE",
                                               help="Last day, inclusive.")] = None,
    rev: Annotated[Optional[str], typer.Option("--rev", metavar="REV",
                                               help="Bill as of this revision.")] = None,
    fmt: Annotated[str, typer.Option(
        "--format", metavar="table|json|csv|xlsx|html|markdown|xero",
        help="Output format (xlsx needs --output; xero is a Xero invoice import).")
    ] = "table",
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE",
                                                   help="Write to FILE (atomically).")] = None,
    strict: Annotated[bool, typer.Option(
        "--strict", help="Exit 1 when there is any warning (for CI billing jobs).")] = False,
    show_unbillable: Annotated[bool, typer.Option(
        "--show-unbillable", help="table: list the seat lines not billable, with reasons.")
    ] = False,
    split: Annotated[Optional[str], typer.Option(
        "--split", metavar="DIR",
        help="Also write one printable HTML page per invoice and reseller statement.")
    ] = None,
) -> None:
    """Bill seats from the git history of the specs: a period, dates or a commit range."""
    from tenantry.commands import bill as cmd
    raise typer.Exit(cmd.run(_ws(ctx), commit_range=commit_range, period=period, start=start,
                             end=end, rev=rev, fmt=fmt, output=output, strict=strict,
                             show_unbillable=show_unbillable, split=split))


@app.command()
def licences(
    ctx: typer.Context,
    tenant: Tenants = [],
    shard: Shard = None,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json|csv",
                                     help="Output format.")] = "table",
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE",
                                                  help="Write to FILE.")] = None,
) -> None:
    """Seats bought per tenant and SKU (Graph) against seats in the specs."""
    from tenantry.commands import licences as cmd
    _choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(_ws(ctx), tenants=tenant, shard=shard, fmt=fmt, output=output))


@app.command()
def schema(ctx: typer.Context,
           target: Annotated[Optional[Path], typer.Argument(
               metavar="DIR", help="Where to write them (default: schemas).")] = None) -> None:
    """Write JSON Schemas for the spec files (default folder: schemas/)."""
    from tenantry.commands import schema as cmd
    raise typer.Exit(cmd.run(_ws(ctx), target))


@app.command()
def demo(ctx: typer.Context,
         target: Annotated[Optional[Path], typer.Argument(
             metavar="DIR", help="A new or empty folder (default: a new temporary one).")
         ] = None) -> None:
    """Build a sample spec repository with history, apply it to a local directory."""
    from tenantry.commands import demo as cmd
    raise typer.Exit(cmd.run(_ws(ctx), target))


@app.command()
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
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE",
                                                  help="Write to FILE (atomically).")] = None,
) -> None:
    """Spec changes between two revisions and their monthly charge; exit 2 when any."""
    from tenantry.commands import diff as cmd
    _choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(_ws(ctx), base=base, head=head, fmt=fmt, on=on,
                             all_tenants=all_tenants, output=output))


@app.command()
def show(
    ctx: typer.Context,
    target: Annotated[Optional[str], typer.Argument(metavar="TENANT[/USER]")] = None,
    at: Annotated[Optional[str], typer.Option(
        "--at", metavar="DATE", help="The state at the end of DATE (or at DATETIME).")] = None,
    rev: Annotated[Optional[str], typer.Option("--rev", metavar="REV",
                                               help="The state at REV.")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json|csv|xlsx",
                                     help="Output format (xlsx needs --output).")] = "table",
    output: Annotated[Optional[str], typer.Option("--output", "-o", metavar="FILE",
                                                  help="Write to FILE (atomically).")] = None,
) -> None:
    """What was provisioned at a moment, from git history (names as they were then)."""
    from tenantry.commands import show as cmd
    _choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(_ws(ctx), target=target, at=at, rev=rev, fmt=fmt, output=output))


@app.command()
def log(
    ctx: typer.Context,
    target: Annotated[Optional[str], typer.Argument(metavar="TENANT[/USER]")] = None,
    commit_range: Annotated[Optional[str], typer.Argument(metavar="A..B")] = None,
    fmt: Annotated[str, typer.Option("--format", metavar="text|json",
                                     help="Output format.")] = "text",
) -> None:
    """Who changed a tenant or user, when, in which pull request, and when it was applied."""
    from tenantry.commands import log as cmd
    _choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(_ws(ctx), target=target, commit_range=commit_range, fmt=fmt))


@app.command("import")
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
    raise typer.Exit(cmd.run(_ws(ctx), tenant=tenant, adopt=adopt, directory=directory,
                             container=container, domain=domain, name=name))


@app.command()
def init(ctx: typer.Context,
         target: Annotated[Optional[Path], typer.Argument(
             metavar="DIR", help="Where (default: the current folder).")] = None,
         commit: Annotated[bool, typer.Option(
             "--commit", help="Commit the new files (billing reads history).")] = False,
         ) -> None:
    """Start a spec repository of your own: commented example files to edit."""
    from tenantry.commands import init as cmd
    raise typer.Exit(cmd.run(_ws(ctx), target, commit=commit))


TokensFile = Annotated[Optional[Path], typer.Option(
    "--tokens", metavar="FILE",
    help="The token store (default .tenantry/tokens.sqlite in the spec repository).")]


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", metavar="ADDRESS",
                                      help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", metavar="PORT", min=1, max=65535,
                                      help="Port to listen on.")] = 8080,
    tokens: TokensFile = None,
    root_path: Annotated[str, typer.Option(
        "--root-path", metavar="PATH",
        help="Public path prefix behind a reverse proxy, e.g. /tenantry.")] = "",
) -> None:
    """Serve the read API (tenants, billing) for PSA tools, Excel and Power BI."""
    from tenantry.commands import serve as cmd
    raise typer.Exit(cmd.run(_ws(ctx), host=host, port=port, tokens=tokens,
                             root_path=root_path))


token_app = typer.Typer(name="token", no_args_is_help=True,
                        help="Bearer tokens for the read API (tenantry serve).")
app.add_typer(token_app)


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
    raise typer.Exit(cmd.create(_ws(ctx), name=name, scope=scope, expires=expires,
                                tokens=tokens))


@token_app.command("list")
def token_list(ctx: typer.Context, tokens: TokensFile = None) -> None:
    """List tokens: name, id, scope, created, last used, expiry (never the token)."""
    from tenantry.commands import token as cmd
    raise typer.Exit(cmd.list_tokens(_ws(ctx), tokens=tokens))


@token_app.command("revoke")
def token_revoke(ctx: typer.Context,
                 ident: Annotated[str, typer.Argument(metavar="ID")],
                 tokens: TokensFile = None) -> None:
    """Revoke a token; the server refuses it from the next request."""
    from tenantry.commands import token as cmd
    raise typer.Exit(cmd.revoke(_ws(ctx), ident=ident, tokens=tokens))


def _choice(option: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise UserError(f"{option} {value!r}: use one of {', '.join(allowed)}")


requests_app = typer.Typer(name="requests", no_args_is_help=True,
                           help="Change requests: one reviewed branch per change "
                                "(requests/<n>-<slug>).")
app.add_typer(requests_app)

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
    raise typer.Exit(cmd.new(_ws(ctx), tenant=tenant, op=change, user=user, values=values,
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
    raise typer.Exit(cmd.list_requests(_ws(ctx), show_all=show_all, settings_file=settings,
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
    raise typer.Exit(cmd.show(_ws(ctx), number=number, settings_file=settings, base=base))


@requests_app.command("merge")
def requests_merge(
    ctx: typer.Context,
    number: Annotated[int, typer.Argument(metavar="N", min=1)],
    settings: RequestSettingsFile = None,
    base: BaseBranch = None,
) -> None:
    """Merge a request into the base branch (a merge commit); refused when it conflicts or
    the specs would not validate."""
    from tenantry.commands import requests as cmd
    raise typer.Exit(cmd.merge(_ws(ctx), number=number, settings_file=settings, base=base))


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turning every user error into ``error: ...`` + exit 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = typer.main.get_command(app).main(args, prog_name="tenantry",
                                                standalone_mode=False)
        return code if isinstance(code, int) else 0
    except SpecInvalid as exc:
        for problem in exc.problems:
            err(problem.render())
        err(f"error: {len(exc.problems)} problem(s) found; fix them and run "
            "'tenantry validate'")
        return 1
    except UserError as exc:
        err(f"error: {exc}")
        return 1
    except typer.Abort:
        err("error: aborted")
        return 1
    except typer.TyperException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # bare `tenantry`: show the help
            print(exc.format_message())
            return 0
        # typer ships its own click; its usage errors derive from TyperException. They exit
        # 1, not click's 2: 2 means "success, with changes" here.
        err(f"error: {exc.format_message()}")
        ctx = getattr(exc, "ctx", None)
        if ctx is not None:
            err(f"  see: {ctx.command_path} --help")
        return 1
    except KeyboardInterrupt:
        err("error: interrupted")
        return 130
    except Exception as exc:  # the boundary: anything else is a bug in tenantry
        if debug:
            traceback.print_exc()
        else:
            err(f"error: internal error ({type(exc).__name__}: {exc}); run again with --debug "
                "for the traceback and please report it")
        return EXIT_INTERNAL


def entry() -> None:
    sys.exit(main())
