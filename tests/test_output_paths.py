"""Every command that writes a file, against every kind of path that cannot take one.

Each bad path must give exactly one ``error:`` line on stderr and exit 1 — no traceback,
no internal error (exit 3) — and must leave nothing behind: tenantry never creates a
missing parent folder, so a typo cannot grow a new tree (``/nonexistent/dir`` used to be
created silently).
"""

from __future__ import annotations

import ctypes
import os
import subprocess
from pathlib import Path
from typing import Callable

import pytest
from conftest import CATALOG, Cli, SpecRepo, run_tenantry, tenant, tenantry_script, user

# Commands that write one file: how to run each with the path under test.
FILE_WRITERS: dict[str, Callable[[str], list[str]]] = {
    "bill --output": lambda p: ["bill", "--period", "2026-10", "--format", "csv", "--output", p],
    "bill --format xlsx --output": lambda p: ["bill", "--period", "2026-10", "--format", "xlsx",
                                              "--output", p],
    "bill --format xero --output": lambda p: ["bill", "--period", "2026-10", "--format", "xero",
                                              "--output", p],
    "plan --out": lambda p: ["plan", "--out", p],
    "apply --new-passwords": lambda p: ["apply", "--auto-approve", "--new-passwords", p],
}
# Commands that write into a folder they may create (but never its parents).
FOLDER_WRITERS: dict[str, Callable[[str], list[str]]] = {
    "schema DIR": lambda p: ["schema", p],
    "demo DIR": lambda p: ["demo", p],
    "init DIR": lambda p: ["init", p],
    "bill --split DIR": lambda p: ["bill", "--period", "2026-10", "--split", p],
}

# Paths relative to the repository, each wrong for a file: (id, path, what must not appear).
BAD_FILES = [
    ("a folder", "existing_dir", None),
    ("a missing parent", "missing/deeper/out.txt", "missing"),
    ("an absolute missing parent", "{tmp}/nonexistent/dir/x.html", "{tmp}/nonexistent"),
    ("a parent that is a file", "a_file.txt/out.txt", None),
    ("a trailing slash", "newname/", "newname"),
    ("an empty name", "", None),
    ("a dot", ".", None),
    ("a named pipe", "fifo", None),
    ("a read-only file", "readonly.txt", None),
    ("a pseudo file system that takes no files", "/proc/tenantry-test.out", None),
    ("sysfs, permission denied", "/sys/tenantry-test.out", None),
]
BAD_FOLDERS = [
    ("a file", "a_file.txt", None),
    ("a missing parent", "missing/deeper", "missing"),
    ("an absolute missing parent", "{tmp}/nonexistent/dir", "{tmp}/nonexistent"),
    ("below a file", "a_file.txt/sub", None),
    ("a pseudo file system that takes no folders", "/proc/tenantry-test", None),
    ("sysfs, permission denied", "/sys/tenantry-test", None),
]


@pytest.fixture
def spec_repo(repo: SpecRepo, tmp_path: Path) -> SpecRepo:
    repo.write({".gitignore": ".tenantry/\n"})
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant(
        "Acme", {"al": user("al@acme.example", skus=["M365-BP"])})}, "acme",
        date="2026-10-01T12:00:00Z")
    (repo.root / "existing_dir").mkdir()
    (repo.root / "existing_dir" / "keep").write_text("x")
    (repo.root / "a_file.txt").write_text("x")
    os.mkfifo(repo.root / "fifo")
    (repo.root / "readonly.txt").write_text("x")
    (repo.root / "readonly.txt").chmod(0o444)
    return repo


def _check_refused(result_code: int, err: str, out_path: str | None, root: Path) -> None:
    assert result_code == 1, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "internal error" not in err
    if out_path is not None:
        assert not Path(out_path if os.path.isabs(out_path) else root / out_path).exists()


def _cases(table: dict[str, Callable[[str], list[str]]],
           paths: list[tuple[str, str, str | None]]) -> list[object]:
    return [pytest.param(name, path, gone, id=f"{name}: {what}")
            for name in table for what, path, gone in paths]


@pytest.mark.parametrize(("command", "path", "gone"), _cases(FILE_WRITERS, BAD_FILES))
def test_a_file_output_that_cannot_be_written_is_one_error_line(
        spec_repo: SpecRepo, cli: Cli, tmp_path: Path, command: str, path: str,
        gone: str | None) -> None:
    path, gone = path.format(tmp=tmp_path), gone and gone.format(tmp=tmp_path)
    result = cli(*FILE_WRITERS[command](path))
    _check_refused(result.code, result.err, gone, spec_repo.root)
    assert not [p for p in spec_repo.root.rglob("*.tmp")]  # no temporary file left behind


@pytest.mark.parametrize(("command", "path", "gone"), _cases(FOLDER_WRITERS, BAD_FOLDERS))
def test_a_folder_that_cannot_be_written_is_one_error_line(
        spec_repo: SpecRepo, cli: Cli, tmp_path: Path, command: str, path: str,
        gone: str | None) -> None:
    path, gone = path.format(tmp=tmp_path), gone and gone.format(tmp=tmp_path)
    result = cli(*FOLDER_WRITERS[command](path))
    _check_refused(result.code, result.err, gone, spec_repo.root)


def _without_dac_override() -> None:
    """In the child, before exec: drop root's power to ignore permission bits
    (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH) from the bounding set, so root meets a
    0555 folder the way any other user does."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 24, 1, 2


@pytest.mark.parametrize("args", [
    pytest.param(["bill", "--period", "2026-10", "--format", "csv", "--output",
                  "locked/x.csv"], id="bill --output"),
    pytest.param(["plan", "--out", "locked/plan.json"], id="plan --out"),
    pytest.param(["schema", "locked/schemas"], id="schema DIR"),
    pytest.param(["bill", "--period", "2026-10", "--split", "locked/docs"], id="bill --split"),
    pytest.param(["init", "locked/specs-repo"], id="init DIR"),
])
def test_a_folder_without_write_permission_is_one_error_line(spec_repo: SpecRepo,
                                                             args: list[str]) -> None:
    locked = spec_repo.root / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        proc = subprocess.run(
            [tenantry_script(), *args], cwd=spec_repo.root, capture_output=True, text=True,
            timeout=60, preexec_fn=_without_dac_override if os.geteuid() == 0 else None)
    finally:
        locked.chmod(0o755)
    assert proc.returncode == 1, proc
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and \
        "permission denied" in lines[0], proc.stderr
    assert not any(locked.iterdir())


def test_a_good_output_path_still_works_and_replaces_the_file(spec_repo: SpecRepo,
                                                                cli: Cli) -> None:
    (spec_repo.root / "existing_dir" / "bill.csv").write_text("old")
    result = cli("bill", "--period", "2026-10", "--format", "csv", "--output",
                 "existing_dir/bill.csv")
    assert result.code == 0, result.err
    assert (spec_repo.root / "existing_dir" / "bill.csv").read_text().startswith("tenant,")


def test_subprocess_entry_point_gives_the_same_one_line(spec_repo: SpecRepo) -> None:
    # The reported case, through the installed script: an existing folder as --output.
    result = run_tenantry("bill", "--format", "csv", "--output", "existing_dir",
                          cwd=spec_repo.root)
    assert result.code == 1
    assert result.err.strip() == ("error: --output 'existing_dir' is a folder; give a file "
                                  "name inside it, e.g. existing_dir/report")
