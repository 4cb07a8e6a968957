"""Shared test helpers: real git repositories in tmp dirs, spec files from Python, the CLI.

Git is never mocked. Every test gets a git that reads no global or system config, and
repositories made here set their own ``user.name``/``user.email``. Commits take an explicit
author and date, so billing tests can build a dated history::

    def test_something(repo, cli):
        repo.commit_specs({"catalog.yaml": CATALOG,
                           "tenants/acme.yaml": tenant("Acme", {"al": user("al@acme.example")})},
                          "add acme", date="2026-03-01T09:00:00+13:00")
        repo.branch("feature")
        repo.commit_specs({"tenants/acme.yaml": None}, "drop acme")   # None deletes the file
        repo.checkout("main")
        repo.merge("feature", "Merge pull request #7 from org/feature")  # always --no-ff
        assert cli("plan").code == 0

``cli(...)`` runs ``tenantry.cli.main`` in-process (fast; output via capsys);
``run_tenantry(...)`` runs the installed console script in a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import pytest
import yaml

from tenantry.cli import main

# Real OpenLDAP and Samba AD servers for the ldap provider's tests (tests/ldap_fixtures.py).
pytest_plugins = ["ldap_fixtures"]

AUTHOR = "Test Author <author@example.net>"
DEFAULT_BRANCH = "main"
DIRECTORY_FILE = ".tenantry/directory.sqlite"

# A catalog most tests can share: two provisioned products and a support seat.
CATALOG: dict[str, Any] = {"products": {
    "M365-BP": {"name": "Microsoft 365 Business Premium", "price": Decimal("36.50")},
    "EXO-P1": {"name": "Exchange Online Plan 1", "price": Decimal("6.40")},
    "SUPPORT": {"name": "Managed support seat", "price": Decimal("25.00")},
}}

# What ``write``/``commit`` accept per file: text, bytes, a dict dumped as YAML, or None
# (delete the file).
Content = str | bytes | Mapping[str, Any] | None
When = str | dt.datetime | dt.date


# --- spec documents as Python data --------------------------------------------------------

def user(upn: str, display_name: str | None = None, *, skus: Sequence[str] = (),
         **extra: Any) -> dict[str, Any]:
    """One entry of a tenant's ``users:`` map (``extra``: enabled, given_name, ...)."""
    doc: dict[str, Any] = {"upn": upn,
                           "display_name": display_name or upn.split("@")[0].title()}
    doc.update(extra)
    if skus:
        doc["skus"] = list(skus)
    return doc


def tenant(name: str, users: Mapping[str, Mapping[str, Any]] | None = None,
           **extra: Any) -> dict[str, Any]:
    """A ``tenants/<id>.yaml`` document (``extra``: domain, billing, reseller, ...)."""
    return {"name": name, **extra, "users": {uid: dict(doc) for uid, doc in (users or {}).items()}}


class _Dumper(yaml.SafeDumper):
    pass


# Decimals as plain numbers (36.50, not '36.50' or a float that lost its trailing zero).
_Dumper.add_representer(
    Decimal, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:float", str(value)))


def to_yaml(doc: Mapping[str, Any]) -> str:
    return yaml.dump(dict(doc), Dumper=_Dumper, sort_keys=False, allow_unicode=True)


# --- git ----------------------------------------------------------------------------------

def git_date(when: When) -> str:
    """A date for GIT_AUTHOR_DATE/GIT_COMMITTER_DATE.

    Strings pass through (git parses ISO 8601, e.g. ``2026-03-01T09:00:00+13:00``); a naive
    datetime is UTC; a bare date is noon UTC on that day.
    """
    if isinstance(when, str):
        return when
    if not isinstance(when, dt.datetime):
        when = dt.datetime.combine(when, dt.time(12, 0))
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    offset = when.utcoffset() or dt.timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{int(when.timestamp())} {sign}{abs(minutes) // 60:02d}{abs(minutes) % 60:02d}"


def _ident(who: str) -> tuple[str, str]:
    name, _, rest = who.partition("<")
    if not rest.endswith(">") or not name.strip():
        raise ValueError(f"author must look like 'Name <email>', not {who!r}")
    return name.strip(), rest[:-1]


@dataclass
class GitRepo:
    """A real git repository in a tmp dir, with helpers to build history quickly."""

    root: Path

    @classmethod
    def init(cls, root: Path, branch: str = DEFAULT_BRANCH) -> GitRepo:
        root.mkdir(parents=True, exist_ok=True)
        repo = cls(root)
        repo.git("init", "-q", "-b", branch)
        repo.git("config", "user.name", "Repo Owner")
        repo.git("config", "user.email", "owner@example.net")
        repo.git("config", "commit.gpgsign", "false")
        return repo

    def git(self, *args: str, env: Mapping[str, str] | None = None, check: bool = True) -> str:
        proc = subprocess.run(["git", "-C", str(self.root), *args], capture_output=True,
                              text=True, env={**os.environ, **(env or {})}, check=False)
        if check and proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({proc.returncode}):\n"
                                 f"{proc.stderr}")
        return proc.stdout

    def write(self, files: Mapping[str, Content]) -> None:
        """Write (or, for None, delete) files; paths are relative to the repository root."""
        for rel, content in files.items():
            path = self.root / rel
            if content is None:
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content if isinstance(content, str) else to_yaml(content))

    def commit(self, files: Mapping[str, Content] | None = None, message: str = "update",
               *, author: str = AUTHOR, date: When | None = None,
               committer: str | None = None, committer_date: When | None = None) -> str:
        """Write ``files``, stage everything, commit; returns the new commit's sha.

        The committer defaults to the author and the committer date to ``date``: billing
        reads committer time, so one ``date`` dates the commit for every purpose.
        """
        if files:
            self.write(files)
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "--no-verify", "-m", message,
                 env=self._env(author, date, committer, committer_date))
        return self.head()

    def head(self) -> str:
        return self.rev_parse("HEAD")

    def rev_parse(self, rev: str) -> str:
        return self.git("rev-parse", "--verify", f"{rev}^{{commit}}").strip()

    def branch(self, name: str, start: str = "HEAD") -> None:
        """Create branch ``name`` at ``start`` and switch to it."""
        self.git("checkout", "-q", "-b", name, start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "-q", ref)

    def merge(self, branch: str, message: str | None = None, *, author: str = AUTHOR,
              date: When | None = None) -> str:
        """Merge ``branch`` into the current branch with a merge commit (``--no-ff``)."""
        self.git("merge", "-q", "--no-ff", "--no-edit", "-m",
                 message or f"Merge branch '{branch}'", branch,
                 env=self._env(author, date, None, None))
        return self.head()

    def is_clean(self) -> bool:
        return not self.git("status", "--porcelain").strip()

    def notes(self, rev: str = "HEAD", ref: str = "refs/notes/tenantry") -> str:
        """The raw note text on ``rev`` (empty when there is none)."""
        return self.git("notes", "--ref", ref, "show", rev, check=False)

    @staticmethod
    def _env(author: str, date: When | None, committer: str | None,
             committer_date: When | None) -> dict[str, str]:
        a_name, a_email = _ident(author)
        c_name, c_email = _ident(committer or author)
        env = {"GIT_AUTHOR_NAME": a_name, "GIT_AUTHOR_EMAIL": a_email,
               "GIT_COMMITTER_NAME": c_name, "GIT_COMMITTER_EMAIL": c_email}
        if date is not None:
            env["GIT_AUTHOR_DATE"] = git_date(date)
        when = committer_date if committer_date is not None else date
        if when is not None:
            env["GIT_COMMITTER_DATE"] = git_date(when)
        return env


@dataclass
class SpecRepo(GitRepo):
    """A spec repository: ``commit_specs`` takes paths relative to the specs folder."""

    specs: str = "specs"

    @classmethod
    def init(cls, root: Path, branch: str = DEFAULT_BRANCH) -> SpecRepo:
        base = GitRepo.init(root, branch)
        return cls(base.root)

    def spec_paths(self, files: Mapping[str, Content]) -> dict[str, Content]:
        return {f"{self.specs}/{rel}": content for rel, content in files.items()}

    def write_specs(self, files: Mapping[str, Content]) -> None:
        self.write(self.spec_paths(files))

    def commit_specs(self, files: Mapping[str, Content], message: str = "update specs",
                     **kwargs: Any) -> str:
        return self.commit(self.spec_paths(files), message, **kwargs)

    @property
    def directory_path(self) -> Path:
        return self.root / DIRECTORY_FILE


# --- the local directory, read independently of the provider under test -------------------

def dump_directory(path: Path) -> list[tuple[Any, ...]]:
    """Every user row (all columns, timestamps included) with its SKUs, sorted."""
    if not path.exists():
        return []
    db = sqlite3.connect(path)
    try:
        skus: dict[str, list[str]] = {}
        for oid, sku in db.execute("SELECT object_id, sku FROM user_skus ORDER BY sku"):
            skus.setdefault(oid, []).append(sku)
        rows = db.execute("SELECT * FROM users ORDER BY tenant, upn").fetchall()
        return [(*row, tuple(skus.get(row[0], ()))) for row in rows]
    finally:
        db.close()


def sql(repo: SpecRepo, statement: str, *params: Any) -> None:
    """Change the local directory behind tenantry's back (as another admin would)."""
    db = sqlite3.connect(repo.directory_path)
    with db:
        db.execute(statement, params)
    db.close()


def notes(repo: SpecRepo, rev: str = "HEAD") -> list[dict[str, Any]]:
    """The apply notes on ``rev``, one JSON document per line."""
    return [json.loads(line) for line in repo.notes(rev).splitlines() if line.strip()]


def directory_users(path: Path, tenant_id: str) -> dict[str, dict[str, Any]]:
    """A tenant's users keyed by UPN: marker, names, enabled and SKUs, as stored."""
    if not path.exists():
        return {}
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        found: dict[str, dict[str, Any]] = {}
        for row in db.execute("SELECT * FROM users WHERE tenant = ?", (tenant_id,)):
            skus = {r[0] for r in db.execute("SELECT sku FROM user_skus WHERE object_id = ?",
                                             (row["object_id"],))}
            found[row["upn"]] = {**dict(row), "enabled": bool(row["enabled"]), "skus": skus}
        return found
    finally:
        db.close()


# --- running the CLI ----------------------------------------------------------------------

@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


Cli = Callable[..., Result]


def tenantry_script() -> str:
    """The installed ``tenantry`` console script of this interpreter's environment."""
    beside = Path(sys.executable).parent / "tenantry"
    found = str(beside) if beside.exists() else shutil.which("tenantry")
    if found is None:
        pytest.fail("the tenantry console script is not installed (pip install -e .)")
    return found


def run_tenantry(*args: str | Path, cwd: Path, input: str | None = None,
                 env: Mapping[str, str] | None = None, timeout: float = 60) -> Result:
    """Run the real entry point in a subprocess (stdin is not a terminal)."""
    proc = subprocess.run([tenantry_script(), *map(str, args)], cwd=cwd, input=input or "",
                          capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    return Result(proc.returncode, proc.stdout, proc.stderr)


# --- fixtures -----------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch) -> None:
    """No user's or machine's git config, and no git variables leaking in from outside."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
                 "GIT_NOTES_REF", "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE",
                 "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def make_repo(tmp_path: Path) -> Iterator[Callable[[str], SpecRepo]]:
    """Factory for more than one repository per test: ``make_repo("other")``."""
    def make(name: str) -> SpecRepo:
        return SpecRepo.init(tmp_path / name)
    yield make


@pytest.fixture
def repo(make_repo: Callable[[str], SpecRepo], monkeypatch: pytest.MonkeyPatch) -> SpecRepo:
    """An empty spec repository (no commits yet); the test runs inside it."""
    made = make_repo("repo")
    monkeypatch.chdir(made.root)
    return made


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``tenantry ARGS`` in-process from the current folder; returns code, out, err."""
    def run(*args: str | Path) -> Result:
        capsys.readouterr()  # start from empty buffers
        code = main([str(a) for a in args])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)
    return run
