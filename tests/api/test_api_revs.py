"""``?rev=`` and ``?range=``: a clear 400 for anything that is not a revision, and no way to
reach git's options (or a shell) through them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Cli, SpecRepo

from .conftest import PERIOD, Server, build_repo

CANARY = "/tmp/tenantry-api-canary"

MALICIOUS = [
    f"--output={CANARY}", "-h", "--all", "--git-dir", f"--exec=touch {CANARY}",
    f"; touch {CANARY}", f"$(touch {CANARY})", f"`touch {CANARY}`", f"HEAD;touch {CANARY}",
    f"HEAD|touch {CANARY}", f"HEAD && touch {CANARY}", f"HEAD\ntouch {CANARY}", "HEAD\x00",
    "HEAD@{0}", "@{-1}", ":/golfco", "HEAD:specs/catalog.yaml", "main^{tree}", " HEAD",
    "HEAD ", "..", "v1..HEAD", "../../etc/passwd", "a" * 300, "tëst", "HEAD~1~-1",
]
UNKNOWN = ["nosuchbranch", "0" * 40, "deadbeef", "v1^3"]
ENDPOINTS = ["/v1/tenants", "/v1/tenants/alphaco", "/v1/billing", "/v1/billing/lines",
             "/v1/billing.html"]


@pytest.mark.parametrize("rev", MALICIOUS + UNKNOWN)
def test_bad_rev_is_a_clear_400(server: Server, rev: str) -> None:
    refs_before = server.repo.git("for-each-ref")
    for endpoint in ENDPOINTS:
        params = {"rev": rev, **({} if endpoint.startswith("/v1/tenants") else
                                 {"period": PERIOD})}
        response = server.get(endpoint, params=params)
        assert response.status_code == 400, response.text
        message = response.json()["error"]
        if rev in UNKNOWN:
            assert message == f"unknown revision {rev!r}; use a commit, branch or tag"
        else:
            assert message.startswith("rev ") and "not a revision" in message \
                or message == "rev: String should have at most 220 characters", message
    assert not Path(CANARY).exists()
    assert server.repo.git("for-each-ref") == refs_before
    assert server.repo.git("status", "--porcelain", "--untracked-files=all") == ""


@pytest.mark.parametrize("span_range", [
    f"--output={CANARY}..HEAD", f"v1..--output={CANARY}", "v1...HEAD", "v1", "..HEAD",
    f"v1..HEAD;touch {CANARY}", "v1..nosuch",
])
def test_bad_range_is_a_clear_400(server: Server, span_range: str) -> None:
    response = server.get("/v1/billing/lines", params={"range": span_range})
    assert response.status_code == 400, response.text
    assert response.json()["error"].startswith(("range ", "unknown revision", "'v1...HEAD'"))
    assert not Path(CANARY).exists()


@pytest.mark.parametrize("rev", ["HEAD", "HEAD~1", "HEAD^", "v1", "main", "v1^0", "short",
                                 "full"])
def test_good_revs(server: Server, rev: str) -> None:
    repo = server.repo
    name = {"short": repo.head()[:7], "full": repo.head()}.get(rev, rev)
    response = server.get("/v1/tenants", params={"rev": name})
    assert response.status_code == 200, response.text
    assert response.headers["x-tenantry-revision"] == repo.rev_parse(name)
    assert response.json()["revision"] == repo.rev_parse(name)


@pytest.mark.parametrize("params,message", [
    ({"period": "2026-13"}, "period '2026-13': use YYYY-MM"),
    ({"period": "2026-3"}, "period '2026-3': use YYYY-MM"),
    ({"from": "2026-03-01"}, "from and to go together"),
    ({"from": "2026-03-31", "to": "2026-03-01"}, "to 2026-03-01 is before from 2026-03-31"),
    ({"from": "2026-02-30", "to": "2026-03-01"}, "from '2026-02-30': use a date"),
    ({"period": PERIOD, "range": "v1..HEAD"}, "give one span: period and range"),
    ({"range": "v1..HEAD", "rev": "HEAD"}, "range A..B already names the revision"),
    ({"period": PERIOD, "format": "xml"}, "format"),
    ({"period": PERIOD, "limit": "0"}, "limit"),
    ({"period": PERIOD, "limit": "10001"}, "limit 10001: at most 10000"),
    ({"period": PERIOD, "offset": "-1"}, "offset"),
    ({"peroid": PERIOD}, ("unknown parameter 'peroid'; this endpoint takes: format, from, "
                          "limit, offset, period, range, rev, to")),
    ([("period", PERIOD), ("period", "2026-02")], "period is given more than once"),
])
def test_bad_span_and_paging(server: Server, params: Any, message: str) -> None:
    response = server.get("/v1/billing/lines", params=params)
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]


def test_cli_refuses_option_like_revisions(repo: SpecRepo, cli: Cli) -> None:
    """gitrepo itself never hands user text to git as an option (the CLI path too)."""
    build_repo(repo.root / "x")
    for rev in (f"--output={CANARY}", "-h", "--all"):
        result = cli("-C", str(repo.root / "x"), "bill", "--period", PERIOD, f"--rev={rev}")
        assert result.code == 1
        assert result.err == f"error: unknown revision {rev!r}; use a commit, branch or tag\n"
    assert not Path(CANARY).exists()
