"""``tenantry init [DIR]``: a new spec repository to start from, next to the demo.

Writes commented example spec files (``tenantry.starter``), a ``.gitignore`` for
tenantry's local state, makes DIR a git repository when it is not inside one, and, with
``--commit``, commits the result (billing reads history, so nothing bills until then).
Existing spec files are never overwritten.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from reconciler.errors import UserError
from reconciler.gitrepo import Repo, discover
from tenantry import starter
from tenantry.invocation import activate_hint, tenantry_command
from tenantry.output import check_folder, out, write_atomic
from tenantry.workspace import DEFAULT_SPECS, Workspace

COMMIT_MESSAGE = "Start the spec repository (tenantry init)"


def run(ws: Workspace, target: Path | None, *, commit: bool) -> int:
    folder = check_folder(target or Path("."), "DIR", ws.cwd)
    specs_dir = folder / DEFAULT_SPECS
    if specs_dir.exists():
        raise UserError(f"{_shown(specs_dir, ws.cwd)} already exists; tenantry init starts a "
                        "new spec repository and never overwrites specs")
    repo = discover(folder)
    if repo is None:
        Repo(folder).git("init", "-q")
        repo = Repo(folder.resolve())
    for rel, text in starter.FILES.items():
        path = specs_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)  # inside the folder just checked
        write_atomic(path, text, "DIR")
    _ignore(repo.root / ".gitignore")
    if commit:
        _commit(repo, [specs_dir, repo.root / ".gitignore"])
    shown = _shown(folder, ws.cwd)
    out(f"Created a spec repository in {shown}: {len(starter.FILES)} commented example "
        f"files in {DEFAULT_SPECS}/ and a .gitignore for .tenantry/ and invoices/.")
    command = tenantry_command()
    steps = [f"  cd {shlex.quote(shown)}", f"  {command} validate", f"  {command} plan"]
    if not commit:
        steps.append("  git add -A && git commit -m 'Start the spec repository'")
    steps.append(f"  {command} apply        # creates the example users in the local directory")
    out("Next (each line as printed):\n" + "\n".join(steps))
    activate = activate_hint()
    if activate:
        out(activate)
    return 0


def _ignore(gitignore: Path) -> None:
    """Add tenantry's local state to .gitignore, keeping whatever is there."""
    try:
        text = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {gitignore}: {exc}") from None
    present = {line.strip() for line in text.splitlines()}
    missing = [line for line in starter.GITIGNORE_LINES if line not in present]
    if missing:
        sep = "" if not text or text.endswith("\n") else "\n"
        write_atomic(gitignore, text + sep + "\n".join(missing) + "\n", "DIR")


def _commit(repo: Repo, paths: list[Path]) -> None:
    if not repo.git("var", "GIT_COMMITTER_IDENT", check=False).strip():
        raise UserError("git does not know who you are, so the first commit cannot be made; "
                        "run: git config --global user.name 'Your Name' && git config "
                        "--global user.email you@example.com (or leave out --commit)")
    repo.git("add", "--", *(str(p) for p in paths))
    repo.git("commit", "-q", "-m", COMMIT_MESSAGE, "--", *(str(p) for p in paths))


def _shown(path: Path, base: Path) -> str:
    try:
        return str(path.relative_to(base)) if path != base else "."
    except ValueError:
        return str(path)
