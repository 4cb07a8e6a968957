"""The one module that talks to git.

Plan/apply need little: where the repository is, HEAD, whether the specs are dirty, and a
note on the applied commit; billing streams the history. All of it is plain git commands.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Mapping, Sequence

from reconciler.errors import UserError

NOTES_REF = "refs/notes/tenantry"


@dataclass(frozen=True)
class Repo:
    root: Path

    def git(self, *args: str, input: bytes | None = None, check: bool = True) -> str:
        try:
            proc = subprocess.run(["git", "-C", str(self.root), *args], input=input,
                                  capture_output=True, check=False)
        except FileNotFoundError:
            raise UserError("git is not installed or not on PATH") from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip().splitlines()
            raise UserError(f"git {args[0]}: {message[-1] if message else 'failed'}")
        return proc.stdout.decode()

    def head(self) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", "HEAD^{commit}", check=False)
        return out.strip() or None

    def resolve(self, rev: str) -> str:
        # User text never reaches git as an option: a leading '-' is refused outright, and
        # --end-of-options makes git take whatever follows as a revision.
        if not rev or rev.startswith("-") or any(c in rev for c in "\0\n\r"):
            raise UserError(f"unknown revision {rev!r}; use a commit, branch or tag")
        out = self.git("rev-parse", "--verify", "--quiet", "--end-of-options",
                       f"{rev}^{{commit}}", check=False)
        if not out.strip():
            raise UserError(f"unknown revision {rev!r}; use a commit, branch or tag")
        return out.strip()

    def is_dirty(self, paths: Sequence[Path],
                 read_suffixes: tuple[str, ...] = (".yaml", ".yml")) -> bool:
        """Whether files under ``paths`` differ from HEAD: any change to a tracked file, or
        an untracked or git-ignored file ending in ``read_suffixes`` (the loader reads
        those, ignored or not; an editor's swap file does not count)."""
        rel = [":(literal)" + (str(p.resolve().relative_to(self.root))
                               if p.resolve().is_relative_to(self.root) else str(p))
               for p in paths]
        out = self.git("status", "--porcelain", "-z", "--untracked-files=all", "--ignored",
                       "--", *rel)
        for entry in out.split("\0"):
            code, name = entry[:2], entry[3:]
            if not name or (code in ("??", "!!") and not name.endswith(read_suffixes)):
                continue
            return True
        return False

    def add_note(self, commit: str, record: dict[str, Any]) -> None:
        """Append one JSON line to the tenantry note on ``commit`` (an apply's outcome)."""
        line = json.dumps(record, sort_keys=True, separators=(",", ":"))
        ident: list[str] = []
        if not self.git("var", "GIT_COMMITTER_IDENT", check=False).strip():
            # CI checkouts often have no git identity, and a note is a commit on the notes
            # ref: without one, the directory would change and its record be lost.
            ident = ["-c", "user.name=tenantry", "-c", "user.email=tenantry@localhost"]
        self.git(*ident, "notes", "--ref", NOTES_REF, "append", "-m", line, commit)

    def first_parents(self, commit: str) -> list[str]:
        """``commit`` and its first-parent ancestors, newest first."""
        return self.git("rev-list", "--first-parent", commit).split()

    def notes(self, commit: str) -> list[dict[str, Any]]:
        out = self.git("notes", "--ref", NOTES_REF, "show", commit, check=False)
        return [json.loads(line) for line in out.splitlines() if line.strip().startswith("{")]


def discover(path: Path) -> Repo | None:
    """The git repository (with a work tree) containing ``path``, or None.

    One ``git rev-parse`` (~5 ms) rather than GitPython, whose import alone costs ~0.1 s of
    every command's start-up.
    """
    try:
        proc = subprocess.run(["git", "-C", str(path), "rev-parse", "--show-toplevel"],
                              capture_output=True, check=False)
    except (FileNotFoundError, NotADirectoryError):
        return None  # no git, or no such folder
    top = proc.stdout.decode(errors="surrogateescape").strip()
    if proc.returncode != 0 or not top:
        return None
    return Repo(Path(top).resolve())


# --- change requests: commits and refs written without the work tree or its index ---------

@dataclass(frozen=True)
class Ident:
    """Who a commit is by: ``Name <email>`` as git records it."""

    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    def env(self, role: str) -> dict[str, str]:
        return {f"GIT_{role}_NAME": self.name, f"GIT_{role}_EMAIL": self.email}


def _plumb(repo: Repo, *args: str, input: bytes | None = None,
           env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run git with extra environment (a private index, identities); never raises on exit."""
    return subprocess.run(["git", "-C", str(repo.root), *args], input=input,
                          capture_output=True, check=False,
                          env={**os.environ, **env} if env else None)


def _last_line(proc: subprocess.CompletedProcess[bytes]) -> str:
    lines = proc.stderr.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else f"exit status {proc.returncode}"


def current_branch(repo: Repo) -> str | None:
    """The branch checked out in the work tree (short name), or None when detached."""
    out = repo.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return out or None


def ref_target(repo: Repo, ref: str) -> str | None:
    """The commit a full ref name points at, or None when there is no such ref."""
    out = repo.git("rev-parse", "--verify", "--quiet", "--end-of-options",
                   f"{ref}^{{commit}}", check=False)
    return out.strip() or None


def write_blob(repo: Repo, data: bytes) -> str:
    proc = _plumb(repo, "hash-object", "-w", "--stdin", input=data)
    if proc.returncode != 0:
        raise UserError(f"git hash-object: {_last_line(proc)}")
    return proc.stdout.decode().strip()


def commit_tree(repo: Repo, tree: str, parents: Sequence[str], message: str, *,
                author: Ident | None = None, committer: Ident | None = None) -> str:
    """A commit object (no ref moves). Without identities git's own configuration is used."""
    env = {**(author.env("AUTHOR") if author else {}),
           **(committer.env("COMMITTER") if committer else {})}
    args = ["commit-tree", tree]
    for parent in parents:
        args += ["-p", parent]
    proc = _plumb(repo, *args, "-F", "-", input=message.encode(), env=env)
    if proc.returncode != 0:
        raise UserError(f"git commit-tree: {_last_line(proc)}")
    return proc.stdout.decode().strip()


def commit_blobs(repo: Repo, parent: str, blobs: Mapping[str, str], message: str, *,
                 author: Ident, committer: Ident) -> str:
    """A commit on top of ``parent`` whose tree replaces the files ``blobs`` names (path in
    the repository -> blob id); see ``tree_with``."""
    return commit_tree(repo, tree_with(repo, parent, blobs), [parent], message, author=author,
                       committer=committer)


def tree_with(repo: Repo, base: str, blobs: Mapping[str, str]) -> str:
    """The tree of commit ``base`` with the files ``blobs`` names replaced (path in the
    repository -> blob id). Built in a private index file, so the work tree, the real index
    and every ref stay as they are."""
    with tempfile.TemporaryDirectory(prefix="tenantry-index-") as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        steps: list[tuple[list[str], bytes | None]] = [
            (["read-tree", base], None),
            (["update-index", "--add", "--index-info"],
             "".join(f"100644 {blob}\t{path}\n" for path, blob in blobs.items()).encode()),
            (["write-tree"], None)]
        for args, data in steps:
            proc = _plumb(repo, *args, input=data, env=env)
            if proc.returncode != 0:
                raise UserError(f"git {args[0]}: {_last_line(proc)}")
        return proc.stdout.decode().strip()


@dataclass(frozen=True)
class RefUpdate:
    """Set ``ref`` to ``new`` if it is now at ``old`` (None: only if it does not exist)."""

    ref: str
    new: str
    old: str | None = None


def update_refs(repo: Repo, updates: Sequence[RefUpdate]) -> str | None:
    """Move refs in one all-or-nothing transaction, each only from its expected old value
    (compare-and-swap). Returns None when done, else git's reason (nothing moved)."""
    lines = ["start"]
    for u in updates:
        lines.append(f"update {u.ref} {u.new} {u.old}" if u.old else f"create {u.ref} {u.new}")
    lines += ["prepare", "commit", ""]
    proc = _plumb(repo, "update-ref", "--stdin", input="\n".join(lines).encode())
    return None if proc.returncode == 0 else _last_line(proc)


@dataclass(frozen=True)
class RefCommit:
    """A ref and the commit it points at, as ``for-each-ref`` lists them."""

    ref: str
    commit: str
    parents: tuple[str, ...]
    author: Ident
    authored: int  # seconds since the epoch
    message: str


_REF_FORMAT = ("%(refname)%1f%(objectname)%1f%(parent)%1f%(authorname)%1f%(authoremail:trim)"
               "%1f%(authordate:unix)%1f%(contents)%1e")


def refs_under(repo: Repo, prefix: str, *, merged_into: str | None = None) -> list[RefCommit]:
    """Refs under ``prefix`` (e.g. ``refs/heads/requests/``), optionally only those whose
    commit is reachable from ``merged_into``."""
    args = ["for-each-ref", f"--format={_REF_FORMAT}"]
    if merged_into is not None:
        args.append(f"--merged={merged_into}")
    out = repo.git(*args, "--end-of-options", prefix)
    found = []
    for record in out.split("\x1e"):
        fields = record.lstrip("\n").split("\x1f")
        if len(fields) != 7:
            continue
        ref, commit, parents, name, email, when, message = fields
        found.append(RefCommit(ref, commit, tuple(parents.split()), Ident(name, email),
                               int(when or 0), message))
    return found


@dataclass(frozen=True)
class MergeResult:
    tree: str | None  # the merged tree, or None when it conflicts
    conflicts: tuple[str, ...]  # paths that conflict


def merge_trees(repo: Repo, ours: str, theirs: str) -> MergeResult:
    """Three-way merge of two commits into a tree object (``git merge-tree --write-tree``):
    nothing is checked out."""
    proc = _plumb(repo, "merge-tree", "--write-tree", "-z", "--name-only", "--no-messages",
                  ours, theirs)
    if proc.returncode not in (0, 1):
        raise UserError(f"git merge-tree: {_last_line(proc)}")
    tree, *rest = proc.stdout.decode(errors="surrogateescape").split("\0")
    if proc.returncode == 0:
        return MergeResult(tree.strip(), ())
    return MergeResult(None, tuple(dict.fromkeys(p for p in rest if p)))


def is_ancestor(repo: Repo, ancestor: str, descendant: str) -> bool:
    return _plumb(repo, "merge-base", "--is-ancestor", ancestor, descendant).returncode == 0


def fast_forward_checkout(repo: Repo, commit: str) -> None:
    """Move the checked-out branch to ``commit`` (a descendant) and its files with it."""
    proc = _plumb(repo, "merge", "--ff-only", "--quiet", commit)
    if proc.returncode != 0:
        raise UserError(f"git merge --ff-only: {_last_line(proc)}")


def push_ref(repo: Repo, remote: str, ref: str) -> None:
    proc = _plumb(repo, "push", "--quiet", "--porcelain", "--end-of-options", remote,
                  f"{ref}:{ref}", env={"GIT_TERMINAL_PROMPT": "0"})
    if proc.returncode != 0:
        raise UserError(f"git push {remote}: {_last_line(proc)}")


def diff_text(repo: Repo, old: str, new: str) -> str:
    """A unified diff between two commits, as a reviewer reads it (no colour, no pager)."""
    return repo.git("diff", "--no-color", "--no-ext-diff", "--no-renames", old, new, "--")


def configured_ident(repo: Repo) -> Ident | None:
    """The committer git would record here (``user.name``/``user.email``), if configured."""
    proc = _plumb(repo, "var", "GIT_COMMITTER_IDENT")
    text = proc.stdout.decode(errors="replace").strip()
    name, sep, rest = text.partition(" <")
    email = rest.partition(">")[0]
    return Ident(name, email) if proc.returncode == 0 and sep and name and email else None


# --- revisions for a long-running reader ---------------------------------------------------

class RevResolver:
    """Resolves revisions through one long-lived ``git cat-file --batch-check`` process.

    A server resolves ``?rev=`` (default HEAD) on every request; forking ``git rev-parse``
    each time costs more than the rest of a cached answer. Names go to git on stdin, one per
    line, so they are never taken as options; git reads refs afresh for every name, so a new
    commit is seen by the next request.
    """

    def __init__(self, repo: Repo) -> None:
        self._repo = repo
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None

    def resolve(self, rev: str) -> str | None:
        """The commit ``rev`` names, or None (unknown, ambiguous, or not a commit)."""
        if not rev or any(c in rev for c in "\0\n\r"):
            return None
        with self._lock:
            for attempt in (1, 2):  # a process that died is started again once
                proc = self._process()
                assert proc.stdin is not None and proc.stdout is not None
                try:
                    proc.stdin.write(f"{rev}^{{commit}}\n".encode())
                    proc.stdin.flush()
                    answer = proc.stdout.readline().decode(errors="replace").split()
                except (BrokenPipeError, OSError):
                    answer = []
                if answer or attempt == 2:
                    break
                self._stop()
        if len(answer) == 3 and answer[1] == "commit" and len(answer[0]) == 40:
            return answer[0]
        return None

    def _process(self) -> subprocess.Popen[bytes]:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", "-C", str(self._repo.root), "cat-file", "--batch-check"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        return self._proc

    def _stop(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    def close(self) -> None:
        with self._lock:
            self._stop()


class ServingRepo(Repo):
    """A ``Repo`` whose ``resolve`` goes through a ``RevResolver`` (for the API server)."""

    _resolver: RevResolver

    def __init__(self, root: Path) -> None:
        super().__init__(root)
        object.__setattr__(self, "_resolver", RevResolver(Repo(root)))

    def resolve(self, rev: str) -> str:
        if not rev or rev.startswith("-"):
            raise UserError(f"unknown revision {rev!r}; use a commit, branch or tag")
        sha = self._resolver.resolve(rev)
        if sha is None:
            raise UserError(f"unknown revision {rev!r}; use a commit, branch or tag")
        return sha


# --- history for billing: one streaming log, one blob reader ------------------------------

_LOG_FORMAT = "%x1e%H%x1f%P%x1f%ct%x1f%an <%ae>%x1f%s"


@dataclass(frozen=True)
class LogCommit:
    """One first-parent commit and the spec files it changed (blob "" = deleted)."""

    sha: str
    parents: tuple[str, ...]
    committed: int  # committer time, seconds since the epoch
    author: str
    subject: str
    changes: tuple[tuple[str, str], ...]  # (path relative to the specs folder, new blob)


def first_parent_log(repo: Repo, rev: str, specs_path: str,
                     since: str | None = None) -> Iterator[LogCommit]:
    """Every first-parent commit of ``rev``, oldest first, with its spec changes; with
    ``since`` (a first-parent ancestor of ``rev``), only the commits after it.

    One ``git log`` process streams the whole history. ``--sparse`` keeps commits that do
    not touch the specs (their times matter for the clamp); merges are diffed against their
    first parent, so a feature branch's intermediate commits never appear.
    """
    revs = [rev] if since is None else [f"^{since}", rev]
    prefix = _specs_prefix(specs_path)
    args = ["git", "-C", str(repo.root), "log", "--first-parent", "--sparse", "--reverse",
            "--raw", "-z", "--no-abbrev", "--no-renames", "--no-color", "--no-ext-diff",
            f"--format={_LOG_FORMAT}", *revs, "--", prefix or "."]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        pending = b""
        while chunk := proc.stdout.read(1 << 20):
            pending += chunk
            *records, pending = pending.split(b"\x1e")
            for record in records:
                if record:
                    yield _parse_commit(record, prefix)
        if pending:
            yield _parse_commit(pending, prefix)
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.wait() != 0:
            lines = stderr.strip().splitlines()
            raise UserError(f"git log {rev}: {lines[-1] if lines else 'failed'}")


def _parse_commit(record: bytes, prefix: str) -> LogCommit:
    header, _, raw = record.partition(b"\0")
    sha, parents, committed, author, subject = header.decode(errors="replace").split("\x1f", 4)
    tokens = raw.split(b"\0")
    changes: list[tuple[str, str]] = []
    for meta, path in zip(tokens[0::2], tokens[1::2]):
        # ":100644 100644 <old> <new> M" then the path (raw bytes, unquoted with -z)
        fields = meta.strip().split()
        if len(fields) < 5:
            continue
        status, new_blob, mode = fields[4][:1], fields[3].decode(), fields[1]
        name = path.decode(errors="surrogateescape")
        if not name.startswith(prefix):
            continue
        deleted = status == b"D" or mode == b"160000"
        changes.append((name[len(prefix):], "" if deleted else new_blob))
    return LogCommit(sha, tuple(parents.split()), int(committed), author, subject,
                     tuple(changes))


class BlobReader:
    """Blob contents through one long-lived ``git cat-file --batch`` process."""

    def __init__(self, repo: Repo) -> None:
        self._proc = subprocess.Popen(["git", "-C", str(repo.root), "cat-file", "--batch"],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def read(self, blob_ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
        """Yield (id, content) in the order asked; a writer thread avoids pipe deadlock."""
        proc = self._proc
        assert proc.stdin is not None and proc.stdout is not None
        stdin, stdout = proc.stdin, proc.stdout

        def feed() -> None:
            for blob in blob_ids:
                stdin.write(blob.encode() + b"\n")
            stdin.flush()

        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        for blob in blob_ids:
            header = stdout.readline().split()
            if len(header) < 3 or header[1] != b"blob":
                raise UserError(f"git cat-file: blob {blob} is missing from the repository")
            size = int(header[2])
            data = stdout.read(size)
            stdout.read(1)  # the newline after each object
            yield blob, data
        writer.join()

    def close(self) -> None:
        if self._proc.stdin:
            self._proc.stdin.close()
        self._proc.wait()

    def __enter__(self) -> BlobReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_blobs(root: Path, blob_ids: Sequence[str]) -> Iterator[tuple[str, bytes]]:
    """(id, content) of each blob, through one ``git cat-file --batch`` of its own (a module
    function, so that worker processes can be handed it)."""
    with BlobReader(Repo(root)) as reader:
        yield from reader.read(blob_ids)


# --- spec changes between revisions, audit history and notes (diff, show, log) ------------

ZERO_BLOB = "0" * 40


def _specs_prefix(specs_path: str) -> str:
    return specs_path.rstrip("/") + "/" if specs_path not in ("", ".") else ""


def tree_blobs(repo: Repo, rev: str, specs_path: str,
               names: Sequence[str] = ()) -> dict[str, str]:
    """Files under the specs folder at ``rev`` (all, or only ``names`` inside it): path
    inside the folder -> blob id. One ``git ls-tree``: tree objects only, no file content.
    """
    prefix = _specs_prefix(specs_path)
    wanted = [prefix + name for name in names] if names else [prefix or "."]
    out = repo.git("ls-tree", "-r", "-z", "--full-tree", rev, "--", *wanted)
    files: dict[str, str] = {}
    for entry in out.split("\0"):
        meta, _, name = entry.partition("\t")
        fields = meta.split()
        if len(fields) == 3 and fields[1] == "blob" and name.startswith(prefix):
            files[name[len(prefix):]] = fields[2]
    return files


@dataclass(frozen=True)
class FileChange:
    """One spec file that differs between two trees ("" = absent on that side)."""

    path: str  # inside the specs folder
    old: str
    new: str


def changed_files(repo: Repo, base: str, head: str, specs_path: str) -> list[FileChange]:
    """The spec files that differ between two commits, with both blob ids.

    ``git diff-tree`` compares tree objects: unchanged subtrees are skipped by their id and
    no file content is read, so the cost follows the change, not the repository.
    """
    prefix = _specs_prefix(specs_path)
    out = _run(repo, "diff-tree", "-r", "-z", "--no-renames", "--no-ext-diff", "--raw",
               "--no-commit-id", base, head, "--", prefix or ".")
    return _raw_changes(out, prefix)


def _run(repo: Repo, *args: str) -> bytes:
    """A git command's raw output (paths may be any bytes)."""
    proc = subprocess.run(["git", "-C", str(repo.root), *args], capture_output=True,
                          check=False)
    if proc.returncode != 0:
        lines = proc.stderr.decode(errors="replace").strip().splitlines()
        raise UserError(f"git {args[0]}: {lines[-1] if lines else 'failed'}")
    return proc.stdout


def _raw_changes(raw: bytes, prefix: str) -> list[FileChange]:
    """``--raw -z`` records (":old-mode new-mode old new status" NUL path NUL) as changes;
    a submodule entry counts as no file."""
    tokens = raw.lstrip(b"\n").split(b"\0")
    found: list[FileChange] = []
    for meta, path in zip(tokens[0::2], tokens[1::2]):
        fields = meta.strip().decode(errors="replace").split()
        name = path.decode(errors="surrogateescape")
        if len(fields) < 5 or not name.startswith(prefix):
            continue
        old_mode, new_mode, old, new = fields[0].lstrip(":"), fields[1], fields[2], fields[3]
        found.append(FileChange(name[len(prefix):],
                                "" if old == ZERO_BLOB or old_mode == "160000" else old,
                                "" if new == ZERO_BLOB or new_mode == "160000" else new))
    return found


def merge_base(repo: Repo, a: str, b: str) -> str:
    out = repo.git("merge-base", a, b, check=False).strip()
    if not out:
        raise UserError(f"{a[:12]} and {b[:12]} have no common ancestor")
    return out


def commit_time(repo: Repo, rev: str) -> int:
    """Committer time of one commit, seconds since the epoch."""
    return int(repo.git("show", "-s", "--format=%ct", rev).strip())


_AUDIT_FORMAT = "%x1e%H%x1f%P%x1f%ct%x1f%an <%ae>%x1f%cn <%ce>%x1f%B"


@dataclass(frozen=True)
class AuditCommit:
    """One first-parent commit for ``tenantry log``: who, when, its message, what changed."""

    sha: str
    parents: tuple[str, ...]
    committed: int
    author: str
    committer: str
    message: str
    changes: tuple[FileChange, ...]

    @property
    def subject(self) -> str:
        return self.message.split("\n", 1)[0]


def audit_log(repo: Repo, revisions: Sequence[str], paths: Sequence[str],
              specs_path: str) -> Iterator[AuditCommit]:
    """First-parent commits of ``revisions`` (e.g. ``["A..B"]``) that changed ``paths``
    (inside the specs folder; ``[""]`` for all of it), oldest first, in one ``git log``.

    Merges are diffed against their first parent, so a merged pull request is one entry
    carrying all of its changes, with the merge message (and its PR number).
    """
    prefix = _specs_prefix(specs_path)
    specs = [prefix + p if p else (prefix or ".") for p in paths]
    out = _run(repo, "log", "--first-parent", "--reverse", "--raw", "-z", "--no-abbrev",
               "--no-renames", "--no-color", "--no-ext-diff", f"--format={_AUDIT_FORMAT}",
               *revisions, "--", *specs)
    for record in out.split(b"\x1e"):
        if not record.strip(b"\0\n"):
            continue
        header, _, raw = record.partition(b"\0")
        sha, parents, committed, author, committer, message = \
            header.decode(errors="replace").split("\x1f", 5)
        yield AuditCommit(sha, tuple(parents.split()), int(committed), author, committer,
                          message.strip(), tuple(_raw_changes(raw, prefix)))


def merged_authors(repo: Repo, merge: str) -> list[str]:
    """Who wrote the commits a merge brought in (its other parents' commits that the first
    parent did not have), each once, oldest first."""
    out = repo.git("log", "--reverse", "--format=%an <%ae>", f"{merge}^@", "--not",
                   f"{merge}^1", check=False)
    return list(dict.fromkeys(line for line in out.splitlines() if line))


def first_parent_times(repo: Repo, rev: str) -> list[tuple[str, int]]:
    """(commit, committer time) along the first-parent chain of ``rev``, oldest first: one
    ``git log`` that computes no diffs."""
    out = repo.git("log", "--first-parent", "--reverse", "--format=%H %ct", rev)
    return [(sha, int(ct)) for sha, ct in (line.split() for line in out.splitlines())]


def all_notes(repo: Repo) -> dict[str, str]:
    """Every tenantry note: annotated commit -> note text (one ``notes list``, one read)."""
    listing = repo.git("notes", "--ref", NOTES_REF, "list", check=False)
    pairs = [line.split() for line in listing.splitlines() if len(line.split()) == 2]
    if not pairs:
        return {}
    with BlobReader(repo) as blobs:
        texts = dict(blobs.read([note for note, _ in pairs]))
    return {commit: texts[note].decode(errors="replace") for note, commit in pairs}
