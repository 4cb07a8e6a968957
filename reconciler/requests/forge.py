"""Opening a pull request (GitHub) or merge request (GitLab) for a request branch.

One REST call each, with the standard library's HTTP client:

- GitHub: ``POST {api}/repos/{owner}/{repo}/pulls`` with ``title``, ``head``, ``base``,
  ``body``; answers 201 with ``number`` and ``html_url``. ``api`` is https://api.github.com,
  or ``https://HOST/api/v3`` for GitHub Enterprise Server.
- GitLab: ``POST {host}/api/v4/projects/{url-encoded path}/merge_requests`` with
  ``source_branch``, ``target_branch``, ``title``, ``description``; answers 201 with
  ``iid`` and ``web_url``.

The token comes from the environment variable the settings name, and is sent only in the
``Authorization``/``PRIVATE-TOKEN`` header; it never appears in an error message.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

from reconciler.errors import UserError
from reconciler.requests.settings import ForgeSettings

TIMEOUT = 20.0


@dataclass(frozen=True)
class PullRequest:
    number: str  # "#12" on GitHub, "!12" on GitLab: how each forge writes it
    url: str


@dataclass(frozen=True)
class Call:
    """The HTTP request that opens the pull request (built apart, so tests can read it)."""

    url: str
    headers: dict[str, str]
    body: dict[str, Any]
    kind: str


def kind_of(forge: ForgeSettings) -> str:
    if forge.kind:
        return forge.kind
    host = urllib.parse.urlsplit(forge.url).hostname or ""
    if host == "github.com" or host.startswith("github."):
        return "github"
    if host == "gitlab.com" or host.startswith("gitlab."):
        return "gitlab"
    raise UserError(f"forge url {forge.url}: cannot tell GitHub from GitLab by its host; set "
                    "kind = \"github\" or \"gitlab\" in the request settings")


def build_call(forge: ForgeSettings, *, branch: str, base: str, title: str,
               body: str) -> Call:
    token = os.environ.get(forge.token_env)
    if not token:
        raise UserError(f"environment variable {forge.token_env} (the forge token) is not set")
    parts = urllib.parse.urlsplit(forge.url)
    path = parts.path.strip("/").removesuffix(".git")
    origin = f"{parts.scheme}://{parts.netloc}"
    kind = kind_of(forge)
    if kind == "github":
        if path.count("/") != 1:
            raise UserError(f"forge url {forge.url}: a GitHub repository is OWNER/REPO")
        api = forge.api_url or ("https://api.github.com" if parts.hostname == "github.com"
                                else f"{origin}/api/v3")
        return Call(f"{api.rstrip('/')}/repos/{path}/pulls",
                    {"Accept": "application/vnd.github+json",
                     "Authorization": f"Bearer {token}",
                     "X-GitHub-Api-Version": "2022-11-28"},
                    {"title": title, "head": branch, "base": base, "body": body}, kind)
    api = forge.api_url or f"{origin}/api/v4"
    project = urllib.parse.quote(path, safe="")
    return Call(f"{api.rstrip('/')}/projects/{project}/merge_requests",
                {"PRIVATE-TOKEN": token},
                {"source_branch": branch, "target_branch": base, "title": title,
                 "description": body, "remove_source_branch": True}, kind)


def open_pull_request(forge: ForgeSettings, *, branch: str, base: str, title: str,
                      body: str) -> PullRequest:
    call = build_call(forge, branch=branch, base=base, title=title, body=body)
    request = urllib.request.Request(
        call.url, data=json.dumps(call.body).encode(), method="POST",
        headers={**call.headers, "Content-Type": "application/json",
                 "User-Agent": "tenantry"})
    name = "GitHub" if call.kind == "github" else "GitLab"
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            answer = json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raise UserError(f"{name} refused the pull request ({exc.code}: "
                        f"{_reason(exc)})") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UserError(f"cannot reach {name} at {urllib.parse.urlsplit(call.url).netloc}: "
                        f"{reason}") from None
    except json.JSONDecodeError:
        raise UserError(f"{name} answered with something that is not JSON") from None
    if call.kind == "github":
        return PullRequest(f"#{answer.get('number', '?')}", str(answer.get("html_url", "")))
    return PullRequest(f"!{answer.get('iid', '?')}", str(answer.get("web_url", "")))


def _reason(exc: urllib.error.HTTPError) -> str:
    try:
        body = json.loads(exc.read() or b"{}")
    except (json.JSONDecodeError, OSError):
        return exc.reason or "error"
    message = body.get("message") if isinstance(body, dict) else None
    text = message if isinstance(message, str) else json.dumps(message)[:200]
    return " ".join(str(text or exc.reason).split())[:300]
