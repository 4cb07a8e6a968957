"""The self-service pages in Debian's headless Chromium, against a real ``tenantry serve``.

One server and one browser per module; each test works on its own users so they do not
depend on each other's requests, and checks git itself for what was (or was not) written.
"""

from __future__ import annotations

import html
import json
import os
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from webhelp import AXE, CHROMIUM, CHROMIUM_ARGS, Site, need_browser, start_site

need_browser()
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    expect,
    sync_playwright,
)

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SHOTS = os.environ.get("TENANTRY_SCREENSHOTS")  # a folder: save screenshots of the pages


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from start_site(tmp_path_factory.mktemp("web"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as play:
        launched = play.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def signed_in(browser: Browser, site: Site, who: str, **options: Any) -> BrowserContext:
    context = browser.new_context(**options)
    page = context.new_page()
    page.goto(site.url + "/")
    page.get_by_label("Access token").fill(site.tokens[who])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Signed in as")).to_be_visible()
    page.close()
    return context


def csp_errors(page: Page) -> list[str]:
    found: list[str] = []
    page.on("console", lambda msg: found.append(msg.text)
            if "Content Security Policy" in msg.text else None)
    return found


def shot(page: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"self-service-{name}.png"), full_page=True)


def tenant_file(site: Site, rev: str) -> dict[str, Any]:
    loaded = yaml.safe_load(site.repo.git("show", f"{rev}:specs/tenants/contoso.yaml"))
    assert isinstance(loaded, dict)
    return loaded


def test_a_customer_adds_a_user_with_two_skus_and_submits(browser: Browser,
                                                          site: Site) -> None:
    context = signed_in(browser, site, "jane", viewport=DESKTOP)
    page = context.new_page()
    errors = csp_errors(page)
    page.goto(site.url + "/")  # one tenant in scope: straight to its users
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Ltd")
    shot(page, "users-desktop")
    page.get_by_role("link", name="Add a user").first.click()
    page.get_by_label("Sign-in name (UPN)").fill("dana@contoso.example")
    page.get_by_label("Display name").fill("Dana Scully")
    page.get_by_label("Given name").fill("Dana")
    page.get_by_label("Microsoft 365 Business Premium").check()
    page.get_by_label("Managed support seat").check()
    shot(page, "add-user-desktop")
    page.get_by_role("button", name="Check and see the price").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the change")
    expect(page.get_by_text("contoso: add user dana (dana@contoso.example) with M365-BP, "
                            "SUPPORT")).to_be_visible()
    # Contoso before (USD, priced per period): alice M365-BP 36.50 + SUPPORT 25.00, bob
    # EXO-P1 6.40 = 67.90. After dana's M365-BP and SUPPORT: 2 x 36.50 + 2 x 25.00 + 6.40
    # = 129.40, +61.50.
    expect(page.get_by_text("67.90 → 129.40 USD")).to_be_visible()
    expect(page.get_by_text("(+61.50)")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Microsoft 365 Business Premium"))
    expect(row).to_have_text(re.compile(r"M365-BP\s*1\s*2\s*36\.50\s*73\.00"))
    shot(page, "confirm-desktop")
    base = site.repo.rev_parse("main")
    page.get_by_role("button", name="Submit the request").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile(r"Request #\d+ submitted"))
    number = re.findall(r"\d+", heading.inner_text())[0]
    shot(page, "submitted-desktop")
    branch = f"requests/{number}-contoso-add-dana"
    assert site.repo.git("rev-list", f"main..{branch}").split() == [site.repo.rev_parse(branch)]
    assert site.repo.rev_parse(f"{branch}~1") == base == site.repo.rev_parse("main")
    assert site.repo.git("log", "-1", "--format=%an <%ae>", branch).strip() == \
        "Jane Customer <jane.customer@tenantry.invalid>"
    assert "Monthly charge for contoso: 67.90 -> 129.40 USD (+61.50)." in \
        site.repo.git("log", "-1", "--format=%B", branch)
    assert tenant_file(site, branch)["users"]["dana"] == {
        "upn": "dana@contoso.example", "display_name": "Dana Scully", "given_name": "Dana",
        "skus": ["M365-BP", "SUPPORT"]}
    assert errors == []
    context.close()


def test_the_forge_receives_the_pull_request(browser: Browser, site: Site) -> None:
    context = signed_in(browser, site, "jane")
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso/users/alice")
    page.get_by_role("button", name="Disable Alice Smith").click()
    before = len(site.forge.calls)
    page.get_by_role("button", name="Submit the request").click()
    expect(page.get_by_role("link", name=re.compile(r"#\d+"))).to_be_visible()
    call = site.forge.calls[before]
    assert call["path"] == "/repos/acme/tenant-specs/pulls"
    assert call["headers"]["authorization"] == "Bearer ghp_web_test"
    assert call["body"]["title"] == "contoso: disable alice"
    assert re.fullmatch(r"requests/\d+-contoso-disable-alice", call["body"]["head"])
    assert call["body"]["base"] == "main"
    assert "Requested by Jane Customer" in call["body"]["body"]
    pushed = subprocess_git(site.remote, "rev-parse", call["body"]["head"])
    assert pushed == site.repo.rev_parse(call["body"]["head"])
    context.close()


def subprocess_git(where: Path, *args: str) -> str:
    import subprocess
    return subprocess.run(["git", "-C", str(where), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_invalid_input_shows_the_message_and_writes_nothing(browser: Browser,
                                                            site: Site) -> None:
    context = signed_in(browser, site, "jane")
    page = context.new_page()
    refs, objects = site.refs(), site.objects()
    page.goto(site.url + "/tenants/contoso/users/new")
    page.get_by_label("Sign-in name (UPN)").fill("eve@fabrikam.example")
    page.get_by_label("Display name").fill("Eve")
    page.get_by_role("button", name="Check and see the price").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("eve, Sign-in name (UPN): UPN 'eve@fabrikam.example' is "
                                  "outside the tenant's domain 'contoso.example'; use an "
                                  "address @contoso.example")
    expect(page.get_by_label("Sign-in name (UPN)")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Sign-in name (UPN)")).to_have_value("eve@fabrikam.example")
    shot(page, "invalid-desktop")
    page.goto(site.url + "/tenants/contoso/users/bob")
    page.get_by_role("button", name="Check product changes").click()  # nothing ticked
    expect(page.get_by_role("alert")).to_contain_text("nothing to change")
    assert site.refs() == refs and site.objects() == objects
    context.close()


def test_another_tenant_is_out_of_reach_by_url_and_by_forged_posts(browser: Browser,
                                                                   site: Site) -> None:
    context = signed_in(browser, site, "jane")
    page = context.new_page()
    refs, objects = site.refs(), site.objects()
    for path in ("/tenants/northwind", "/tenants/northwind/users/nina",
                 "/tenants/northwind/users/new", "/tenants/northwind/requests",
                 "/tenants/northwind/requests/1", "/tenants/nosuch"):
        response = page.goto(site.url + path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
        assert "Nina" not in page.content() and "Northwind" not in page.content()
    page.goto(site.url + "/tenants/contoso/users/new")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    assert csrf
    forged = {"csrf": csrf, "op": "remove-user", "user": "nina"}
    for path in ("/tenants/northwind/changes/check", "/tenants/northwind/changes"):
        answer = page.request.post(site.url + path, form=forged)
        assert answer.status == 404, path
    # Another tenant's user named under one's own tenant does not exist there.
    answer = page.request.post(site.url + "/tenants/contoso/changes", form=forged)
    assert answer.status == 422 and "no user 'nina'" in html.unescape(answer.text())
    # Without the form's token, or with another session's, a post is refused.
    assert page.request.post(site.url + "/tenants/contoso/changes",
                             form={"op": "remove-user", "user": "bob"}).status == 403
    assert page.request.post(site.url + "/tenants/contoso/changes",
                             form={"op": "remove-user", "user": "bob",
                                   "csrf": ("y" if csrf[0] == "x" else "x") + csrf[1:]}
                             ).status == 403
    # A page of another site posting (with the token, were it ever leaked) is refused too.
    assert page.request.post(site.url + "/tenants/contoso/changes",
                             headers={"Sec-Fetch-Site": "cross-site"},
                             form={**forged, "user": "bob"}).status == 403
    assert page.request.post(site.url + "/sign-in", headers={"Sec-Fetch-Site": "cross-site"},
                             form={"token": site.tokens["nora"]}).status == 403
    assert site.refs() == refs and site.objects() == objects
    context.close()


def test_without_a_session_pages_ask_to_sign_in(browser: Browser, site: Site) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso/users/bob")
    assert page.url.startswith(site.url + "/sign-in?next=")
    page.get_by_label("Access token").fill("tnt_not_a_real_token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("That token is not valid")
    page.get_by_label("Access token").fill(site.tokens["jane"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bob Jones")  # back to it
    cookie = next(c for c in context.cookies() if c["name"] == "tenantry_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    page.get_by_role("button", name="Sign out").click()
    page.goto(site.url + "/tenants/contoso")
    assert "/sign-in" in page.url
    assert page.request.post(site.url + "/tenants/contoso/changes",
                             form={"op": "remove-user", "user": "bob"}).status == 401
    context.close()


def test_search_works_with_and_without_javascript(browser: Browser, site: Site) -> None:
    for scripts in (True, False):
        context = signed_in(browser, site, "ops", java_script_enabled=scripts)
        page = context.new_page()
        page.goto(site.url + "/tenants/contoso")
        page.get_by_label("Search users").fill("jones")
        if not scripts:
            page.get_by_role("button", name="Search").click()
            assert page.url.endswith("/tenants/contoso?q=jones")
        expect(page.get_by_role("status")).to_have_text("1 user matches “jones”")
        expect(page.locator("#users tbody tr:visible")).to_have_count(1)
        expect(page.locator("#users tbody tr:visible")).to_contain_text("Bob Jones")
        context.close()


def test_phone_layout_and_accessibility(browser: Browser, site: Site) -> None:
    """axe-core in the page: no serious or critical violations, on a phone and a desktop."""
    assert AXE.exists(), f"axe-core not found at {AXE} (scripts/test installs it)"
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        # The page's CSP forbids injected scripts; only this audit context bypasses it.
        context = signed_in(browser, site, "jane", viewport=viewport, bypass_csp=True)
        page = context.new_page()
        pages = {"users": "/tenants/contoso", "user": "/tenants/contoso/users/bob",
                 "add-user": "/tenants/contoso/users/new",
                 "requests": "/tenants/contoso/requests",
                 "history": "/tenants/contoso/history",
                 "at": "/tenants/contoso/at?date=2026-03-01"}
        for label, path in pages.items():
            page.goto(site.url + path)
            audit(page, f"{label} ({name})")
            if name == "phone":
                shot(page, f"{label}-phone")
                width = page.evaluate("document.documentElement.scrollWidth")
                assert width <= viewport["width"], f"{label}: scrolls sideways ({width}px)"
        page.goto(site.url + "/tenants/contoso/users/new")
        page.get_by_label("Sign-in name (UPN)").fill("x y")
        page.get_by_role("button", name="Check and see the price").click()
        audit(page, f"form with errors ({name})")
        page.goto(site.url + "/tenants/contoso/users/bob")
        page.get_by_role("button", name="Enable Bob Jones").click()
        audit(page, f"confirm ({name})")
        if name == "phone":
            shot(page, "confirm-phone")
        context.close()
    context = browser.new_context(viewport=PHONE, bypass_csp=True)
    page = context.new_page()
    page.goto(site.url + "/sign-in")
    audit(page, "sign-in")
    shot(page, "sign-in-phone")
    context.close()


def audit(page: Page, what: str) -> None:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: "
                           "['violations']})).violations.map(v => ({id: v.id, impact: "
                           "v.impact, nodes: v.nodes.map(n => n.target.join(' '))}))")
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert serious == [], f"{what}: {json.dumps(serious, indent=1)}"


def test_two_requests_on_one_tenant_at_once_both_survive(browser: Browser,
                                                         site: Site) -> None:
    context = signed_in(browser, site, "ops")
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso/users/new")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in context.cookies())
    base = site.repo.rev_parse("main")
    answers: list[int] = []

    def post(uid: str) -> None:
        data = urllib.parse.urlencode({"csrf": csrf, "op": "add-user", "user": uid,
                                       "upn": f"{uid}@contoso.example",
                                       "display_name": uid.title(), "skus": "SUPPORT"})
        request = urllib.request.Request(site.url + "/tenants/contoso/changes",
                                         data=data.encode(), headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                answers.append(response.status)
        except urllib.error.HTTPError as exc:
            answers.append(exc.code)

    threads = [threading.Thread(target=post, args=(uid,)) for uid in ("kim", "lee")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [200, 200]  # each redirected to its request's page
    for uid in ("kim", "lee"):
        [branch] = site.repo.git("for-each-ref", "--format=%(refname:short)",
                                 f"refs/heads/requests/*-contoso-add-{uid}").split()
        assert site.repo.rev_parse(f"{branch}~1") == base
        assert uid in tenant_file(site, branch)["users"]
    context.close()


def test_a_revoked_token_is_signed_out_on_the_next_page(browser: Browser, site: Site) -> None:
    import subprocess

    from conftest import tenantry_script

    token = subprocess.run([tenantry_script(), "-C", str(site.repo.root), "token", "create",
                            "--name", "Temp Desk", "--scope", "tenant:contoso"],
                           capture_output=True, text=True, check=True).stdout.split()[0]
    site.tokens["temp"] = token
    context = signed_in(browser, site, "temp")
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso")
    expect(page.get_by_role("heading", level=1)).to_have_text("Contoso Ltd")
    ident = token.split("_")[1]
    subprocess.run([tenantry_script(), "-C", str(site.repo.root), "token", "revoke", ident],
                   capture_output=True, check=True)
    page.goto(site.url + "/tenants/contoso")
    assert "/sign-in?next=" in page.url
    context.close()


def test_an_operator_sees_every_tenant(browser: Browser, site: Site) -> None:
    context = signed_in(browser, site, "ops")
    page = context.new_page()
    page.goto(site.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Tenants")
    expect(page.get_by_role("link", name="Contoso Ltd")).to_be_visible()
    expect(page.get_by_role("link", name="Northwind")).to_be_visible()
    page.get_by_role("link", name="Northwind").click()
    expect(page.locator("#users tbody tr")).to_have_count(1)
    context.close()


def test_a_reseller_sees_the_tenants_beneath_it_only(browser: Browser, site: Site) -> None:
    context = signed_in(browser, site, "kea")
    page = context.new_page()
    page.goto(site.url + "/")  # one tenant beneath kea: straight to it
    expect(page.get_by_role("heading", level=1)).to_have_text("Northwind")
    response = page.goto(site.url + "/tenants/contoso")
    assert response is not None and response.status == 404
    context.close()


def test_history_and_a_past_date(browser: Browser, site: Site) -> None:
    context = signed_in(browser, site, "jane", viewport=DESKTOP)
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso/history")
    entry = page.locator("ol.history > li").last  # the oldest: the seed commit
    # A customer never sees commit subjects (free text that may name other customers).
    expect(entry.get_by_role("heading")).to_have_text("Change of 2026-03-01 09:00")
    expect(entry).to_contain_text("create alice (alice@contoso.example): M365-BP, SUPPORT")
    expect(entry).to_contain_text("2026-03-01 09:00")
    shot(page, "history-desktop")
    page.get_by_role("link", name="On a date").click()
    page.get_by_label("Date").fill("2026-03-01")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    expect(page.locator("tbody")).to_contain_text("Alice Smith")
    shot(page, "at-desktop")
    page.goto(site.url + "/tenants/contoso/at?date=2026-02-01")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was committed by then")
    for path in ("/tenants/northwind/history", "/tenants/northwind/at?date=2026-03-01"):
        response = page.goto(site.url + path)
        assert response is not None and response.status == 404
    context.close()

    context = signed_in(browser, site, "ops")
    page = context.new_page()
    page.goto(site.url + "/tenants/contoso/history")
    expect(page.locator("ol.history > li").last.get_by_role("heading")).to_have_text("seed")
    context.close()


def test_a_resellers_price_is_shown_to_the_reseller_not_to_its_customer(
        browser: Browser, site: Site) -> None:
    for who, shown in (("nora", False), ("kea", True)):
        context = signed_in(browser, site, who)
        page = context.new_page()
        page.goto(site.url + "/tenants/northwind/users/nina")
        page.get_by_label("Managed support seat").check()
        page.get_by_role("button", name="Check product changes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Confirm the change")
        support = page.get_by_role("row", name=re.compile("Managed support seat"))
        if shown:
            # Kea's price, 10% off list: nina's M365-BP 36.50 x 0.9 = 32.85; with SUPPORT
            # 25.00 x 0.9 = 22.50 more: 55.35.
            expect(page.get_by_text("32.85 → 55.35 USD")).to_be_visible()
            expect(support).to_have_text(re.compile(r"SUPPORT\s*0\s*1\s*0\.00\s*22\.50"))
        else:
            expect(page.get_by_text("Prices for Northwind are set by its reseller")) \
                .to_be_visible()
            expect(support).to_have_text(re.compile(r"SUPPORT\s*0\s*1$"))
            assert "32.85" not in page.content() and "USD" not in page.content()
        context.close()


def test_every_page_carries_the_security_headers(browser: Browser, site: Site) -> None:
    context = signed_in(browser, site, "jane")
    page = context.new_page()
    for path in ("/sign-in", "/tenants/contoso", "/tenants/northwind"):
        response = page.goto(site.url + path)
        assert response is not None
        headers = response.headers
        assert headers["content-security-policy"] == (
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"), path
        assert (headers["x-frame-options"], headers["x-content-type-options"],
                headers["cache-control"]) == ("DENY", "nosniff", "no-store"), path
    api = page.request.get(site.url.removesuffix("/web") + "/healthz")
    assert api.ok and "content-security-policy" not in api.headers  # the API is untouched
    context.close()
