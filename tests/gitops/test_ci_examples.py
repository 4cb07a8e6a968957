"""The CI examples and the pre-commit hook: valid YAML, the jobs docs/gitops.md promises, and
the shell they run (the notes push script, the hook's command) working on real repos."""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CATALOG, SpecRepo, run_tenantry, tenant, to_yaml, user
from gitopshelp import GITIGNORE

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "ci"
PUSH_NOTES = EXAMPLES / "push-notes.sh"


def load(name: str) -> Any:
    # Plain YAML 1.1 as CI systems read it; "on" must stay a string key for GitHub.
    return yaml.safe_load((EXAMPLES / name).read_text())


def scripts(job: dict[str, Any]) -> str:
    """Every shell line a job runs, as one text."""
    lines: list[str] = []
    for step in job.get("steps", []):
        lines.append(str(step.get("run", "")))
    for key in ("before_script", "script", "after_script"):
        lines += [str(line) for line in job.get(key, [])]
    return "\n".join(lines)


def test_github_actions_example_has_every_job_the_docs_describe() -> None:
    doc = load("github-actions.yml")
    triggers = doc[True] if True in doc else doc["on"]  # PyYAML reads `on:` as True
    assert set(triggers) >= {"pull_request", "push", "schedule"}
    crons = [s["cron"] for s in triggers["schedule"]]
    jobs = doc["jobs"]
    assert set(jobs) == {"pull-request", "apply", "drift", "bill"}
    pr = scripts(jobs["pull-request"])
    assert "tenantry validate" in pr and "tenantry diff" in pr and "--format markdown" in pr
    assert "gh pr comment" in pr and jobs["pull-request"]["permissions"]["pull-requests"] == \
        "write"
    apply = jobs["apply"]
    assert apply["strategy"]["matrix"]["shard"] == [1, 2, 3, 4]
    assert "--shard" in scripts(apply) and "--auto-approve" in scripts(apply)
    assert "${{ matrix.shard }}" in apply["concurrency"]["group"]
    assert apply["concurrency"]["cancel-in-progress"] is False
    assert "push-notes.sh" in scripts(apply)
    drift = jobs["drift"]
    assert "plan --detailed-exitcode --format json" in scripts(drift)
    assert any(c in drift["if"] for c in crons)
    bill = scripts(jobs["bill"])
    assert "for format in json csv xlsx html" in bill and "--period" in bill
    cached = [step for job in jobs.values() for step in job["steps"]
              if str(step.get("uses", "")).startswith("actions/cache")]
    assert cached and all(step["with"]["path"] == ".tenantry/cache" for step in cached)


def test_gitlab_example_has_every_job_the_docs_describe() -> None:
    doc = load("gitlab-ci.yml")
    jobs = {k: v for k, v in doc.items() if isinstance(v, dict) and "script" in v}
    assert set(jobs) == {"validate", "diff", "apply", "drift", "bill"}
    assert doc["default"]["cache"]["paths"] == [".tenantry/cache/"]
    assert "tenantry diff" in scripts(jobs["diff"]) and "merge_requests" in \
        scripts(jobs["diff"])
    apply = jobs["apply"]
    assert apply["parallel"]["matrix"] == [{"SHARD": ["1", "2", "3", "4"]}]
    assert apply["resource_group"] == "tenantry-apply-$SHARD"
    assert "push-notes.sh" in scripts(apply)
    assert "plan --detailed-exitcode --format json" in scripts(jobs["drift"])
    assert "for format in json csv xlsx html" in scripts(jobs["bill"])
    assert jobs["bill"]["artifacts"]["paths"] == ["invoices/"]


def test_pre_commit_hook_runs_tenantry_validate(repo: SpecRepo) -> None:
    (hook,) = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "tenantry-validate" and hook["pass_filenames"] is False
    assert hook["language"] == "python"
    repo.write_specs({"catalog.yaml": to_yaml(CATALOG),
                      "tenants/a.yaml": to_yaml(tenant("A", {"x": user("x@a.example",
                                                                        skus=["NOPE"])}))})
    command = shlex.split(hook["entry"])
    assert command[0] == "tenantry"
    failed = run_tenantry(*command[1:], cwd=repo.root)
    assert failed.code == 1 and "unknown SKU 'NOPE'" in failed.err
    repo.write_specs({"tenants/a.yaml": to_yaml(tenant("A", {"x": user("x@a.example")}))})
    assert run_tenantry(*command[1:], cwd=repo.root).code == 0


def test_push_notes_merges_notes_two_shards_wrote_on_the_same_commit(
        repo: SpecRepo, tmp_path: Path) -> None:
    repo.write({".gitignore": GITIGNORE})
    repo.commit_specs({"catalog.yaml": CATALOG}, "catalog")
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    repo.git("push", "-q", str(remote), "main")
    clones = []
    for shard in (1, 2):
        clone = SpecRepo(tmp_path / f"shard{shard}")
        subprocess.run(["git", "clone", "-q", str(remote), str(clone.root)], check=True)
        clone.git("config", "user.name", f"Shard {shard}")
        clone.git("config", "user.email", f"shard{shard}@ci.example")
        clone.git("notes", "--ref", "tenantry", "append", "-m",
                  f'{{"schema": "tenantry.apply/1", "shard": {shard}}}', "HEAD")
        clones.append(clone)
    nothing = SpecRepo(tmp_path / "idle")
    subprocess.run(["git", "clone", "-q", str(remote), str(nothing.root)], check=True)
    for clone in (*clones, nothing):
        pushed = subprocess.run(["sh", str(PUSH_NOTES), "origin"], cwd=clone.root,
                                capture_output=True, text=True)
        assert pushed.returncode == 0, pushed.stderr
    assert "no apply notes to push" in subprocess.run(
        ["sh", str(PUSH_NOTES)], cwd=nothing.root, capture_output=True, text=True).stdout
    head = repo.head()
    text = subprocess.run(["git", "--git-dir", str(remote), "notes", "--ref", "tenantry",
                           "show", head], capture_output=True, text=True, check=True).stdout
    assert sorted(text.splitlines()) == ['{"schema": "tenantry.apply/1", "shard": 1}',
                                         '{"schema": "tenantry.apply/1", "shard": 2}']


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_examples_never_hold_a_secret_value(name: str) -> None:
    text = (EXAMPLES / name).read_text()
    for line in text.splitlines():
        if "SECRET" in line or "PASSWORD" in line or "TOKEN:" in line:
            assert "secrets." in line or "$" in line or line.lstrip().startswith("#"), line
