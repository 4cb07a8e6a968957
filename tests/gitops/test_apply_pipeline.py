"""Apply in pipelines: one apply per directory at a time, the versioned apply note, notes
pushed to and fetched from a remote, and the scheduled drift check's exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import CATALOG, Cli, GitRepo, SpecRepo, notes, run_tenantry, sql, tenant, user
from gitopshelp import GITIGNORE

from reconciler.changes.notes import MAX_FAILURES, build, parse_notes

A = "acme.example"

HOLD = """
import fcntl, sys, time
handle = open(sys.argv[1], "a+")
fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
handle.seek(0); handle.truncate()
handle.write('{"pid": 4242, "host": "runner-7", "command": "apply", "since": "then"}\\n')
handle.flush()
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.fixture
def acme(repo: SpecRepo) -> SpecRepo:
    repo.write({".gitignore": GITIGNORE})
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/acme.yaml": tenant("Acme", {
        "al": user(f"al@{A}", skus=["M365-BP"]), "bo": user(f"bo@{A}", skus=["SUPPORT"])},
        domain=A)}, "acme")
    return repo


def hold_lock(repo: SpecRepo, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the local directory's apply lock, as a running apply does."""
    path = repo.root / ".tenantry/locks/local.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(path), str(seconds)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_held_lock_refuses_a_second_apply_with_a_clear_message(acme: SpecRepo,
                                                                 cli: Cli) -> None:
    holder = hold_lock(acme, 30)
    try:
        refused = cli("apply", "--auto-approve")
        assert refused.code == 1
        assert ("error: directory 'local' is locked by another apply (pid 4242 on runner-7, "
                "apply since then); it is released when that run ends") in refused.err
        assert not acme.directory_path.exists()  # nothing was planned or applied
        waited = cli("apply", "--auto-approve", "--lock-timeout", "0.5")
        assert waited.code == 1 and "after waiting 0.5 s" in waited.err
    finally:
        holder.kill()
        holder.wait()
    assert cli("apply", "--auto-approve").code == 0  # the kernel released the lock


def test_concurrent_applies_are_serialised(acme: SpecRepo) -> None:
    """Two pipelines apply the same commit at once: one waits, then finds nothing to do."""
    procs = [subprocess.Popen(
        [str(Path(sys.executable).parent / "tenantry"), "apply", "--auto-approve",
         "--lock-timeout", "60"], cwd=acme.root, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    assert [code for _, _, code in results] == [0, 0], results
    outputs = [out for out, _, _ in results]
    applied = [out for out in outputs if "Apply complete: 4 applied, 0 failed" in out]
    assert len(applied) == 1
    (second,) = [out for out in outputs if out not in applied]
    assert "No changes. The directories match the specs." in second
    assert len(notes(acme)) == 1  # one apply changed something, one note


def test_the_note_is_a_versioned_document_without_secrets(acme: SpecRepo, cli: Cli,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    acme.commit_specs({"directories.yaml": {"directories": {
        "local": {"provider": "local"}}}}, "name the directory")
    assert cli("apply", "--auto-approve").code == 0
    (note,) = notes(acme)
    assert note["schema"] == "tenantry.apply/1"
    assert note["revision"] == acme.head() and note["tenants"] == ["acme"]
    assert note["counts"] == {"applied": 4, "failed": 0, "skipped": 0}
    assert note["tool_version"] and note["applied_at"].endswith("+00:00")
    # A directory's error message that happens to echo a secret is masked before it is
    # written; control characters are dropped and the length capped.
    secret = "s3cret-Value-42"
    built = build(applied_at="2026-03-01T00:00:00+00:00", tool_version="0.1.0",
                  revision="abc", dirty=False, tenants=["b", "a", "a"], applied=1,
                  failures=[(f"a/u{i:03d}/create", f"bind as svc with {secret}\x1b[31m!")
                            for i in range(60)],
                  skipped=["a/u/assign/X"], not_planned=[], secrets=[secret, "ab"])
    doc = built.to_json()
    assert doc["tenants"] == ["a", "b"]
    assert doc["counts"] == {"applied": 1, "failed": 60, "skipped": 1}
    assert len(doc["failures"]) == MAX_FAILURES
    assert doc["failures"][0] == {"change": "a/u000/create",
                                  "message": "bind as svc with *** [31m!"}
    assert secret not in json.dumps(doc)
    assert parse_notes(json.dumps(doc) + "\nnot json\n")[0] == built


def test_notes_travel_with_push_and_fetch(acme: SpecRepo, cli: Cli, tmp_path: Path) -> None:
    assert cli("apply", "--auto-approve").code == 0
    remote = GitRepo(tmp_path / "remote.git")
    subprocess.run(["git", "init", "-q", "--bare", str(remote.root)], check=True)
    acme.git("remote", "add", "origin", str(remote.root))
    # What the CI example runs after an apply (docs/gitops.md).
    acme.git("push", "-q", "origin", "HEAD:refs/heads/main", "refs/notes/tenantry")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "-b", "main", str(remote.root), str(clone)],
                   check=True)
    assert run_tenantry("log", "acme", cwd=clone).out.count("note:") == 0  # not fetched
    subprocess.run(["git", "-C", str(clone), "fetch", "-q", "origin",
                    "refs/notes/tenantry:refs/notes/tenantry"], check=True)
    shown = run_tenantry("log", "acme", cwd=clone)
    assert shown.code == 0 and "note: applied " in shown.out and ": 4 done, 0 failed" in shown.out


def test_scheduled_drift_check_exits_2_on_drift(acme: SpecRepo, cli: Cli) -> None:
    assert cli("apply", "--auto-approve").code == 0
    clean = run_tenantry("plan", "--detailed-exitcode", "--format", "json", cwd=acme.root)
    assert clean.code == 0 and json.loads(clean.out)["tenants"][0]["changes"] == []
    sql(acme, "DELETE FROM user_skus WHERE sku = 'SUPPORT'")  # someone clicked in a portal
    drift = run_tenantry("plan", "--detailed-exitcode", "--format", "json", cwd=acme.root)
    assert drift.code == 2
    (change,) = json.loads(drift.out)["tenants"][0]["changes"]
    assert (change["action"], change["user"], change["sku"]) == ("assign", "bo", "SUPPORT")


def test_lock_files_stay_out_of_the_specs(acme: SpecRepo, cli: Cli) -> None:
    assert cli("apply", "--auto-approve").code == 0
    assert (acme.root / ".tenantry/locks/local.lock").exists()
    assert acme.is_clean()  # the state folder is ignored, as the docs advise
    holder = json.loads((acme.root / ".tenantry/locks/local.lock").read_text())
    assert set(holder) == {"pid", "host", "command", "since"}
