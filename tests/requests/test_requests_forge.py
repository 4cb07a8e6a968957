"""Where a forge is configured, a request's branch is pushed and a pull request opened
through the forge's REST API (a loopback emulator here records the call)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import Cli, GitRepo, SpecRepo
from reqhelp import Forge, forge_server, seed

from reconciler.errors import UserError
from reconciler.requests import load

ADD = ("requests", "new", "contoso", "add-user", "zed", "--upn", "zed@contoso.example",
       "--display-name", "Zed Zulu", "--sku", "M365-BP", "--as", "Jane Customer")


@pytest.fixture
def forge() -> Iterator[Forge]:
    yield from forge_server()


def configure(repo: SpecRepo, remote: Path, forge: Forge, url: str, kind: str) -> None:
    settings = repo.root / ".tenantry/requests.toml"
    settings.parent.mkdir(exist_ok=True)
    settings.write_text(f'base = "main"\n\n[forge]\nurl = "{url}"\nkind = "{kind}"\n'
                        f'api_url = "{forge.url}"\ntoken_env = "SPEC_FORGE_TOKEN"\n'
                        f'remote = "{remote}"\n')


def github(repo: SpecRepo, remote: Path, forge: Forge,
           monkeypatch: pytest.MonkeyPatch) -> None:
    """The seeded repository, with GitHub as its forge (token ghp_secret)."""
    seed(repo)
    configure(repo, remote, forge, "https://github.com/acme/tenant-specs", "github")
    monkeypatch.setenv("SPEC_FORGE_TOKEN", "ghp_secret")


@pytest.fixture
def remote(tmp_path: Path) -> Path:
    path = tmp_path / "remote.git"
    path.mkdir()
    GitRepo(path).git("init", "-q", "--bare")
    return path


def test_github_pull_request_for_the_pushed_branch(repo: SpecRepo, cli: Cli, forge: Forge,
                                                   remote: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    github(repo, remote, forge, monkeypatch)
    result = cli(*ADD)
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1] == f"  pull request #101: {forge.url}/pull/101"
    [call] = forge.calls
    assert call["path"] == "/repos/acme/tenant-specs/pulls"
    assert call["headers"]["authorization"] == "Bearer ghp_secret"
    assert call["headers"]["x-github-api-version"] == "2022-11-28"
    assert call["body"]["head"] == "requests/1-contoso-add-zed"
    assert call["body"]["base"] == "main"
    assert call["body"]["title"] == ("contoso: add user zed (zed@contoso.example) with "
                                     "M365-BP")
    assert call["body"]["body"].startswith("Requested by Jane Customer through tenantry")
    # The forge can see what it is asked to merge: the branch is on the remote.
    assert GitRepo(remote).rev_parse("requests/1-contoso-add-zed") == \
        repo.rev_parse("requests/1-contoso-add-zed")
    assert "ghp_secret" not in result.out + result.err


def test_gitlab_merge_request(repo: SpecRepo, cli: Cli, forge: Forge, remote: Path,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    seed(repo)
    configure(repo, remote, forge, "https://gitlab.example.com/msp/tenant-specs", "gitlab")
    monkeypatch.setenv("SPEC_FORGE_TOKEN", "glpat-secret")
    result = cli(*ADD)
    assert result.out.splitlines()[-1] == f"  pull request !41: {forge.url}/mr/41"
    [call] = forge.calls
    assert call["path"] == "/projects/msp%2Ftenant-specs/merge_requests"
    assert call["headers"]["private-token"] == "glpat-secret"
    assert {k: call["body"][k] for k in ("source_branch", "target_branch")} == \
        {"source_branch": "requests/1-contoso-add-zed", "target_branch": "main"}


def test_a_forge_that_refuses_leaves_the_branch_and_says_why(
        repo: SpecRepo, cli: Cli, forge: Forge, remote: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    github(repo, remote, forge, monkeypatch)
    forge.fail = (422, "Validation Failed")
    result = cli(*ADD)
    assert result.code == 0
    assert result.err == ("warning: no pull request was opened: GitHub refused the pull "
                          "request (422: Validation Failed)\n")
    assert repo.rev_parse("requests/1-contoso-add-zed")
    monkeypatch.delenv("SPEC_FORGE_TOKEN")
    forge.fail = None
    second = cli("requests", "new", "contoso", "remove-user", "bob", "--as", "Jane")
    assert second.err == ("warning: no pull request was opened: environment variable "
                          "SPEC_FORGE_TOKEN (the forge token) is not set\n")
    assert len(forge.calls) == 1


def test_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "requests.toml"
    path.write_text('[forge]\nurl = "https://github.com/a/b"\ntoken = "ghp_inline"\n'
                    'token_env = "X"\n')
    with pytest.raises(UserError, match="forge.token: Extra inputs are not permitted"):
        load(path)
    path.write_text("base = [\n")
    with pytest.raises(UserError, match="not valid TOML"):
        load(path)
    assert load(tmp_path / "absent.toml").forge is None


def test_update_pushes_the_branch_its_pull_request_follows(
        repo: SpecRepo, cli: Cli, forge: Forge, remote: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Two pull requests made side by side; once the first is merged on main, the second
    # conflicts on the forge. `requests update` carries its edit out again on main and pushes
    # the branch, which then merges as a fast-forward.
    github(repo, remote, forge, monkeypatch)
    assert cli(*ADD).code == 0
    assert cli("requests", "new", "contoso", "add-user", "yan", "--upn", "yan@contoso.example",
               "--display-name", "Yan", "--as", "Desk").code == 0
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #101",
             "requests/1-contoso-add-zed")  # what the forge did with the first one
    done = cli("requests", "update", "2")
    assert done.code == 0, done.err
    assert done.out.splitlines()[-1] == f"  pushed to {remote}"
    branch = repo.rev_parse("requests/2-contoso-add-yan")
    assert GitRepo(remote).rev_parse("requests/2-contoso-add-yan") == branch
    assert repo.git("merge-base", "main", branch).strip() == repo.head()
    assert len(forge.calls) == 2  # the two pull requests; the update needs no API call
