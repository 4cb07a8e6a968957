"""Revisions, ETags and 304, paging, sameness with the CLI's reports, and a read-only server."""

from __future__ import annotations

import json

import httpx
import pytest

from .conftest import PERIOD, Server, running_server, tenantry

Q = {"period": PERIOD}
PAGED = ["/v1/tenants", *[f"/v1/billing/{v}" for v in
                          ("lines", "customers", "invoices", "statements", "quantities")]]


@pytest.mark.parametrize("path", ["/v1/tenants", "/v1/tenants/bravoco", "/v1/billing",
                                  "/v1/billing/lines", "/v1/billing.html"])
def test_etag_and_not_modified(server: Server, path: str) -> None:
    params = {} if path.startswith("/v1/tenants") else Q
    with server.client("reseller:racme") as client:
        first = client.get(path, params=params)
        assert first.status_code == 200
        tag = first.headers["etag"]
        assert first.headers["x-tenantry-revision"] == server.repo.head()
        assert first.headers["cache-control"] == "private, no-cache"
        again = client.get(path, params=params, headers={"If-None-Match": tag})
        assert (again.status_code, again.content) == (304, b"")
        assert again.headers["etag"] == tag
        assert again.headers["x-tenantry-revision"] == server.repo.head()
        listed = client.get(path, params=params,
                            headers={"If-None-Match": f'"nope", W/{tag}'})
        assert listed.status_code == 304
        stale = client.get(path, params=params, headers={"If-None-Match": '"other"'})
        assert (stale.status_code, stale.content) == (200, first.content)
    # Another scope, another revision, another format: another body, another ETag.
    others = [server.get(path, "all", params=params),
              server.get(path, params={**params, "rev": "v1"})]
    for other in others:
        assert other.headers["etag"] != tag


def test_304_needs_a_valid_token(server: Server) -> None:
    tag = server.get("/v1/tenants").headers["etag"]
    response = httpx.get(server.url + "/v1/tenants", headers={"If-None-Match": tag})
    assert response.status_code == 401


@pytest.mark.parametrize("path", PAGED)
@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_paging_follows_next_to_the_whole_list(server: Server, path: str, fmt: str) -> None:
    params = {**({} if path == "/v1/tenants" else Q), "format": fmt}
    whole = server.get(path, params=params)
    pages, url, count = [], path, 0
    with server.client() as client:
        response = client.get(url, params={**params, "limit": "2"})
        while True:
            assert response.status_code == 200, response.text
            if fmt == "json":
                doc = response.json()
                assert doc["limit"] == 2 and len(doc["items"]) <= 2
                pages.extend(doc["items"])
                count = doc["count"]
                nxt = doc["next"]
                assert (response.headers.get("link") is None) == (nxt is None)
            else:
                lines = response.text.splitlines()
                header, rows = lines[0], lines[1:]
                pages.extend(rows)
                link = response.headers.get("link")
                nxt = link[1:link.index(">")] if link else None
            if nxt is None:
                break
            assert "rev=" in nxt or "range=" in nxt  # pinned to the revision served
            response = client.get(nxt)
    if fmt == "json":
        assert pages == whole.json()["items"] and count == len(pages)
    else:
        assert [header, *pages] == whole.text.splitlines()  # CSV default: everything
    assert whole.headers.get("link") is None


def test_json_pages_default_to_1000(server: Server) -> None:
    doc = server.get("/v1/billing/lines", params=Q).json()
    assert (doc["offset"], doc["limit"], doc["next"]) == (0, 1000, None)
    assert doc["count"] == len(doc["items"]) == 8


def test_same_bytes_as_the_cli(server: Server) -> None:
    """Unscoped, the report, the page and the lines CSV are `tenantry bill --format
    json|html|csv`, byte for byte."""
    root = str(server.repo.root)
    for fmt, path in (("json", "/v1/billing"), ("html", "/v1/billing.html"),
                      ("csv", "/v1/billing/lines")):
        code, out, err = tenantry("-C", root, "bill", "--period", PERIOD, "--format", fmt)
        assert code == 0, err
        params = {**Q, "format": "csv"} if fmt == "csv" else Q
        served = server.get(path, params=params).text
        assert served == out, fmt


def test_range_and_dates(server: Server) -> None:
    """v1..HEAD: the days after 1 January up to 16 March (golfco's file goes that noon)."""
    doc = server.get("/v1/billing", params={"range": "v1..HEAD"}).json()
    assert doc["span"] == {"start": "2026-01-02", "end": "2026-03-16", "days": 74,
                           "period": None}
    golf = next(x for x in doc["lines"] if x["tenant"] == "golfco")
    assert golf["days"] == 74
    dated = server.get("/v1/billing/lines", params={"from": "2026-03-10", "to": "2026-03-20"})
    assert dated.json()["span"]["days"] == 11


def test_default_span_is_this_period(server: Server) -> None:
    """No span: the period containing today, up to today (as `tenantry bill`)."""
    code, out, err = tenantry("-C", str(server.repo.root), "bill", "--format", "json")
    assert code == 0, err
    cli_doc = json.loads(out)
    doc = server.get("/v1/billing").json()
    assert doc["span"] == cli_doc["span"]
    assert doc == cli_doc


def test_server_writes_nothing_into_the_repository(server: Server) -> None:
    repo = server.repo
    before = (repo.git("for-each-ref"), repo.git("rev-parse", "HEAD"),
              repo.git("stash", "list"))
    for path in ("/v1/tenants", "/v1/billing", "/v1/billing/lines", "/v1/billing.html"):
        for rev in ("v1", "HEAD"):
            params = {"rev": rev, **(Q if path.startswith("/v1/billing") else {})}
            assert server.get(path, params=params).status_code == 200
    assert (repo.git("for-each-ref"), repo.git("rev-parse", "HEAD"),
            repo.git("stash", "list")) == before
    # Only the git-ignored .tenantry/ folder (caches, tokens) is ever written.
    ignored = repo.git("status", "--porcelain", "--ignored", "--untracked-files=all")
    assert ignored and all(line.startswith("!! .tenantry/") for line in ignored.splitlines())


def test_html_page(server: Server) -> None:
    response = server.get("/v1/billing.html", "tenant:alphaco", params=Q)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert "Alphaco Ltd" in response.text and "61.50" in response.text


def test_new_commits_are_served_at_once(server: Server, tmp_path_factory: pytest.TempPathFactory
                                        ) -> None:
    """A second server on a copy: HEAD moves, the next request serves the new commit."""
    from .conftest import build_repo, create_token, tenant_doc

    base = tmp_path_factory.mktemp("moving")
    repo = build_repo(base / "repo")
    token = create_token(repo.root, "tenant:alphaco")
    with running_server(repo, base / "serve.log", "--root-path", "/tenantry") as url:
        headers = {"Authorization": f"Bearer {token}"}
        first = httpx.get(url + "/v1/tenants", headers=headers)
        doc = tenant_doc("alphaco")
        doc["name"] = "Alphaco Renamed Ltd"
        head = repo.commit_specs({"tenants/alphaco.yaml": doc}, "rename",
                                 date="2026-03-20T12:00:00+00:00")
        second = httpx.get(url + "/v1/tenants", headers=headers,
                           params={"limit": 1})
        assert second.headers["x-tenantry-revision"] == head != first.headers[
            "x-tenantry-revision"]
        assert second.json()["items"][0]["name"] == "Alphaco Renamed Ltd"
        # Behind a proxy under /tenantry, links carry the prefix.
        lines = httpx.get(url + "/v1/billing/lines", headers=headers,
                          params={"period": PERIOD, "limit": 1}).json()
        assert lines["next"].startswith("/tenantry/v1/billing/lines?rev=" + head)
