"""Users and seats at a moment (`tenantry show`) and change history (`tenantry log`) over
the API: the same data as the commands, cut for scoped tokens."""

from __future__ import annotations

import csv
import io
import json

import pytest

from .conftest import TENANTS, Server, tenantry


@pytest.mark.parametrize("args,params", [
    (["show", "golfco", "--at", "2026-02-01"], {"at": "2026-02-01"}),
    (["show", "alphaco", "--rev", "v1"], {"rev": "v1"}),
    (["show", "alphaco"], {}),
])
def test_users_are_the_show_data(server: Server, args: list[str], params: dict[str, str]
                                 ) -> None:
    code, out, err = tenantry("-C", str(server.repo.root), *args, "--format", "json")
    assert code == 0, err
    response = server.get(f"/v1/tenants/{args[1]}/users", params=params)
    assert response.status_code == 200, response.text
    assert response.json() == json.loads(out)
    assert response.headers["x-tenantry-revision"] == server.repo.rev_parse(
        params.get("rev", "HEAD"))


def test_users_csv_one_row_per_seat(server: Server) -> None:
    response = server.get("/v1/tenants/alphaco/users", "tenant:alphaco",
                          params={"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["user"], r["sku"]) for r in rows] == [("alphaco-ann", "M365-BP"),
                                                     ("alphaco-bob", "SUPPORT")]


@pytest.mark.parametrize("params,message", [
    ({"at": "yesterday"}, "at: give a day"),
    ({"at": "2026-02-01", "rev": "HEAD"}, "not together with rev"),
    ({"at": "2025-01-01"}, None),  # before the first commit: nothing to show
])
def test_users_bad_moments(server: Server, params: dict[str, str], message: str | None
                           ) -> None:
    response = server.get("/v1/tenants/alphaco/users", params=params)
    if message is None:
        assert response.status_code == 404 and "nothing was committed by then" in \
            response.json()["error"]
    else:
        assert response.status_code == 400 and message in response.json()["error"]


def test_history_is_the_log_data(server: Server) -> None:
    code, out, err = tenantry("-C", str(server.repo.root), "log", "golfco", "--format",
                              "json")
    assert code == 0, err
    doc = server.get("/v1/tenants/golfco/history").json()
    assert doc == json.loads(out)
    # Newest first: golfco left, then its onboarding with the apply note on it.
    assert [e["subject"] for e in doc["entries"]] == [
        "golfco leaves", "Onboard " + ", ".join(sorted(TENANTS))]
    assert doc["entries"][1]["notes"][0]["tenants"] == sorted(TENANTS)


@pytest.mark.parametrize("scope", ["tenant:golfco", "reseller:rkea"])
def test_scoped_history_has_no_subjects_or_notes(server: Server, scope: str) -> None:
    full = server.get("/v1/tenants/golfco/history").json()
    doc = server.get("/v1/tenants/golfco/history", scope).json()
    assert [e["commit"] for e in doc["entries"]] == [e["commit"] for e in full["entries"]]
    for mine, theirs in zip(doc["entries"], full["entries"]):
        assert (mine["subject"], mine["notes"], mine["applied"]) == ("", [], None)
        assert mine["changes"] == theirs["changes"]  # what changed in its own file: all of it
        assert mine["author"] == theirs["author"] and mine["date"] == theirs["date"]


def test_user_history_and_ranges(server: Server) -> None:
    doc = server.get("/v1/tenants/golfco/users/golfco-hal/history", "reseller:racme").json()
    assert doc["target"] == "golfco/golfco-hal"
    assert [c["users"][0]["status"] for e in doc["entries"] for c in e["changes"]] == [
        "deleted", "created"]
    ranged = server.get("/v1/tenants/golfco/history", params={"range": "v1..HEAD"}).json()
    assert ranged["range"] == "v1..HEAD" and len(ranged["entries"]) == 1
    assert server.get("/v1/tenants/alphaco/users/nobody/history").status_code == 404
    bad = server.get("/v1/tenants/alphaco/history", params={"range": "--all..HEAD"})
    assert bad.status_code == 400
