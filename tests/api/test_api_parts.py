"""The server's parts on their own: the single-flight cache, revision checking, the
long-lived revision resolver, scopes."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import SpecRepo
from hypothesis import given
from hypothesis import strategies as st

from reconciler.errors import UserError
from reconciler.gitrepo import RevResolver, ServingRepo
from server.memo import Memo
from server.params import BadRequest, check_rev
from server.scope import Scope

from .conftest import build_repo, create_token, free_port, tenantry


def test_memo_computes_once_for_concurrent_callers() -> None:
    memo: Memo[str, int] = Memo(4)
    calls = []
    gate = threading.Event()

    def compute() -> int:
        calls.append(1)
        gate.wait(5)
        return 42

    results: list[int] = []
    threads = [threading.Thread(target=lambda: results.append(memo.get("k", compute)))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert results == [42] * 8 and len(calls) == 1


def test_memo_failures_reach_every_waiter_and_are_not_kept() -> None:
    memo: Memo[str, int] = Memo(4)
    gate = threading.Event()
    errors: list[str] = []

    def fail() -> int:
        gate.wait(5)
        raise UserError("no catalog")

    def call() -> None:
        try:
            memo.get("k", fail)
        except UserError as exc:
            errors.append(str(exc))

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    time.sleep(0.2)
    gate.set()
    for thread in threads:
        thread.join(5)
    assert errors == ["no catalog"] * 4
    assert memo.get("k", lambda: 7) == 7  # tried again, not a cached failure


def test_memo_bounds() -> None:
    memo: Memo[str, bytes] = Memo(3, max_weight=10, weight=len)
    for key in "abc":
        memo.put(key, b"xxx")
    memo.put("d", b"xxx")  # fourth entry: "a" goes
    assert memo.peek("a") is None and memo.peek("b") == b"xxx"
    memo.put("e", b"x" * 7)  # weight 3 + 3 + 7 > 10: the oldest go
    assert memo.peek("e") == b"x" * 7 and memo.peek("c") is None
    memo.put("big", b"x" * 11)  # heavier than the whole cache: not kept
    assert memo.peek("big") is None and memo.peek("e") == b"x" * 7


@given(st.text(max_size=60))
def test_accepted_revisions_are_never_options_or_shell(text: str) -> None:
    try:
        check_rev("rev", text)
    except BadRequest as exc:
        assert str(exc).startswith("rev ")
        return
    assert text and not text.startswith("-") and ".." not in text
    assert not set(text) & set(" \t\n\r\0;|&$`'\"<>(){}[]*?!#:@\\")


@pytest.mark.parametrize("good", ["HEAD", "main", "v1.2.0", "release/2026-10", "HEAD~3",
                                  "HEAD^2", "abc1234", "a" * 40, "_tmp"])
def test_plain_revisions_pass(good: str) -> None:
    assert check_rev("rev", good) == good


def test_rev_resolver_follows_the_branch(repo: SpecRepo) -> None:
    first = repo.commit({"a.txt": "1"}, "one")
    resolver = RevResolver(repo)
    try:
        assert resolver.resolve("HEAD") == first
        second = repo.commit({"a.txt": "2"}, "two")
        repo.git("tag", "t2")
        repo.git("pack-refs", "--all")
        assert resolver.resolve("HEAD") == second  # a new commit: seen at once
        assert resolver.resolve("t2") == second and resolver.resolve("HEAD~1") == first
        assert resolver.resolve("HEAD:a.txt") is None  # a blob, not a commit
        for bad in ("nosuch", "", "HEAD\nHEAD", "--all"):
            assert resolver.resolve(bad) is None
        assert resolver._proc is not None
        resolver._proc.kill()  # git died: started again on the next question
        resolver._proc.wait()
        assert resolver.resolve("HEAD") == second
    finally:
        resolver.close()


def test_serving_repo_resolve(repo: SpecRepo) -> None:
    head = repo.commit({"a.txt": "1"}, "one")
    served = ServingRepo(repo.root)
    assert served.resolve("HEAD") == head
    for bad in ("-h", "--output=x", "nosuch"):
        with pytest.raises(UserError, match="unknown revision"):
            served.resolve(bad)


@pytest.mark.parametrize("text,kind,ident", [("all", "all", None),
                                             ("tenant:contoso", "tenant", "contoso"),
                                             ("reseller:acme-nz", "reseller", "acme-nz")])
def test_scope_parse(text: str, kind: str, ident: str | None) -> None:
    scope = Scope.parse(text)
    assert (scope.kind, scope.id, str(scope)) == (kind, ident, text)


@pytest.mark.parametrize("text", ["", "ALL", "tenant", "tenant:", "tenant:Contoso",
                                  "reseller:a b", "group:x", "tenant:x:y"])
def test_scope_parse_refuses(text: str) -> None:
    with pytest.raises(UserError, match="--scope"):
        Scope.parse(text)


def test_serve_reads_the_history_before_it_starts_any_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A cold history is parsed by forked workers on every core, which is safe only while no
    # other thread runs. The pages' warm-up thread used to start with the app, so the API's
    # cold start-up parsed the benchmark's 7,876 tenant files on one core (70 s).
    import uvicorn

    from server.engine import Engine
    from server.web.site import Web

    repo = build_repo(tmp_path / "repo")
    create_token(repo.root, "all")
    real_warm, real_start = Engine.warm, Web.start_warming
    order: list[str] = []
    running: list[str] = []

    def warm(self: Engine) -> Any:
        order.append("history")
        running.extend(t.name for t in threading.enumerate() if t.name.startswith("tenantry"))
        return real_warm(self)

    def start_warming(self: Web) -> None:
        order.append("pages")
        real_start(self)

    monkeypatch.setattr(Engine, "warm", warm)
    monkeypatch.setattr(Web, "warm", lambda self: time.sleep(0.3))  # a long warm-up
    monkeypatch.setattr(Web, "start_warming", start_warming)
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)  # no server
    code, _, err = tenantry("-C", str(repo.root), "serve", "--port", str(free_port()))
    assert code == 0, err
    assert running == []  # nothing of ours ran while the history was read
    assert order == ["history", "pages"]
