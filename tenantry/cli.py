"""The command line: option parsing, and the one error boundary.

Commands live one per module in ``tenantry.commands`` and are imported when they run, so
``tenantry --help`` stays fast.
"""

from __future__ import annotations

import sys
import traceback
from pathlib import Path
from typing import Annotated, Optional

import typer

from reconciler.errors import SpecInvalid, UserError
from tenantry import __version__, quick_exit
from tenantry.cli_common import OutputFile, TokensFile, WholeHelp, choice, workspace
from tenantry.cli_history import history
from tenantry.cli_requests import requests_app
from tenantry.cli_token import token_app
from tenantry.options import Options
from tenantry.output import err

EXIT_INTERNAL = 3


app = typer.Typer(
    name="tenantry", no_args_is_help=True, add_completion=False, rich_markup_mode=None,
    cls=WholeHelp,
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


Tenants = Annotated[list[str], typer.Option("--tenant", metavar="ID",
                                            help="Only this tenant (repeatable).")]
Shard = Annotated[Optional[str], typer.Option("--shard", metavar="I/N",
                                              help="Only shard I of N (for parallel CI).")]


@app.command()
def validate(ctx: typer.Context) -> None:
    """Check every spec file and the references between them."""
    from tenantry.commands import validate as cmd
    raise typer.Exit(cmd.run(workspace(ctx)))


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
    choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(workspace(ctx), tenants=tenant, shard=shard, fmt=fmt,
                             out_file=out_file, detailed_exitcode=detailed_exitcode))


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
    raise typer.Exit(cmd.run(workspace(ctx), plan_file=plan_file, auto_approve=auto_approve,
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
    output: OutputFile = None,
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
    raise typer.Exit(cmd.run(workspace(ctx), commit_range=commit_range, period=period, start=start,
                             end=end, rev=rev, fmt=fmt, output=output, strict=strict,
                             show_unbillable=show_unbillable, split=split))


@app.command()
def licences(
    ctx: typer.Context,
    tenant: Tenants = [],
    shard: Shard = None,
    fmt: Annotated[str, typer.Option("--format", metavar="table|json|csv",
                                     help="Output format.")] = "table",
    output: OutputFile = None,
) -> None:
    """Seats bought per tenant and SKU (Graph) against seats in the specs."""
    from tenantry.commands import licences as cmd
    choice("--format", fmt, cmd.FORMATS)
    raise typer.Exit(cmd.run(workspace(ctx), tenants=tenant, shard=shard, fmt=fmt, output=output))


@app.command()
def schema(ctx: typer.Context,
           target: Annotated[Optional[Path], typer.Argument(
               metavar="DIR", help="Where to write them (default: schemas).")] = None) -> None:
    """Write JSON Schemas for the spec files (default folder: schemas/)."""
    from tenantry.commands import schema as cmd
    raise typer.Exit(cmd.run(workspace(ctx), target))


@app.command()
def demo(ctx: typer.Context,
         target: Annotated[Optional[Path], typer.Argument(
             metavar="DIR", help="A new or empty folder (default: a new temporary one).")
         ] = None) -> None:
    """Build a sample spec repository with history, apply it to a local directory."""
    from tenantry.commands import demo as cmd
    raise typer.Exit(cmd.run(workspace(ctx), target))


# diff, show, log and import (defined in cli_history), listed here in --help.
app.registered_commands.extend(history.registered_commands)


@app.command()
def init(ctx: typer.Context,
         target: Annotated[Optional[Path], typer.Argument(
             metavar="DIR", help="Where (default: the current folder).")] = None,
         commit: Annotated[bool, typer.Option(
             "--commit", help="Commit the new files (billing reads history).")] = False,
         ) -> None:
    """Start a spec repository of your own: commented example files to edit."""
    from tenantry.commands import init as cmd
    raise typer.Exit(cmd.run(workspace(ctx), target, commit=commit))



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
    raise typer.Exit(cmd.run(workspace(ctx), host=host, port=port, tokens=tokens,
                             root_path=root_path))


app.add_typer(token_app)
app.add_typer(requests_app)


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command, turning every user error into ``error: ...`` + exit 1."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    quick_exit.release()
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
    quick_exit.leave(main())
