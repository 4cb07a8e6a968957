"""The README's paths for a new user, run exactly as printed.

Someone who only ran the quickstart has tenantry in ``.venv/bin`` and not on PATH. The
demo's closing hint, the README's everyday commands and ``tenantry init`` must all work
as printed for them: these tests run the printed lines in a shell whose PATH does not
hold the virtual environment.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import Cli, run_tenantry

ROOT = Path(__file__).parent.parent
# A PATH without this virtual environment, as after the quickstart (nothing activated).
BARE_PATH = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep)
                            if Path(p).resolve() != Path(sys.executable).parent.resolve())
IDENTITY = {"GIT_AUTHOR_NAME": "New User", "GIT_AUTHOR_EMAIL": "new@msp.example",
            "GIT_COMMITTER_NAME": "New User", "GIT_COMMITTER_EMAIL": "new@msp.example"}


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run lines as a user would paste them into bash (stop at the first failure)."""
    return subprocess.run(["bash", "-e", "-c", script], cwd=cwd, capture_output=True,
                          text=True, timeout=300,
                          env={**os.environ, "PATH": BARE_PATH, **IDENTITY})


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A demo repository, built through the installed entry point, and what it printed."""
    target = tmp_path_factory.mktemp("quickstart") / "demo"
    result = subprocess.run([str(Path(sys.executable).parent / "tenantry"), "demo",
                             str(target)], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PATH": BARE_PATH, "GIT_CONFIG_GLOBAL":
                                 os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})
    assert result.returncode == 0, result.stderr
    return target, result.stdout


def test_the_demo_hint_works_exactly_as_printed(demo: tuple[Path, str], tmp_path: Path) -> None:
    _, printed = demo
    block = printed.split("Try it (each line as printed):\n", 1)[1]
    lines = [line.strip() for line in block.splitlines() if line.startswith("  ")]
    assert lines[0].startswith("cd ") and lines[1] == "git log --oneline"
    assert lines[2].endswith(" plan") and not lines[2].startswith("tenantry ")
    result = sh("\n".join(lines), tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No changes. The directories match the specs." in result.stdout
    assert "Not billable" in result.stdout  # bill --show-unbillable
    # And the activation line it prints puts plain `tenantry` on PATH.
    activate = next(line for line in printed.splitlines() if "first run: source" in line)
    command = activate.split("first run: ", 1)[1]
    result = sh(f"{command}\ntenantry --version", tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("tenantry "), result.stderr


def readme_block(heading: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split(f"## {heading}\n", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_readme_everyday_commands_work_in_the_demo(demo: tuple[Path, str]) -> None:
    repo, _ = demo
    lines = readme_block("Everyday use")
    assert lines[0] == "source .venv/bin/activate" and lines[1].startswith("cd ")
    activate = ROOT / ".venv" / "bin" / "activate"
    if not activate.exists() or Path(sys.executable).parent != activate.parent:
        # Tests running from another environment activate that one instead.
        lines[0] = f"source {Path(sys.executable).parent / 'activate'}"
    lines[1] = f"cd {repo}"
    commands = [line for line in lines if line.startswith(("tenantry", "source", "cd"))]
    assert any(re.search(r"bill \S+\.\.\S+", line) for line in commands)  # A..B works here
    result = sh("\n".join(commands), ROOT)
    assert result.returncode == 0, (result.stdout[-2000:], result.stderr[-2000:])
    assert (repo / "october.xlsx").exists() and (repo / "xero.csv").exists()
    assert (repo / "schemas" / "tenant.schema.json").exists()


def test_init_makes_a_repository_that_validates_plans_and_bills(tmp_path: Path) -> None:
    result = sh(f"{sys.executable} -m tenantry init specs-repo --commit", tmp_path)
    assert result.returncode == 0, result.stderr
    repo = tmp_path / "specs-repo"
    assert (repo / ".gitignore").read_text() == ".tenantry/\ninvoices/\n"
    assert sorted(p.relative_to(repo / "specs").as_posix()
                  for p in (repo / "specs").rglob("*.yaml")) == [
        "billing.yaml", "catalog.yaml", "directories.yaml", "resellers.yaml",
        "tenants/example.yaml"]
    for path in (repo / "specs").rglob("*.yaml"):
        assert path.read_text().startswith("#"), path  # each file explains itself
    log = subprocess.run(["git", "-C", str(repo), "log", "--format=%s"], capture_output=True,
                         text=True, check=True).stdout
    assert log == "Start the spec repository (tenantry init)\n"
    # The lines it printed, as printed.
    steps = [line.split("  #", 1)[0].strip() for line in result.stdout.splitlines()
             if line.startswith("  ")]
    run = sh("\n".join(s for s in steps if not s.endswith(" apply")), tmp_path)
    assert run.returncode == 0, run.stderr
    assert "specs: valid (1 tenants, 2 users, 2 products)" in run.stdout
    assert "tenant example (local directory)" in run.stdout
    assert "+ create alice (alice@example.com)" in run.stdout
    bill = run_tenantry("-C", str(repo), "bill", "--format", "json", cwd=tmp_path)
    assert bill.code == 0 and '"tenant": "example"' in bill.out


def test_init_without_commit_prints_the_commit_step_and_keeps_existing_files(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".gitignore").write_text("build/")
    result = cli("init")
    assert result.code == 0, result.err
    assert "git add -A && git commit" in result.out
    assert (tmp_path / ".gitignore").read_text() == "build/\n.tenantry/\ninvoices/\n"
    assert (tmp_path / ".git").is_dir()
    again = cli("init")
    assert again.code == 1 and again.err.strip() == (
        "error: specs already exists; tenantry init starts a new spec repository and never "
        "overwrites specs")
    assert cli("validate").code == 0


def test_init_inside_an_existing_repository_uses_it(tmp_path: Path, cli: Cli,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "infra").mkdir()
    monkeypatch.chdir(tmp_path)
    for name, value in IDENTITY.items():
        monkeypatch.setenv(name, value)
    assert cli("init", "infra/tenantry", "--commit").code == 0
    assert not (tmp_path / "infra" / "tenantry" / ".git").exists()
    assert (tmp_path / ".gitignore").read_text() == ".tenantry/\ninvoices/\n"
    assert cli("--specs", "infra/tenantry/specs", "bill", "--format", "json").code == 0
