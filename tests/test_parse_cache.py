"""The parse cache validate, plan and bill share: each tenant file version is parsed once,
by content; a damaged or foreign entry is parsed again, never trusted; and neither the cache
nor the worker processes change a single byte of what the commands print.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG, Cli, SpecRepo, tenant, to_yaml, user

import reconciler.specs.cache
import reconciler.specs.loading
import reconciler.specs.parsepool
from reconciler.errors import SpecInvalid
from reconciler.specs import ParseCache, blob_id, load_specs

PARSED = Path(".tenantry/cache/parsed")


def team(name: str, size: int, *, domain: str | None = None,
         skus: tuple[str, ...] = ("M365-BP",)) -> dict[str, Any]:
    dom = domain or f"{name}.example"
    return tenant(name.title(), {f"u{i:03d}": user(f"u{i:03d}@{dom}", f"User {i}", skus=skus)
                                 for i in range(size)}, domain=dom)


def count_parses(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """The tenant file versions parsed from now on (in this process)."""
    parsed: list[bytes] = []
    real = reconciler.specs.cache.parse

    def counting(model: Any, data: bytes) -> Any:
        parsed.append(data)
        return real(model, data)

    monkeypatch.setattr(reconciler.specs.cache, "parse", counting)
    return parsed


def entries() -> list[Path]:
    return sorted(p for p in PARSED.rglob("*") if p.is_file())


@pytest.fixture
def three(repo: SpecRepo) -> SpecRepo:
    repo.commit_specs({"catalog.yaml": CATALOG,
                       **{f"tenants/{n}.yaml": team(n, 4) for n in ("one", "two", "three")}},
                      date="2026-03-20T12:00:00+00:00")
    return repo


def test_blob_id_is_what_git_hash_object_prints(tmp_path: Path) -> None:
    for data in (b"", b"name: Acme\n", "name: Kōwhai Ltd\n".encode(), bytes(range(256))):
        path = tmp_path / "f"
        path.write_bytes(data)
        assert blob_id(data) == subprocess.run(["git", "hash-object", str(path)],
                                               capture_output=True, text=True,
                                               check=True).stdout.strip()


def test_each_version_is_parsed_once_by_validate_and_plan(three: SpecRepo, cli: Cli,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    parsed = count_parses(monkeypatch)
    first = cli("validate")
    assert first.code == 0 and len(parsed) == 3 and len(entries()) == 3

    parsed.clear()
    assert cli("validate") == first
    plan = cli("plan")
    assert plan.code == 0 and "12 to create" in plan.out
    assert parsed == []  # neither the second validate nor plan parsed a tenant file

    # An edit is a new version: that file alone is parsed; an edit back is cached already.
    three.write_specs({"tenants/two.yaml": team("two", 5)})
    assert cli("validate").out == "specs: valid (3 tenants, 13 users, 3 products)\n"
    assert len(parsed) == 1 and len(entries()) == 4
    three.write_specs({"tenants/two.yaml": team("two", 4)})
    assert cli("validate") == first and len(parsed) == 1


def test_bill_and_validate_share_entries(three: SpecRepo, cli: Cli,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    three.write({".gitignore": ".tenantry/\n"})
    three.commit_specs({"tenants/one.yaml": team("one", 6)}, "one grows",
                       date="2026-04-10T12:00:00+00:00")
    assert cli("bill", "--period", "2026-04", "--format", "json").code == 0
    assert len(entries()) == 4  # every version in the history: three, then one again
    parsed = count_parses(monkeypatch)
    assert cli("validate").code == 0 and parsed == []  # the versions at HEAD, from bill's run


def test_damaged_entries_are_parsed_again_and_rewritten(three: SpecRepo, cli: Cli,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    first = cli("plan", "--format", "json")
    one, two, three_ = entries()
    one.write_bytes(one.read_bytes()[:-40])  # truncated
    damaged = bytearray(two.read_bytes())
    damaged[-30] ^= 0x01  # a flipped bit inside the JSON: still well-formed
    two.write_bytes(bytes(damaged))
    three_.write_bytes(one.read_bytes())  # an entry written for another blob
    parsed = count_parses(monkeypatch)
    again = cli("plan", "--format", "json")
    assert again.out == first.out and again.code == first.code
    assert len(parsed) == 3
    parsed.clear()
    assert cli("plan", "--format", "json").out == first.out and parsed == []


def test_entries_of_another_loader_or_schema_are_not_read(three: SpecRepo, cli: Cli,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert cli("validate").code == 0
    before = {p.parent.parent.name for p in entries()}
    parsed = count_parses(monkeypatch)
    for version in ("loader_version", "schema_version"):
        monkeypatch.setattr(reconciler.specs.cache, version, lambda: "x" * 16)
        parsed.clear()
        assert cli("validate").code == 0
        assert len(parsed) == 3  # a tenantry that reads or validates differently
        folders = {p.parent.parent.name for p in entries()}
        assert len(folders) == 1 and folders != before  # ... and the old entries are gone
        before = folders


def test_invalid_files_report_the_same_problems_every_run(repo: SpecRepo, cli: Cli) -> None:
    repo.commit_specs({"catalog.yaml": CATALOG,
                       "tenants/ok.yaml": team("ok", 3),
                       "tenants/bad.yaml": "name: Bad\nusers:\n  al: {upn: nope}\n",
                       "tenants/dup.yaml": team("dup", 2, domain="ok.example"),
                       "tenants/broken.yaml": "name: [unclosed\n"})
    first = cli("validate")
    assert first.code == 1 and "error: 5 problem(s) found" in first.err
    assert cli("validate") == first  # warm: valid files cached, invalid ones parsed again


def test_parallel_parsing_reports_exactly_what_serial_parsing_does(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {"catalog.yaml": to_yaml(CATALOG).encode()}
    for n in range(24):
        files[f"tenants/t{n:02d}.yaml"] = to_yaml(team(f"t{n:02d}", 20)).encode()
    # Problems of every kind, spread over both workers' chunks.
    files["tenants/t03.yaml"] = b"name: Three\nusers:\n  al: {upn: al@t03.example, skus: [X]}\n"
    files["tenants/t08.yaml"] = b"name: [unclosed\n"
    files["tenants/t13.yaml"] = to_yaml(team("t13", 3, domain="t01.example")).encode()
    files["tenants/T20.yaml"] = b"name: Misnamed\nextra: 1\n"

    def load(parallel: bool, cache: ParseCache | None = None) -> Any:
        monkeypatch.setattr(reconciler.specs.loading, "PARALLEL_BYTES",
                            0 if parallel else 1 << 40)
        monkeypatch.setattr(reconciler.specs.parsepool, "cores", lambda: 2 if parallel else 1)
        try:
            return load_specs(files, cache=cache)
        except SpecInvalid as exc:
            return [p.render() for p in exc.problems]

    serial = load(False)
    assert isinstance(serial, list) and len(serial) >= 6
    assert load(True) == serial
    cache = ParseCache(tmp_path / "cache")
    assert load(True, cache) == serial  # workers write the entries ...
    assert load(False, ParseCache(tmp_path / "cache")) == serial  # ... read back here
    for n in ("t03", "t08", "t13", "T20"):
        del files[f"tenants/{n}.yaml"]
    valid = load(False)
    parallel = load(True, ParseCache(tmp_path / "other"))
    assert dict(parallel.tenants) == dict(valid.tenants) and parallel.user_count() == 21 * 20


def test_the_cache_never_shows_in_git_status(three: SpecRepo, cli: Cli) -> None:
    assert not (three.root / ".gitignore").exists()
    assert cli("validate").code == 0 and entries()
    assert three.git("status", "--porcelain") == ""


def test_no_cache_when_asked(three: SpecRepo, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TENANTRY_NO_CACHE", "1")
    assert cli("validate").code == 0
    assert not Path(".tenantry").exists()


def test_a_cache_that_cannot_be_written_only_costs_time(three: SpecRepo, cli: Cli) -> None:
    three.write({".gitignore": ".tenantry/\n"})
    three.commit_specs({"tenants/one.yaml": team("one", 2)}, "one shrinks",
                       date="2026-04-10T12:00:00+00:00")
    Path(".tenantry").mkdir()
    Path(".tenantry/cache").write_text("a file where the cache folder would be\n")
    first = cli("validate")
    assert first.code == 0 and cli("validate") == first
    report = cli("bill", "--period", "2026-04", "--format", "json")
    assert report.code == 0 and report.err == ""
    assert cli("bill", "--period", "2026-04", "--format", "json") == report
