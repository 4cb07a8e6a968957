"""Bearer tokens: the header, revocation and expiry, against the running server; and the
token commands as a person runs them."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import stat
import time
from pathlib import Path

import httpx
import pytest
from conftest import run_tenantry

from .conftest import Server, build_repo, create_token, tenantry

PATHS = ["/v1/tenants", "/v1/tenants/alphaco", "/v1/billing?period=2026-03",
         "/v1/billing/lines?period=2026-03", "/v1/billing.html?period=2026-03"]


def assert_401(response: httpx.Response, invalid_token: bool) -> None:
    assert response.status_code == 401, response.text
    challenge = response.headers["www-authenticate"]
    assert challenge.startswith("Bearer ")
    assert ('error="invalid_token"' in challenge) == invalid_token
    assert set(response.json()) == {"error"}
    assert "alphaco" not in response.text


@pytest.mark.parametrize("path", PATHS)
def test_no_token(server: Server, path: str) -> None:
    assert_401(httpx.get(server.url + path), invalid_token=False)


def malformed(token: str) -> list[str]:
    ident, secret = token.split("_")[1], token.split("_", 2)[2]
    return [
        "", "Bearer", "Bearer ", "Bearer  ", token, f"Basic {token}", f"Token {token}",
        f"Bearer {token} extra", f"Bearer {token},", f"Bearer\t{token}", f"Bearer:{token}",
        f"Bearer {token[:-1]}", f"Bearer {token}x", f"Bearer {token.upper()}",
        f"Bearer tnt_{ident}_{'A' * len(secret)}",  # right id, wrong secret
        f"Bearer tnt_{'a' * 12}_{secret}",  # right secret, wrong id
        f"Bearer {token.replace('tnt_', 'tnx_')}", f"Bearer {secret}",
        f'Bearer "{token}"', "Bearer " + "A" * 5000, f"Bearer {token}\x00",
        "Bearer tnt_' OR '1'='1", "Bearer tnt_%00",
    ]


def test_malformed_authorization_headers(server: Server) -> None:
    token = server.tokens["all"]
    for header in malformed(token):
        raw = header.encode("latin-1")
        try:
            response = httpx.get(server.url + "/v1/tenants", headers={"Authorization": raw})
        except httpx.LocalProtocolError:
            continue  # httpx itself refuses to send it (NUL)
        assert_401(response, invalid_token=True)
    # The scheme is case-insensitive (RFC 7235) and more than one space is tolerated.
    for good in (f"bearer {token}", f"BEARER {token}", f"Bearer   {token}"):
        assert httpx.get(server.url + "/v1/tenants",
                         headers={"Authorization": good}).status_code == 200


def test_health_and_openapi_need_no_token(server: Server) -> None:
    health = httpx.get(server.url + "/healthz").json()
    assert health == {"status": "ok", "revision": server.repo.head()}
    spec = httpx.get(server.url + "/openapi.json").json()
    assert spec["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"


def test_revoke_takes_effect_on_the_next_request(server: Server) -> None:
    token = create_token(server.repo.root, "tenant:alphaco", "revoke me")
    ident = token.split("_")[1]
    with server.client(token=token) as client:
        assert client.get("/v1/tenants").status_code == 200
        code, _, err = tenantry("-C", str(server.repo.root), "token", "revoke", ident)
        assert code == 0, err
        assert "revoked token" in err
        for path in PATHS:
            assert_401(client.get(path), invalid_token=True)
    code, _, err = tenantry("-C", str(server.repo.root), "token", "revoke", ident)
    assert code == 1 and "already revoked" in err
    code, _, err = tenantry("-C", str(server.repo.root), "token", "revoke", "nosuchtoken1")
    assert code == 1 and "no token 'nosuchtoken1'" in err


def test_expired_token_is_refused(server: Server) -> None:
    soon = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(seconds=2)
    token = create_token(server.repo.root, "all", "short-lived", "--expires", soon.isoformat())
    with server.client(token=token) as client:
        assert client.get("/v1/tenants").status_code == 200
        time.sleep(max(0.0, (soon - dt.datetime.now(dt.UTC)).total_seconds()) + 0.5)
        assert_401(client.get("/v1/tenants"), invalid_token=True)
    code, out, _ = tenantry("-C", str(server.repo.root), "token", "list")
    assert code == 0
    row = next(line for line in out.splitlines() if token.split("_")[1] in line)
    assert row.split()[-1] == "expired"


def test_token_commands(server: Server) -> None:
    root = str(server.repo.root)
    first = create_token(server.repo.root, "tenant:deltaco", "Delta finance")
    second = create_token(server.repo.root, "tenant:deltaco", "Delta finance",
                          "--expires", "2099-12-31")
    assert first != second
    for token in (first, second):
        # tnt_, a 12-character id, then 32 random bytes (43 base64url characters).
        assert re.fullmatch(r"tnt_[a-z0-9]{12}_[A-Za-z0-9_-]{43}", token)
    code, out, _ = tenantry("-C", root, "token", "list")
    assert code == 0
    assert out.splitlines()[0].split() == ["ID", "NAME", "SCOPE", "CREATED", "LAST", "USED",
                                           "EXPIRES", "STATUS"]
    rows = [line for line in out.splitlines() if "Delta finance" in line]
    assert len(rows) == 2
    # Valid through 31 December, UTC: expires at the start of the next day.
    assert sum("2100-01-01T00:00:00Z" in row for row in rows) == 1
    for token in (first, second):
        assert token not in out and token.split("_", 2)[2] not in out
    # Only hashes are stored; the file is private.
    store = server.repo.root / ".tenantry" / "tokens.sqlite"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    blob = store.read_bytes()
    assert first.encode() not in blob and first.split("_", 2)[2].encode() not in blob
    with sqlite3.connect(store) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(tokens)")]
    assert "token" not in columns and "secret" not in columns
    # The file stays out of git: the server and the CLI never write into the repository.
    assert server.repo.git("status", "--porcelain").strip() == ""


@pytest.mark.parametrize("args,message", [
    (["--scope", "tenant:"], "--scope 'tenant:'"),
    (["--scope", "tenant:Bad Id"], "--scope 'tenant:Bad Id'"),
    (["--scope", "customer:x"], "--scope 'customer:x'"),
    (["--expires", "2001-01-01"], "already past"),
    (["--expires", "next week"], "--expires 'next week'"),
])
def test_token_create_refuses(server: Server, args: list[str], message: str) -> None:
    code, out, err = tenantry("-C", str(server.repo.root), "token", "create", "--name", "x",
                              *args)
    assert (code, out) == (1, "")
    assert err.startswith("error: ") and message in err


def test_last_used_is_recorded(server: Server) -> None:
    token = create_token(server.repo.root, "tenant:echoco", "used")
    ident = token.split("_")[1]
    with server.client(token=token) as client:
        assert client.get("/v1/tenants").status_code == 200
    _, out, _ = tenantry("-C", str(server.repo.root), "token", "list")
    row = next(line for line in out.splitlines() if line.startswith(ident)).split()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row[4])  # LAST USED


def test_serve_refuses_a_store_others_can_read(server: Server) -> None:
    store = server.repo.root / ".tenantry" / "tokens.sqlite"
    store.chmod(0o644)
    try:
        code, _, err = tenantry("-C", str(server.repo.root), "token", "list")
        assert code == 1 and "readable by others" in err
        result = run_tenantry("serve", "--port", "9", cwd=server.repo.root, timeout=60)
        assert result.code == 1 and "readable by others" in result.err, result.err
    finally:
        store.chmod(0o600)


def test_serve_without_tokens_says_how_to_make_one(tmp_path: Path) -> None:
    repo = build_repo(tmp_path / "repo")
    result = run_tenantry("serve", "--port", "9", cwd=repo.root, timeout=60)
    assert result.code == 1
    assert "no tokens yet" in result.err and "tenantry token create" in result.err
