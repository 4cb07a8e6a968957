"""The shared git helpers in conftest do what billing tests will rely on."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from conftest import AUTHOR, CATALOG, SpecRepo, git_date, tenant, to_yaml, user

from reconciler.specs.loading import load_specs


def test_commits_carry_the_given_author_and_dates(repo: SpecRepo) -> None:
    nz = dt.timezone(dt.timedelta(hours=13))
    first = repo.commit({"a.txt": "1\n"}, "first", author="Jo Bloggs <jo@example.net>",
                        date=dt.datetime(2026, 3, 1, 9, 30, tzinfo=nz))
    second = repo.commit({"a.txt": "2\n"}, "second", date="2026-03-02T10:00:00Z",
                         committer="Bot <bot@example.net>",
                         committer_date=dt.date(2026, 3, 5))
    assert repo.git("log", "-1", "--format=%an <%ae>|%aI|%cn|%cI", first).strip() == \
        "Jo Bloggs <jo@example.net>|2026-03-01T09:30:00+13:00|Jo Bloggs|2026-03-01T09:30:00+13:00"
    assert repo.git("log", "-1", "--format=%an <%ae>|%aI|%cn|%cI", second).strip() == \
        f"{AUTHOR}|2026-03-02T10:00:00Z|Bot|2026-03-05T12:00:00Z".replace("Z", "+00:00")
    assert repo.rev_parse("HEAD~1") == first


def test_none_deletes_a_file_and_branches_merge_with_a_merge_commit(repo: SpecRepo) -> None:
    repo.commit_specs({"catalog.yaml": CATALOG, "tenants/a.yaml": tenant("A")}, "base")
    repo.branch("feature")
    on_branch = repo.commit_specs({"tenants/a.yaml": None}, "drop a", date="2026-04-01T00:00Z")
    assert not (repo.root / "specs/tenants/a.yaml").exists()
    repo.checkout("main")
    assert (repo.root / "specs/tenants/a.yaml").exists()
    merge = repo.merge("feature", "Merge pull request #12 from org/feature",
                       date="2026-04-02T00:00Z")
    parents = repo.git("log", "-1", "--format=%P", merge).split()
    assert len(parents) == 2 and parents[1] == on_branch
    assert repo.git("log", "-1", "--format=%s|%cI", merge).strip() == \
        "Merge pull request #12 from org/feature|2026-04-02T00:00:00+00:00"
    assert not (repo.root / "specs/tenants/a.yaml").exists()


def test_yaml_from_dicts_loads_as_specs_with_exact_decimals() -> None:
    doc = tenant("Acme", {"al": user("al@acme.example", skus=["M365-BP"], enabled=False)},
                 domain="acme.example", billing={"start": dt.date(2026, 2, 1)})
    specs = load_specs({"catalog.yaml": to_yaml(CATALOG).encode(),
                        "tenants/acme.yaml": to_yaml(doc).encode()})
    assert specs.catalog.products["M365-BP"].price == Decimal("36.50")
    assert "price: 36.50" in to_yaml(CATALOG)
    acme = specs.tenants["acme"]
    assert acme.billing.start == dt.date(2026, 2, 1)
    assert acme.users["al"].enabled is False and acme.users["al"].skus == ("M365-BP",)


def test_git_date_formats() -> None:
    assert git_date("2026-01-01T00:00:00Z") == "2026-01-01T00:00:00Z"
    assert git_date(dt.datetime(1970, 1, 2)) == "86400 +0000"
    assert git_date(dt.datetime(1970, 1, 2, tzinfo=dt.timezone(-dt.timedelta(hours=5,
                                                                             minutes=30)))) \
        == "106200 -0530"
