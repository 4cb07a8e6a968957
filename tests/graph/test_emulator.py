"""The Graph emulator follows Graph's documented behaviour for what tenantry uses (the other
graph tests rely on it): paging, $select, $top, errors, auth, assignLicense, $batch."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from graphhelp import Graph, emulator_url, graph, guid, token

__all__ = ["emulator_url", "graph"]

C = "contoso.example"


class Api:
    def __init__(self, graph: Graph, tenant: str) -> None:
        self.base = graph.url + "/v1.0"
        self.token = token(guid(tenant))

    def __call__(self, method: str, path: str, body: Any = None,
                 auth: str | None = None) -> tuple[int, Any]:
        url = path if path.startswith("http") else self.base + path
        request = urllib.request.Request(
            url, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": auth if auth is not None else f"Bearer {self.token}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request) as response:
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"null")


@pytest.fixture
def api(graph: Graph) -> Api:
    graph.tenant("contoso", skus={"SPB": 1})
    graph.control.add_users(guid("contoso"), [
        {"userPrincipalName": f"u{i:03d}@{C}", "displayName": f"U{i}"} for i in range(250)])
    return Api(graph, "contoso")


def _error(body: Any) -> tuple[str, str]:
    error = body["error"]
    assert set(error) == {"code", "message", "innerError"}
    assert {"date", "request-id", "client-request-id"} <= set(error["innerError"])
    return error["code"], error["message"]


def test_paging_select_and_top(api: Api) -> None:
    status, page = api("GET", "/users")
    assert status == 200 and len(page["value"]) == 100  # the default page
    assert set(page["value"][0]) == {"businessPhones", "displayName", "givenName", "jobTitle",
                                     "mail", "mobilePhone", "officeLocation",
                                     "preferredLanguage", "surname", "userPrincipalName", "id"}
    seen, url = [], "/users?$select=id,userPrincipalName&$top=99"
    while url:
        status, page = api("GET", url)
        assert all(set(u) == {"id", "userPrincipalName"} for u in page["value"])
        seen += [u["userPrincipalName"] for u in page["value"]]
        url = page.get("@odata.nextLink")
        assert url is None or "$skiptoken=" in url
    assert len(seen) == len(set(seen)) == 250
    for top in ("0", "1000"):
        status, body = api("GET", f"/users?$top={top}")
        assert status == 400
        assert _error(body)[1] == (f"Invalid page size specified: '{top}'. Must be between 1 "
                                   "and 999 inclusive.")
    assert api("GET", "/users?$top=999")[0] == 200


def test_a_bearer_token_is_required_and_selects_the_tenant(api: Api, graph: Graph) -> None:
    status, body = api("GET", "/users", auth="")
    assert status == 401 and _error(body)[0] == "InvalidAuthenticationToken"
    assert api("GET", "/users", auth="Bearer nonsense")[0] == 401
    graph.tenant("fabrikam")
    other = Api(graph, "fabrikam")
    assert other("GET", "/users")[1]["value"] == []  # its own users only


def test_users_by_id_or_upn(api: Api) -> None:
    status, created = api("POST", "/users", {
        "accountEnabled": True, "displayName": "Al", "mailNickname": "al",
        "userPrincipalName": f"al@{C}",
        "passwordProfile": {"password": "Xy3!abcdefgh", "forceChangePasswordNextSignIn": True}})
    assert status == 201
    assert api("GET", f"/users/AL@{C}")[1]["id"] == created["id"]  # UPNs: any case
    assert api("PATCH", f"/users/{created['id']}", {"displayName": "Al Smith"})[0] == 204
    assert api("GET", f"/users/{created['id']}?$select=displayName")[1]["displayName"] == \
        "Al Smith"
    status, body = api("POST", "/users", {
        "accountEnabled": True, "displayName": "Al 2", "mailNickname": "al2",
        "userPrincipalName": f"al@{C}", "passwordProfile": {"password": "Xy3!abcdefgh"}})
    assert (status, _error(body)) == (400, ("Request_BadRequest", "Another object with the "
                                            "same value for property userPrincipalName "
                                            "already exists."))
    status, body = api("POST", "/users", {"displayName": "No password", "accountEnabled": True,
                                          "mailNickname": "np", "userPrincipalName": f"np@{C}"})
    assert status == 400
    assert api("DELETE", f"/users/{created['id']}")[0] == 204
    status, body = api("GET", f"/users/{created['id']}")
    assert status == 404 and _error(body)[0] == "Request_ResourceNotFound"


def test_assign_license_rules(api: Api, graph: Graph) -> None:
    sku_id = graph.control.skus(guid("contoso"))["SPB"]["skuId"]
    add = {"addLicenses": [{"skuId": sku_id, "disabledPlans": []}], "removeLicenses": []}
    status, body = api("POST", f"/users/u000@{C}/assignLicense", {"addLicenses": []})
    assert status == 400 and _error(body) == ("Request_BadRequest", (
        "One or more parameters of the operation 'assignLicense' are missing from the request "
        "payload. The missing parameters are: removeLicenses."))
    status, body = api("POST", f"/users/u000@{C}/assignLicense", add)
    assert status == 400 and _error(body)[1] == ("License assignment cannot be done for user "
                                                 "with invalid usage location.")
    for upn in (f"u000@{C}", f"u001@{C}"):
        assert api("PATCH", f"/users/{upn}", {"usageLocation": "NZ"})[0] == 204
    assert api("POST", f"/users/u000@{C}/assignLicense", add)[0] == 200
    assert graph.consumed("contoso")["SPB"] == 1  # live consumedUnits
    status, body = api("POST", f"/users/u001@{C}/assignLicense", add)
    assert status == 400 and _error(body)[1] == (f"Subscription with SKU {sku_id} does not "
                                                 "have any available licenses.")
    free = {"addLicenses": [], "removeLicenses": [sku_id]}
    assert api("POST", f"/users/u000@{C}/assignLicense", free)[0] == 200
    assert api("GET", "/subscribedSkus")[1]["value"][0]["consumedUnits"] == 0


def test_batch_rules(api: Api) -> None:
    get = {"method": "GET", "url": "/users?$top=1"}
    status, body = api("POST", "/$batch", {"requests": [dict(get, id=str(i))
                                                        for i in range(21)]})
    assert status == 400 and "limit of 20" in _error(body)[1]
    mixed = [dict(get, id="1"), dict(get, id="2"), dict(get, id="3", dependsOn=["1"])]
    status, body = api("POST", "/$batch", {"requests": mixed})
    assert (status, _error(body)[1]) == (400, "Batch should be either fully sequential or "
                                              "fully parallel.")
    create = {"method": "POST", "url": "/users", "headers": {"Content-Type": "application/json"},
              "body": {"accountEnabled": True, "displayName": "X", "mailNickname": "x",
                       "userPrincipalName": f"u000@{C}",  # taken: this one fails
                       "passwordProfile": {"password": "Xy3!abcdefgh"}}}
    chain = [dict(get, id="a"), dict(create, id="b", dependsOn=["a"]),
             dict(get, id="c", dependsOn=["b"])]
    status, body = api("POST", "/$batch", {"requests": chain})
    assert status == 200
    statuses = {r["id"]: r["status"] for r in body["responses"]}
    assert statuses == {"a": 200, "b": 400, "c": 424}
    no_type = {"method": "PATCH", "url": f"/users/u001@{C}", "body": {"displayName": "Y"}}
    status, body = api("POST", "/$batch", {"requests": [dict(no_type, id="1")]})
    assert body["responses"][0]["status"] == 400  # a body needs its Content-Type header
