"""``tenantry demo [DIR]``: a sample spec repository with a dated history, applied step by step.

Each step of the story is written, committed with its author and date, planned and applied to
the built-in local directory, so the result is exactly what a team using tenantry would have.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from reconciler.billing.calendar import Clock, Period
from reconciler.errors import UserError
from tenantry.commands import apply as apply_cmd
from tenantry.commands import bill as bill_cmd
from tenantry.demo_story import STORY, Docs, Step
from tenantry.invocation import activate_hint, tenantry_command
from tenantry.options import Options
from tenantry.output import check_folder, out
from tenantry.specwriter import dump
from tenantry.workspace import Workspace

GITIGNORE = ".tenantry/\ninvoices/\n"


def run(ws: Workspace, target: Path | None) -> int:
    repo = _prepare(ws.cwd, target)
    out(f"Building a sample spec repository in {repo}")
    _git(repo, "init", "-q", "-b", "main")
    (repo / ".gitignore").write_text(GITIGNORE)
    docs: Docs = {}
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    for number, step in enumerate(STORY, start=1):
        when = now - dt.timedelta(days=step.days_ago, hours=number % 5)
        step.edit(docs, when.date())
        _write(repo, docs)
        _commit(repo, step, when)
        out(f"\n=== {number}/{len(STORY)} {when.date()} {step.author[0]}: {step.message}")
        # Apply through the same code path as `tenantry apply --auto-approve`.
        code = apply_cmd.run(Workspace(Options(chdir=repo)), plan_file=None,
                             auto_approve=True, max_deletes=10, tenants=[], shard=None,
                             allow_dirty=False)
        if code != 0:
            raise UserError(f"demo step {number} failed to apply")
    out(f"\nDone: {len(STORY)} commits applied to {repo / '.tenantry/directory.sqlite'}.")
    _invoice(repo)
    for line in hint(repo):
        out(line)
    return 0


def hint(repo: Path) -> list[str]:
    """What to type next, runnable exactly as printed."""
    command = tenantry_command()
    lines = ["", "Try it (each line as printed):", f"  cd {shlex.quote(str(repo))}",
             "  git log --oneline", f"  {command} plan", f"  {command} bill --show-unbillable"]
    activate = activate_hint()
    return lines + ([activate] if activate else [])


def _invoice(repo: Path) -> None:
    """Bill the last closed period from the history just written, in three formats."""
    specs = Workspace(Options(chdir=repo)).load()
    clock = Clock(specs.billing.timezone)
    period = Period.containing(clock.today(), specs.billing.close_day).previous().label
    out(f"\n=== Invoice for the last closed period, {period}")
    (repo / "invoices").mkdir(exist_ok=True)
    for fmt, name in (("table", None), ("html", f"invoices/{period}.html"),
                      ("xlsx", f"invoices/{period}.xlsx"), ("xero", f"invoices/{period}.xero.csv")):
        bill_cmd.run(Workspace(Options(chdir=repo)), commit_range=None, period=period,
                     start=None, end=None, rev=None, fmt=fmt,
                     output=Path(name) if name else None,
                     split=f"invoices/{period}" if fmt == "html" else None)


def _prepare(cwd: Path, target: Path | None) -> Path:
    if target is None:
        return Path(tempfile.mkdtemp(prefix="tenantry-demo-"))
    repo = check_folder(target, "DIR", cwd).resolve()
    if any(repo.iterdir()):
        raise UserError(f"{str(target)!r} is not empty; give a new or empty folder for the demo")
    return repo


def _write(repo: Path, docs: Docs) -> None:
    write_docs(repo / "specs", docs)


def write_docs(specs_dir: Path, docs: Docs) -> None:
    """Make ``specs_dir`` hold exactly ``docs`` (files not in it are removed)."""
    for rel, document in docs.items():
        path = specs_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump(copy.deepcopy(document)))
    for path in specs_dir.rglob("*.yaml"):
        if path.relative_to(specs_dir).as_posix() not in docs:
            path.unlink()


def _commit(repo: Path, step: Step, when: dt.datetime) -> None:
    name, email = step.author
    stamp = when.isoformat()
    env = {"GIT_AUTHOR_NAME": name, "GIT_AUTHOR_EMAIL": email, "GIT_AUTHOR_DATE": stamp,
           "GIT_COMMITTER_NAME": name, "GIT_COMMITTER_EMAIL": email,
           "GIT_COMMITTER_DATE": stamp}
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", step.message, env=env)


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> None:
    full_env = {**os.environ, **(env or {})}
    # The demo must work on a machine where git has no identity configured.
    full_env.setdefault("GIT_COMMITTER_NAME", "tenantry demo")
    full_env.setdefault("GIT_COMMITTER_EMAIL", "demo@tenantry.invalid")
    full_env.setdefault("GIT_AUTHOR_NAME", "tenantry demo")
    full_env.setdefault("GIT_AUTHOR_EMAIL", "demo@tenantry.invalid")
    proc = subprocess.run(["git", "-C", str(repo), *args], env=full_env, capture_output=True)
    if proc.returncode != 0:
        raise UserError(f"git {args[0]} failed: {proc.stderr.decode(errors='replace').strip()}")
